"""Every write to the project list: projects, their tasks, milestones and budget lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import audit, webhooks
from portal.access import Action, can
from portal.errors import IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, RoleAssignment, User
from resources.models import BudgetLine, Milestone, Need, Project, ProjectTask, Resource
from resources.services.changes import changed_fields

P = Project.Status
CLOSED = (P.COMPLETED, P.EVALUATED, P.CANCELLED)
EDITABLE_FIELDS = (
    "title",
    "description",
    "area",
    "owner",
    "maintenance_owner",
    "planned_start",
    "planned_end",
    "contingency_rate",
)


@dataclass(frozen=True)
class ProjectMove:
    sources: frozenset[str]
    target: str
    stamp: str | None
    permission: str
    label: object
    needs_reason: bool = False


PROJECT_TRANSITIONS: dict[str, ProjectMove] = {
    "approve": ProjectMove(
        frozenset({P.DRAFT}),
        P.APPROVED,
        "approved_at",
        Action.PROJECT_APPROVE,
        gettext_lazy("Approve"),
    ),
    "start": ProjectMove(
        frozenset({P.APPROVED}),
        P.IN_PROGRESS,
        "started_at",
        Action.PROJECT_CHANGE,
        gettext_lazy("Start"),
    ),
    "complete": ProjectMove(
        frozenset({P.IN_PROGRESS}),
        P.COMPLETED,
        "completed_at",
        Action.PROJECT_APPROVE,
        gettext_lazy("Complete"),
    ),
    "evaluate": ProjectMove(
        frozenset({P.COMPLETED}),
        P.EVALUATED,
        "evaluated_at",
        Action.PROJECT_APPROVE,
        gettext_lazy("Mark evaluated"),
    ),
    "cancel": ProjectMove(
        frozenset({P.DRAFT, P.APPROVED, P.IN_PROGRESS}),
        P.CANCELLED,
        None,
        Action.PROJECT_APPROVE,
        gettext_lazy("Cancel"),
        needs_reason=True,
    ),
}


def _require(by: User, action: str, area: Area) -> None:
    if not can(by, action, area=area):
        raise PermissionDenied(_("You cannot manage projects of this community."))


def _require_open(project: Project) -> None:
    if project.status in CLOSED:
        raise IllegalTransition(_("A completed or cancelled project cannot be changed."))


def _validate(fields: dict[str, Any], needs: list[Need], resources: list[Resource]) -> None:
    area: Area = fields["area"]
    if area.level != Area.Level.COMMUNITY:
        raise InvalidInput(_("A project belongs to a community."), field="area")
    if fields["planned_end"] < fields["planned_start"]:
        raise InvalidInput(
            _("The planned end cannot be before the planned start."), field="planned_end"
        )
    rate = Decimal(str(fields.get("contingency_rate", "0.10")))
    if not Decimal("0.10") <= rate <= Decimal("0.15"):
        raise InvalidInput(
            _("The contingency must be between 10% and 15%."), field="contingency_rate"
        )
    owner: User = fields["owner"]
    owner_paths = RoleAssignment.objects.filter(user=owner).values_list("area__path", flat=True)
    if not any(area.path.startswith(p) or p.startswith(area.path) for p in owner_paths):
        raise InvalidInput(
            _("The owner must hold a role in this community or above it."), field="owner"
        )
    if any(n.community_id != area.pk for n in needs):
        raise InvalidInput(_("All needs must belong to the project's community."), field="needs")
    if any(not r.area.path.startswith(area.path) for r in resources):
        raise InvalidInput(
            _("All resources must serve the project's community."), field="resources"
        )


def create_project(
    *, by: User, needs: Iterable[Need] = (), resources: Iterable[Resource] = (), **fields: Any
) -> Project:
    """Draft a project in a community, with the needs it meets and the resources it uses."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    needs, resources = list(needs), list(resources)
    _require(by, Action.PROJECT_CHANGE, fields["area"])
    _validate(fields, needs, resources)
    with transaction.atomic():
        project = Project.objects.create(created_by=by, **fields)
        project.needs.set(needs)
        project.resources.set(resources)
        audit.record(
            action="project.created",
            actor=by,
            obj=project,
            area=project.area,
            data={
                "title": project.title,
                "needs": [n.tracking_number for n in needs],
                "resources": [r.pk for r in resources],
            },
        )
    return project


