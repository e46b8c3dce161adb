from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return urlencode(sorted(query.lists()), doseq=True)


@register.simple_tag(takes_context=True)
def sort_link(context, field: str) -> str:
    """Query string that sorts by ``field``, flipping the direction when it is already sorted by it."""
    query = context["request"].GET.copy()
    current = query.get("sort", "")
    query["sort"] = f"-{field}" if current == field else field
    query.pop("page", None)
    return urlencode(sorted(query.lists()), doseq=True)
