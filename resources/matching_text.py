"""Render the engine's reason codes as a plain sentence in the reader's language:
"same community · category fit: 助餐 · available weekday mornings · provider rated 4.8 over 12
services"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from resources.models import AvailabilitySlot, Urgency

SEPARATOR = " · "


def _phrase(code: str, params: Mapping, categories: Mapping[int, str]) -> str | None:
    if code == "same_community":
        return _("same community")
    if code == "same_street":
        km = params.get("km")
        if km is None:
            return _("same street")
        return _("same street, %(km)s km away") % {"km": km}
    if code == "category_fit":
        name = categories.get(params.get("category_id"), "?")
        if params.get("exact", True):
            return _("category fit: %(category)s") % {"category": name}
        return _("related category: %(category)s") % {"category": name}
    if code == "availability":
        labels = dict(AvailabilitySlot.choices)
        slots = "、".join(str(labels.get(slot, slot)) for slot in params.get("slots", []))
        return _("available %(slots)s") % {"slots": slots}
    if code == "provider_rating":
        count = params.get("count", 0)
        return ngettext(
            "provider rated %(rating)s over %(count)s service",
            "provider rated %(rating)s over %(count)s services",
            count,
        ) % {"rating": params.get("rating"), "count": count}
    if code == "provider_completions":
        count = params.get("count", 0)
        return ngettext(
            "provider completed %(count)s service before",
            "provider completed %(count)s services before",
            count,
        ) % {"count": count}
    if code == "urgency":
        level = params.get("level")
        label = dict(Urgency.choices).get(level, level)
        return _("urgency: %(level)s") % {"level": label}
    if code == "waiting":
        hours = params.get("hours", 0)
        return ngettext("waiting %(hours)s hour", "waiting %(hours)s hours", hours) % {
            "hours": hours
        }
    if code == "special_group":
        return _("special group first")
    return None


def explain(reasons: Iterable, categories: Mapping[int, str]) -> str:
    """The sentence for a match's stored reasons ([[code, params], ...]); unknown codes are
    skipped so an older page never breaks on a newer engine."""
    phrases = []
    for item in reasons or ():
        code, params = (item[0], item[1]) if len(item) > 1 else (item[0], {})
        phrase = _phrase(code, params or {}, categories)
        if phrase:
            phrases.append(phrase)
    return SEPARATOR.join(phrases)