def update_project(
    *,
    project: Project,
    by: User,
    needs: Iterable[Need] | None = None,
    resources: Iterable[Resource] | None = None,
    **fields: Any,
) -> Project:
    """Edit an open project; the audit event lists what changed."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    merged = {name: fields.get(name, getattr(project, name)) for name in EDITABLE_FIELDS}
    _require(by, Action.PROJECT_CHANGE, merged["area"])
    need_list = list(needs) if needs is not None else list(project.needs.all())
    resource_list = list(resources) if resources is not None else list(project.resources.all())
    _validate(merged, need_list, resource_list)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        changes = changed_fields(locked, fields)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if needs is not None:
            before = sorted(locked.needs.values_list("pk", flat=True))
            if before != sorted(n.pk for n in need_list):
                locked.needs.set(need_list)
                changes["needs"] = [before, sorted(n.pk for n in need_list)]
        if resources is not None:
            before = sorted(locked.resources.values_list("pk", flat=True))
            if before != sorted(r.pk for r in resource_list):
                locked.resources.set(resource_list)
                changes["resources"] = [before, sorted(r.pk for r in resource_list)]
        if changes:
            audit.record(
                action="project.updated", actor=by, obj=locked, area=locked.area, data=changes
            )
    return locked


def allowed_project_actions(project: Project, user: User) -> list[tuple[str, ProjectMove]]:
    return [
        (name, move)
        for name, move in PROJECT_TRANSITIONS.items()
        if project.status in move.sources and can(user, move.permission, area=project.area)
    ]


def transition_project(
    *, project: Project, action: str, by: User, reason: str = "", now: datetime | None = None
) -> Project:
    """Move a project through draft → approved → in progress → completed → evaluated (or cancel)."""
    try:
        move = PROJECT_TRANSITIONS[action]
    except KeyError:
        raise InvalidInput(_("Unknown action."), field="action") from None
    _require(by, move.permission, project.area)
    reason = (reason or "").strip()
    if move.needs_reason and not reason:
        raise InvalidInput(_("Please give a reason."), field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.status not in move.sources:
            raise IllegalTransition(
                _("A project that is “%(status)s” cannot be moved by “%(action)s”.")
                % {"status": locked.get_status_display(), "action": move.label}
            )
        if action == "approve" and not locked.tasks.exists():
            raise IllegalTransition(_("Add at least one task before approving the project."))
        if action == "complete" and locked.tasks.filter(progress__lt=100).exists():
            raise IllegalTransition(_("All tasks must be complete before the project is."))
        previous = locked.status
        locked.status = move.target
        update_fields = ["status", "updated_at"]
        if move.stamp:
            setattr(locked, move.stamp, now)
            update_fields.append(move.stamp)
        if action == "cancel":
            locked.cancel_reason = reason
            update_fields.append("cancel_reason")
        locked.save(update_fields=update_fields)
        data = {"from": previous, "to": move.target}
        if reason:
            data["note"] = reason
        audit.record(action=f"project.{action}", actor=by, obj=locked, area=locked.area, data=data)
        if action == "complete":
            webhooks.emit(
                event="project.completed",
                area=locked.area,
                payload=lambda: {
                    "id": locked.pk,
                    "title": locked.title,
                    "community": locked.area.code,
                    "completed_at": now.isoformat(),
                },
            )
    return locked


def add_task(
    *,
    project: Project,
    by: User,
    title: str,
    start_date: date,
    due_date: date,
    owner: User | None = None,
    owner_name: str = "",
) -> ProjectTask:
    """Add a task with an owner and a due date to an open project."""
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    if due_date < start_date:
        raise InvalidInput(_("The due date cannot be before the start."), field="due_date")
    if owner is None and not owner_name.strip():
        raise InvalidInput(_("Name who owns the task."), field="owner_name")
    with transaction.atomic():
        task = ProjectTask.objects.create(
            project=project,
            title=title.strip(),
            start_date=start_date,
            due_date=due_date,
            owner=owner,
            owner_name=owner_name.strip(),
        )
        audit.record(
            action="project.task_added",
            actor=by,
            obj=project,
            area=project.area,
            data={"task": task.title, "start": str(start_date), "due": str(due_date)},
        )
    return task


def update_task_progress(
    *, task: ProjectTask, by: User, progress: int, now: datetime | None = None
) -> ProjectTask:
    """Report a task's progress (0–100 %); 100 % completes it."""
    project = task.project
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    if not 0 <= progress <= 100:
        raise InvalidInput(_("Progress is a percentage from 0 to 100."), field="progress")
    with transaction.atomic():
        locked = ProjectTask.objects.select_for_update().get(pk=task.pk)
        before = locked.progress
        locked.progress = progress
        locked.completed_at = (
            (locked.completed_at or now or timezone.now()) if progress == 100 else None
        )
        locked.save(update_fields=["progress", "completed_at"])
        if before != progress:
            audit.record(
                action="project.task_progress",
                actor=by,
                obj=project,
                area=project.area,
                data={"task": locked.title, "progress": [before, progress]},
            )
    return locked


