"""Exports of the three lists to .xlsx: the staff list pages with their current filters.

Each export takes the same scoped queryset and filters as its page (so an export can never
show more than the page), masks phone numbers and leaves addresses out, and is audited with
its filters, row count and the reason the user gave (``portal.export_reasons``: the export
link opens a page asking why; its POST produces the file). One sheet lists the records; a second
sums them per community.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Avg, Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal import audit
from portal.access import Action, can
from portal.errors import PermissionDenied
from portal.export_reasons import ExportRequest, ask_reason
from portal.models import mask_name, mask_phone
from portal.xlsx import MAX_ROWS, Sheet, build_workbook, chinese, too_many_rows
from portal.xlsx import xlsx_response as download
from resources.filters.needs import NeedFilter
from resources.filters.projects import ProjectFilter
from resources.filters.resources import ResourceFilter
from resources.models import BudgetLine, Milestone, Need, Project, Resource
from resources.selectors import needs_for, project_list_for, resources_for
from resources.views import needs as need_pages

DONE = (Need.Status.RESOLVED, Need.Status.EVALUATED)


def _label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


NEEDS_NOTE = gettext_lazy(
    "Requesters' names and phone numbers are masked and addresses left out of the file."
)
RESOURCES_NOTE = gettext_lazy("Contact phone numbers are masked in the file.")


def _about(request, *, title: str, rows: int, asked: ExportRequest) -> list[tuple[str, object]]:
    return [
        (_("Export"), title),
        (_("Exported by"), request.user.display_name),
        (_("Exported at"), timezone.now()),
        (_("Reason"), asked.reason),
        (_("Rows"), rows),
        (_("Filters"), "; ".join(f"{k}={v}" for k, v in asked.filters.items()) or "—"),
        (_("Personal data"), _("Phone numbers are masked and addresses left out.")),
    ]


def _export(
    request, *, kind: str, title: str, ascii_name: str, qs: QuerySet, sheets, asked: ExportRequest
):
    """Count, refuse over the limit, build the sheets, audit (who, what, why), send."""
    count = qs.count()
    if count > MAX_ROWS:
        return too_many_rows(request, count, MAX_ROWS)
    with chinese():
        content = build_workbook(
            sheets(qs), about=_about(request, title=title, rows=count, asked=asked)
        )
        filename = f"{title}-{timezone.localdate():%Y%m%d}.xlsx"
    with transaction.atomic():
        audit.record(
            action=f"export.{kind}",
            actor=request.user,
            data={
                "kind": kind,
                "filters": asked.filters,
                "rows": count,
                "masked": True,
                "reason": asked.reason,
            },
        )
    return download(content, filename=filename, ascii_name=f"{ascii_name}.xlsx")


def _need_sheets(qs: QuerySet[Need]) -> list[Sheet]:
    headers = [
        _label(Need, "tracking_number"),
        _label(Need, "title"),
        _label(Need, "category"),
        _label(Need, "channel"),
        _label(Need, "target_group"),
        _label(Need, "urgency"),
        _label(Need, "status"),
        _label(Need, "community"),
        _label(Need, "grid"),
        _label(Need, "requester_name"),
        _label(Need, "requester_phone"),
        _label(Need, "submitted_at"),
        _label(Need, "due_at"),
        _label(Need, "accepted_at"),
        _label(Need, "resolved_at"),
        _label(Need, "rating"),
    ]
    rows = (
        [
            n.tracking_number,
            n.title,
            n.category.name,
            n.get_channel_display(),
            n.get_target_group_display(),
            n.get_urgency_display(),
            n.get_status_display(),
            n.community.name,
            n.grid.name if n.grid_id else "",
            mask_name(n.requester_name),
            mask_phone(n.requester_phone),
            n.submitted_at,
            n.due_at,
            n.accepted_at,
            n.resolved_at,
            n.rating,
        ]
        for n in qs
    )
    summary = (
        qs.order_by()
        .values("community__path", "community__name")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=Need.OPEN_STATUSES)),
            done=Count("id", filter=Q(status__in=DONE)),
            rated=Count("rating"),
            mean=Avg("rating"),
        )
        .order_by("community__path")
    )
    return [
        Sheet(_("Needs"), headers, rows),
        Sheet(
            _("Per community"),
            [
                _("Community"),
                _("Needs"),
                _("Open"),
                _("Resolved"),
                _("Rated"),
                _("Mean rating"),
            ],
            (
                [
                    s["community__name"],
                    s["total"],
                    s["open"],
                    s["done"],
                    s["rated"],
                    round(s["mean"], 2) if s["mean"] is not None else None,
                ]
                for s in summary
            ),
        ),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def need_export(request):
    """The needs list as on the page (same scope, filters and order) in .xlsx.

    A bulk copy of residents' requests is for staff only (members and unit admins can read the
    list but not take it away), and requesters' names are masked like their phones.
    """
    if not can(request.user, Action.NEED_VIEW) or not can(request.user, Action.DASHBOARD_VIEW):
        raise PermissionDenied(_("Only staff can export the needs list."))
    title = str(_("Needs list"))
    asked = ask_reason(request, title=title, note=NEEDS_NOTE)
    if not isinstance(asked, ExportRequest):
        return asked
    sort = asked.params.get("sort", need_pages.DEFAULT_SORT)
    if sort.lstrip("-") not in need_pages.SORTS:
        sort = need_pages.DEFAULT_SORT
    filterset = NeedFilter(
        asked.params, queryset=needs_for(request.user).order_by(sort, "-id"), request=request
    )
    return _export(
        request,
        kind="needs",
        title=title,
        ascii_name="needs",
        qs=filterset.qs,
        sheets=_need_sheets,
        asked=asked,
    )


def _resource_sheets(qs: QuerySet[Resource]) -> list[Sheet]:
    fields = [
        "name",
        "provider_type",
        "provider_name",
        "kind",
        "tier",
        "categories",
        "capacity",
        "area",
        "contact_name",
        "contact_phone",
        "value_amount",
        "valid_until",
        "status",
    ]
    rows = (
        [
            r.name,
            r.get_provider_type_display(),
            r.provider_name,
            r.get_kind_display(),
            r.get_tier_display(),
            "、".join(c.name for c in r.categories.all()),
            r.capacity,
            r.area.name,
            r.contact_name,
            mask_phone(r.contact_phone),
            r.value_amount,
            r.valid_until,
            r.get_status_display(),
        ]
        for r in qs
    )
    summary = (
        qs.order_by()
        .values("area__path", "area__name")
        .annotate(
            total=Count("id", distinct=True),
            available=Count("id", filter=Q(status=Resource.Status.AVAILABLE), distinct=True),
        )
        .order_by("area__path")
    )
    return [
        Sheet(_("Resources"), [_label(Resource, f) for f in fields], rows),
        Sheet(
            _("Per area"),
            [_("Area"), _("Resources"), _("Available")],
            ([s["area__name"], s["total"], s["available"]] for s in summary),
        ),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def resource_export(request):
    """The resource list as on the page (same scope and filters) in .xlsx."""
    if not can(request.user, Action.RESOURCE_VIEW):
        raise PermissionDenied(_("You cannot view the resource list."))
    title = str(_("Resource list"))
    asked = ask_reason(request, title=title, note=RESOURCES_NOTE)
    if not isinstance(asked, ExportRequest):
        return asked
    filterset = ResourceFilter(asked.params, queryset=resources_for(request.user), request=request)
    return _export(
        request,
        kind="resources",
        title=title,
        ascii_name="resources",
        qs=filterset.qs,
        sheets=_resource_sheets,
        asked=asked,
    )


def _project_sheets(qs: QuerySet[Project]) -> list[Sheet]:
    # Subqueries, not joins: a join of budget lines and milestones would multiply the sums.
    spent = (
        BudgetLine.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("spent"))
        .values("total")
    )
    milestones = Milestone.objects.filter(project=OuterRef("pk")).order_by().values("project")
    qs = qs.annotate(
        spent_total=Subquery(spent, output_field=DecimalField(max_digits=14, decimal_places=2)),
        milestones_total=Subquery(milestones.annotate(n=Count("id")).values("n")),
        milestones_reached=Subquery(
            milestones.filter(reached_at__isnull=False).annotate(n=Count("id")).values("n")
        ),
    )
    headers = [
        _label(Project, "title"),
        _label(Project, "area"),
        _label(Project, "owner"),
        _label(Project, "status"),
        _label(Project, "planned_start"),
        _label(Project, "planned_end"),
        _("Itemised budget (yuan)"),
        _label(Project, "contingency_rate"),
        _("Budget with contingency (yuan)"),
        _("Spent (yuan)"),
        _("Tasks done"),
        _("Milestones reached"),
        _label(Project, "maintenance_owner"),
    ]
    rows = []
    for p in qs:
        subtotal = p.budget_subtotal or 0
        tasks = p.tasks.all()
        rows.append(
            [
                p.title,
                p.area.name,
                p.owner.display_name,
                p.get_status_display(),
                p.planned_start,
                p.planned_end,
                subtotal,
                p.contingency_rate,
                round(subtotal * (1 + p.contingency_rate), 2),
                p.spent_total or 0,
                f"{sum(1 for t in tasks if t.completed_at or t.progress == 100)}/{len(tasks)}",
                f"{p.milestones_reached or 0}/{p.milestones_total or 0}",
                p.maintenance_owner,
            ]
        )
    by_area: dict[str, list] = {}
    for p, row in zip(qs, rows, strict=True):
        totals = by_area.setdefault(p.area.path, [p.area.name, 0, 0, 0])
        totals[1] += 1
        totals[2] += row[8]
        totals[3] += row[9]
    return [
        Sheet(_("Projects"), headers, rows),
        Sheet(
            _("Per community"),
            [_("Community"), _("Projects"), _("Budget with contingency (yuan)"), _("Spent (yuan)")],
            [by_area[path] for path in sorted(by_area)],
        ),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def project_export(request):
    """The project list as on the page (same scope and filters) in .xlsx."""
    if not can(request.user, Action.PROJECT_VIEW):
        raise PermissionDenied(_("You cannot view the project list."))
    title = str(_("Project list"))
    asked = ask_reason(request, title=title)
    if not isinstance(asked, ExportRequest):
        return asked
    filterset = ProjectFilter(
        asked.params, queryset=project_list_for(request.user), request=request
    )
    return _export(
        request,
        kind="projects",
        title=title,
        ascii_name="projects",
        qs=filterset.qs,
        sheets=_project_sheets,
        asked=asked,
    )
