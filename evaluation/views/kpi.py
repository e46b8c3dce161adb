"""KPI pages for officials: the home tiles, the drill-down by area, and report exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evaluation.kpi.definitions import KPIS
from evaluation.kpi.periods import KINDS, parse_period
from evaluation.selectors_kpi import kpi_area, kpi_home
from evaluation.selectors_kpi_report import home_tiles, kpi_board
from evaluation.services.kpi_exports import (
    export_for,
    record_download,
    request_kpi_export,
)
from portal.errors import Conflict, PermissionDenied
from portal.export_reasons import ExportRequest, ask_reason


def _area(request, code: str | None):
    if code is None:
        area = kpi_home(user=request.user)
        if area is None:
            raise PermissionDenied(_("You cannot see KPI dashboards."))
        return area
    return kpi_area(user=request.user, code=code)


@login_required
@require_GET
def dashboard(request, code: str | None = None):
    """The KPIs of one area (the user's own by default) and of the areas below it."""
    area = _area(request, code)
    today = timezone.localdate()
    period = parse_period(request.GET, today=today)
    board = kpi_board(
        user=request.user,
        area=area,
        period=period,
        today=today,
        sort=request.GET.get("sort", ""),
        chart_kpi=request.GET.get("kpi"),
    )
    return render(
        request,
        "evaluation/kpi/dashboard.html",
        {
            "board": board,
            "chart_data": board.chart_data(),
            "kpis": KPIS,
            "period_kinds": KINDS,
            "period_query": urlencode(period.query()),
        },
    )


@login_required
@require_GET
def tiles(request):
    """This month's tiles of the user's area, for the staff dashboard (loaded by htmx)."""
    found = home_tiles(user=request.user)
    if found is None:
        raise PermissionDenied(_("You cannot see KPI dashboards."))
    area, figures = found
    return render(request, "evaluation/kpi/_tiles_panel.html", {"area": area, "figures": figures})


@login_required
@require_http_methods(["GET", "POST"])
def export(request, code: str):
    """Ask why (GET), then queue the KPI report of an area and period as xlsx or PDF (POST with
    the reason) and show its progress."""
    area = kpi_area(user=request.user, code=code)
    asked = ask_reason(
        request,
        title=_("KPI report of %(area)s") % {"area": area.name},
        note=_("Figures per area; no personal data."),
    )
    if not isinstance(asked, ExportRequest):
        return asked
    period = parse_period(asked.params, today=timezone.localdate())
    created = request_kpi_export(
        user=request.user,
        area=area,
        period=period,
        fmt=asked.params.get("format", ""),
        reason=asked.reason,
    )
    return redirect("evaluation:kpi_export_status", pk=created.pk)


@login_required
@require_GET
def export_status(request, pk: int):
    """The progress of an export; htmx polls the panel until the file is ready."""
    found = export_for(user=request.user, pk=pk)
    template = (
        "evaluation/kpi/_export_panel.html" if request.htmx else "evaluation/kpi/export_status.html"
    )
    return render(
        request,
        template,
        {"export": found, "back": reverse("evaluation:kpi_area", args=[found.area.code])},
    )


@login_required
@require_GET
def export_download(request, pk: int):
    """The finished file, for its requester only."""
    found = export_for(user=request.user, pk=pk)
    if found.status != found.Status.DONE:
        raise Conflict(_("The file is not ready yet."))
    record_download(user=request.user, export=found)
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)
    response["Cache-Control"] = "no-store"
    return response