def add_budget_line(
    *, project: Project, by: User, item: str, amount: Decimal, spent: Decimal = Decimal("0")
) -> BudgetLine:
    """Add an itemised budget line; the contingency is a rate on the project."""
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    if amount < 0 or spent < 0:
        raise InvalidInput(_("Amounts cannot be negative."), field="amount")
    with transaction.atomic():
        line = BudgetLine.objects.create(
            project=project, item=item.strip(), amount=amount, spent=spent
        )
        audit.record(
            action="project.budget_line_added",
            actor=by,
            obj=project,
            area=project.area,
            data={"item": line.item, "amount": str(amount), "spent": str(spent)},
        )
    return line


def record_spending(*, line: BudgetLine, by: User, spent: Decimal) -> BudgetLine:
    """Set what has been spent on a budget line so far (disclosed to residents)."""
    project = line.project
    _require(by, Action.PROJECT_CHANGE, project.area)
    if spent < 0:
        raise InvalidInput(_("Amounts cannot be negative."), field="spent")
    with transaction.atomic():
        locked = BudgetLine.objects.select_for_update().get(pk=line.pk)
        before = locked.spent
        locked.spent = spent
        locked.save(update_fields=["spent"])
        audit.record(
            action="project.spending_recorded",
            actor=by,
            obj=project,
            area=project.area,
            data={"item": locked.item, "spent": [str(before), str(spent)]},
        )
    return locked


def add_milestone(*, project: Project, by: User, title: str, due_date: date) -> Milestone:
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    with transaction.atomic():
        milestone = Milestone.objects.create(
            project=project, title=title.strip(), due_date=due_date
        )
        audit.record(
            action="project.milestone_added",
            actor=by,
            obj=project,
            area=project.area,
            data={"milestone": milestone.title, "due": str(due_date)},
        )
    return milestone


def reach_milestone(*, milestone: Milestone, by: User, now: datetime | None = None) -> Milestone:
    project = milestone.project
    _require(by, Action.PROJECT_CHANGE, project.area)
    _require_open(project)
    with transaction.atomic():
        locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if locked.reached_at is not None:
            raise IllegalTransition(_("This milestone has already been reached."))
        locked.reached_at = now or timezone.now()
        locked.save(update_fields=["reached_at"])
        audit.record(
            action="project.milestone_reached",
            actor=by,
            obj=project,
            area=project.area,
            data={"milestone": locked.title},
        )
    return locked
