"""KPI report exports: requested on a page, built by a Celery task, downloaded by the requester.

The task rebuilds the report as the requester (their scope, at the time of building), writes
the file under ``MEDIA_ROOT/exports/`` and reports its progress on the ``Export`` record the
status page polls. Requests, builds and downloads are audited.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from evaluation.kpi.periods import Period
from evaluation.models import Export, ExportStatus
from portal import audit
from portal.access import Action, can, scope
from portal.errors import InvalidInput, NotFound, PermissionDenied
from portal.export_reasons import REASON_MIN
from portal.models import Area, User

logger = logging.getLogger("baodao.exports")

FORMATS = {"xlsx": "kpi_xlsx", "pdf": "kpi_pdf"}
EXPORT_LANGUAGE = "zh-hans"


def request_kpi_export(*, user: User, area: Area, period: Period, fmt: str, reason: str) -> Export:
    """Record a request for the KPI report of ``area`` over ``period`` and queue its build.

    ``reason`` (why the user exports; required) goes into the audit event of the request.
    """
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise InvalidInput(_("Say why you are exporting this data."), field="reason")
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose xlsx or PDF."), field="format")
    if not can(user, Action.DASHBOARD_VIEW, area=area):
        raise PermissionDenied(_("You cannot export the figures of this area."))
    from evaluation.tasks import build_kpi_export

    with transaction.atomic():
        export = Export.objects.create(
            kind=FORMATS[fmt],
            area=area,
            requested_by=user,
            params={
                "period": period.kind,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            },
        )
        audit.record(
            action="kpi.export_requested",
            actor=user,
            obj=export,
            area=area,
            data={"kind": export.kind, **export.params, "reason": reason},
        )
        build_kpi_export.delay_on_commit(export.pk)
    return export


def _progress(export: Export, percent: int) -> None:
    Export.objects.filter(pk=export.pk).update(progress=min(max(percent, 0), 100))


def build_kpi_export(*, export_id: int) -> str:
    """Build the file of one export; returns its final status. A second call is a no-op."""
    from evaluation.kpi.pdf import build_kpi_pdf
    from evaluation.kpi.xlsx import build_kpi_workbook
    from evaluation.selectors_kpi_report import kpi_report

    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status in (ExportStatus.DONE, ExportStatus.FAILED):
            return export.status if export else "missing"
        export.status = ExportStatus.RUNNING
        export.progress = 5
        export.save(update_fields=["status", "progress"])
    user = export.requested_by
    try:
        if not can(user, Action.DASHBOARD_VIEW, area=export.area):
            raise PermissionDenied(_("You cannot export the figures of this area."))
        period = Period(
            export.params["period"],
            date.fromisoformat(export.params["start"]),
            date.fromisoformat(export.params["end"]),
        )
        with translation.override(EXPORT_LANGUAGE):
            report = kpi_report(
                user=user,
                area=export.area,
                period=period,
                progress=lambda percent: _progress(export, percent),
            )
            if export.kind == FORMATS["pdf"]:
                content, suffix = build_kpi_pdf(report), "pdf"
            else:
                content, suffix = build_kpi_workbook(report), "xlsx"
            filename = f"{_('KPI report')}-{export.area.name}-{period.label}.{suffix}"
    except Exception as exc:
        # Recorded for the status page; building again would fail the same way.
        logger.exception("KPI export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return ExportStatus.FAILED
    with transaction.atomic():
        export.file.save(f"{uuid.uuid4().hex}.{suffix}", ContentFile(content), save=False)
        export.filename = filename.replace("/", "-").replace(" ", "")
        export.status = ExportStatus.DONE
        export.progress = 100
        export.finished_at = timezone.now()
        export.save(update_fields=["file", "filename", "status", "progress", "finished_at"])
        audit.record(
            action="kpi.exported",
            actor=user,
            obj=export,
            area=export.area,
            data={"kind": export.kind, "bytes": len(content), **export.params},
        )
    return export.status


def export_for(*, user: User, pk: int) -> Export:
    """One of ``user``'s own exports, while its area is still in their reach."""
    export = (
        scope(Export.objects.filter(pk=pk, requested_by=user), user, Action.DASHBOARD_VIEW)
        .select_related("area")
        .first()
    )
    if export is None:
        raise NotFound()
    return export


def record_download(*, user: User, export: Export) -> None:
    """Audit a download of a finished export."""
    audit.record(
        action="kpi.export_downloaded",
        actor=user,
        obj=export,
        area=export.area,
        data={"kind": export.kind},
    )
