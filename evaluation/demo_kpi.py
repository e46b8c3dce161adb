"""Demo KPI roll-ups: the last ~90 days rolled up from the demo city's records, so every KPI
shows a value and a trend on the first visit (today is computed live anyway).

Runs at the end of ``seed_demo``; days already rolled up are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from evaluation.models import KpiDaily
from evaluation.services.kpi import rollup_kpis
from portal import audit
from reporting.models import ResidentUnit
from resources.models import Resource

DEMO_DAYS = 90


@dataclass
class KpiDemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def link_unit_resources() -> int:
    """Point the demo's unit resources at the registered unit of the same name and community,
    so the unit docking rate has something to count; returns how many were linked."""
    units = {
        (name, community_id): pk
        for pk, name, community_id in ResidentUnit.objects.values_list("pk", "name", "community_id")
    }
    linked = 0
    for resource in Resource.objects.filter(
        provider_type=Resource.ProviderType.UNIT, provider_unit__isnull=True
    ).only("pk", "provider_name", "area_id"):
        unit_id = units.get((resource.provider_name, resource.area_id))
        if unit_id is not None:
            linked += Resource.objects.filter(pk=resource.pk).update(provider_unit_id=unit_id)
    return linked


def seed_kpi_demo(*, today: date | None = None, days: int = DEMO_DAYS) -> KpiDemoResult:
    """Roll up each of the ``days`` days before ``today`` that has no KPI rows yet."""
    today = today or timezone.localdate()
    wanted = [today - timedelta(days=back) for back in range(days, 0, -1)]
    done = set(KpiDaily.objects.filter(day__in=wanted).values_list("day", flat=True).distinct())
    missing = [day for day in wanted if day not in done]
    if missing:
        link_unit_resources()
    rows = 0
    for day in missing:
        counts = rollup_kpis(day=day, audited=False)
        rows += counts["community_rows"] + counts["upper_rows"]
    if not missing:
        return KpiDemoResult(created=False)
    audit.record(
        action="kpi.rebuilt",
        data={"from": missing[0].isoformat(), "to": missing[-1].isoformat(), "days": len(missing)},
    )
    return KpiDemoResult(
        created=True, counts={"KPI days rolled up": len(missing), "KPI rows": rows}
    )
