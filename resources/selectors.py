"""Every non-trivial read of the three lists; all of them scoped through portal.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Action, reach, scope
from portal.errors import NotFound
from portal.models import Area, User
from portal.services import get_setting
from resources.models import BudgetLine, Need, NeedAttachment, Project, ProjectTask, Resource
from resources.progress import RAG, TaskPlan, project_status, task_status


def needs_for(user: User, action: str = Action.NEED_VIEW) -> QuerySet[Need]:
    return scope(
        Need.objects.select_related("category", "community", "grid", "community__parent"),
        user,
        action,
    )


def resources_for(user: User, action: str = Action.RESOURCE_VIEW) -> QuerySet[Resource]:
    return scope(
        Resource.objects.select_related("area").prefetch_related("categories"), user, action
    )


def projects_for(user: User, action: str = Action.PROJECT_VIEW) -> QuerySet[Project]:
    return scope(
        Project.objects.select_related("area", "owner").prefetch_related(
            Prefetch(
                "tasks",
                queryset=ProjectTask.objects.select_related("owner").order_by("due_date", "id"),
            )
        ),
        user,
        action,
    )


def project_list_for(user: User) -> QuerySet[Project]:
    """Projects in reach, annotated with ``budget_subtotal`` (sum of the itemised lines).

    A subquery rather than a join, so that other joins can never multiply the sum.
    """
    lines = (
        BudgetLine.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return projects_for(user).annotate(
        budget_subtotal=Coalesce(Subquery(lines, output_field=money), Value(0), output_field=money)
    )


def need_named_in_query(user: User, raw_id: str) -> Need | None:
    """The need whose id a query string names (``?need=12``), if ``user`` may see it; forms
    use it to prefill from a need, so anything else (missing, malformed, out of reach) is None."""
    if not raw_id.isdigit():
        return None
    return needs_for(user).filter(pk=int(raw_id)).first()


def get_need(*, user: User, pk: int, action: str = Action.NEED_VIEW) -> Need:
    """A need the user may ``action``; 404 otherwise, so ids of other areas reveal nothing."""
    return get_object_or_404(needs_for(user, action), pk=pk)


def get_need_attachment(*, user: User, need_pk: int, pk: int) -> NeedAttachment:
    """An attachment of a need the user may view as staff; 404 otherwise (the need is scoped
    first). Residents' photos and documents may show their home or their face, so members and
    unit contacts, who see the needs list, do not open them; the staff who handle needs do."""
    need = get_need(user=user, pk=need_pk, action=Action.DASHBOARD_VIEW)
    attachment = get_object_or_404(NeedAttachment.objects.filter(need=need), pk=pk)
    attachment.need = need
    return attachment


def get_resource(*, user: User, pk: int, action: str = Action.RESOURCE_VIEW) -> Resource:
    return get_object_or_404(resources_for(user, action), pk=pk)


def get_project(*, user: User, pk: int, action: str = Action.PROJECT_VIEW) -> Project:
    return get_object_or_404(
        projects_for(user, action).prefetch_related(
            "budget_lines", "milestones", "needs", "resources"
        ),
        pk=pk,
    )


def find_by_tracking(*, tracking_number: str, phone_last4: str) -> Need:
    """A need for the public tracking page: both the number and the phone's last 4 digits."""
    tracking_number = (tracking_number or "").strip().upper()
    phone_last4 = (phone_last4 or "").strip()
    need = (
        Need.objects.select_related("category", "community")
        .filter(tracking_number=tracking_number)
        .first()
    )
    # One answer for a wrong number and a wrong phone, so the page reveals nothing.
    if need is None or len(phone_last4) != 4 or not need.requester_phone.endswith(phone_last4):
        raise NotFound(_("No need matches this tracking number and phone number."))
    return need


def task_rag(task: ProjectTask, today, amber_lag) -> RAG:
    plan = TaskPlan(task.start_date, task.due_date, task.progress, task.completed_at is not None)
    return task_status(plan, today, amber_lag)


def project_rag(project: Project, today=None, amber_lag=None) -> RAG:
    """Worst task status, from prefetched tasks (no query when they are prefetched).

    List pages pass ``amber_lag`` once for the page rather than look it up per project.
    """
    today = today or timezone.localdate()
    if project.status not in (Project.Status.APPROVED, Project.Status.IN_PROGRESS):
        return RAG.GREEN
    if amber_lag is None:
        amber_lag = get_setting("project.amber_lag", area=project.area)
    plans = [
        TaskPlan(t.start_date, t.due_date, t.progress, t.completed_at is not None)
        for t in project.tasks.all()
    ]
    return project_status(plans, today, amber_lag)


@dataclass
class Dashboard:
    area_label: str
    needs_open: int
    needs_total: int
    needs_due_soon: list[Need]
    needs_overdue: list[Need]
    overdue_count: int
    due_soon_count: int
    resources_available: int
    resources_total: int
    projects_active: int
    projects_total: int
    warning_hours: int


def primary_area(user: User, action: str) -> Area | None:
    """The widest area in which the user may ``action`` (the first when several)."""
    paths = reach(user, action)
    if not paths:
        return None
    return Area.objects.filter(path__in=paths).order_by("level", "path").first()


def dashboard(*, user: User, now: datetime | None = None, limit: int = 10) -> Dashboard:
    """Counts of the three lists and the needs about to breach, or past, the response clock."""
    now = now or timezone.now()
    area = primary_area(user, Action.DASHBOARD_VIEW)
    warning_hours = int(get_setting("need.warning_hours", area=area)) if area else 6
    needs = scope(Need.objects.all(), user, Action.NEED_VIEW)
    counts = needs.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=Need.OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status=Need.Status.SUBMITTED, due_at__lt=now)),
        due_soon=Count(
            "pk",
            filter=Q(
                status=Need.Status.SUBMITTED,
                due_at__gte=now,
                due_at__lt=now + timedelta(hours=warning_hours),
            ),
        ),
    )
    listed = needs.select_related("category", "community").order_by("due_at")
    resources = scope(Resource.objects.all(), user, Action.RESOURCE_VIEW).aggregate(
        total=Count("pk"), available=Count("pk", filter=Q(status=Resource.Status.AVAILABLE))
    )
    projects = scope(Project.objects.all(), user, Action.PROJECT_VIEW).aggregate(
        total=Count("pk"),
        active=Count(
            "pk", filter=Q(status__in=[Project.Status.APPROVED, Project.Status.IN_PROGRESS])
        ),
    )
    return Dashboard(
        area_label=str(area) if area else "",
        needs_open=counts["open"],
        needs_total=counts["total"],
        needs_due_soon=list(
            listed.filter(
                status=Need.Status.SUBMITTED,
                due_at__gte=now,
                due_at__lt=now + timedelta(hours=warning_hours),
            )[:limit]
        ),
        needs_overdue=list(listed.filter(status=Need.Status.SUBMITTED, due_at__lt=now)[:limit]),
        overdue_count=counts["overdue"],
        due_soon_count=counts["due_soon"],
        resources_available=resources["available"],
        resources_total=resources["total"],
        projects_active=projects["active"],
        projects_total=projects["total"],
        warning_hours=warning_hours,
    )
