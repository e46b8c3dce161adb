from decimal import Decimal

from django import template

from portal.access import Action, can

register = template.Library()


@register.simple_tag(takes_context=True)
def points_nav(context) -> dict[str, bool]:
    """Which points and shop links the signed-in user gets (no queries: roles are cached)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    return {
        "ledger": can(user, Action.POINTS_VIEW),
        "rewards": can(user, Action.REWARD_MANAGE),
    }


@register.simple_tag(takes_context=True)
def evaluation_nav(context) -> dict[str, bool]:
    """Which annual evaluation links the signed-in user gets (no queries: roles are cached)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {}
    return {
        "results": can(user, Action.EVALUATION_VIEW),
        "published": can(user, Action.EVALUATION_RESULTS),
    }


@register.filter
def signed(value) -> str:
    """Points with their sign: +2.50, -1.00, 0.00."""
    if value is None:
        return ""
    value = Decimal(value)
    return f"+{value}" if value > 0 else f"{value}"
