"""Staff pages of the project list (项目清单): list, detail, create and edit, and the small
POST actions of the detail page (transitions, tasks, milestones, budget lines)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.access import Action, can
from portal.audit import history_for
from portal.errors import DomainError, PermissionDenied
from portal.services import get_setting
from resources.filters.projects import ProjectFilter
from resources.forms.projects import (
    BudgetLineForm,
    MilestoneForm,
    ProjectForm,
    SpendingForm,
    TaskForm,
    TaskProgressForm,
    TransitionForm,
    rate_to_percent,
)
from resources.models import BudgetLine, Project, ProjectTask
from resources.progress import RAG
from resources.selectors import (
    get_project,
    need_named_in_query,
    primary_area,
    project_list_for,
    project_rag,
    task_rag,
)
from resources.services import (
    add_budget_line,
    add_milestone,
    add_task,
    allowed_project_actions,
    create_project,
    reach_milestone,
    record_spending,
    transition_project,
    update_project,
    update_task_progress,
)
from resources.services.projects import CLOSED
from resources.views.resource_list import forbidden, timeline

PAGE_SIZE = 25
CENT = Decimal("0.01")

RAG_LABELS = {
    RAG.GREEN: gettext_lazy("On track"),
    RAG.AMBER: gettext_lazy("Lagging"),
    RAG.RED: gettext_lazy("Overdue"),
}

EVENT_LABELS = {
    "project.created": gettext_lazy("Created"),
    "project.updated": gettext_lazy("Edited"),
    "project.approve": gettext_lazy("Approved"),
    "project.start": gettext_lazy("Started"),
    "project.complete": gettext_lazy("Completed"),
    "project.evaluate": gettext_lazy("Marked evaluated"),
    "project.cancel": gettext_lazy("Cancelled"),
    "project.task_added": gettext_lazy("Task added"),
    "project.task_progress": gettext_lazy("Task progress reported"),
    "project.budget_line_added": gettext_lazy("Budget line added"),
    "project.spending_recorded": gettext_lazy("Spending recorded"),
    "project.milestone_added": gettext_lazy("Milestone added"),
    "project.milestone_reached": gettext_lazy("Milestone reached"),
}


@dataclass(frozen=True)
class Budget:
    subtotal: Decimal
    spent: Decimal
    rate: Decimal
    contingency: Decimal
    total: Decimal

    @classmethod
    def of(cls, subtotal: Decimal, rate: Decimal, spent: Decimal = Decimal("0")) -> Budget:
        contingency = (subtotal * rate).quantize(CENT)
        return cls(subtotal, spent, rate, contingency, subtotal + contingency)

    @property
    def percent(self) -> Decimal:
        return rate_to_percent(self.rate)


@dataclass(frozen=True)
class Signal:
    """A red/amber/green dot with its words, for people who cannot tell the colours apart."""

    rag: RAG

    @property
    def css(self) -> str:
        return self.rag.css

    @property
    def label(self) -> str:
        return str(RAG_LABELS[self.rag])


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    signal: Signal
    tasks_done: int
    tasks_total: int
    budget: Budget


@dataclass(frozen=True)
class TaskRow:
    task: ProjectTask
    signal: Signal


def _amber_lag(user) -> Any:
    area = primary_area(user, Action.PROJECT_VIEW)
    if area is None:
        return settings.BAODAO_DEFAULTS["project.amber_lag"]
    return get_setting("project.amber_lag", area=area)


def _is_done(task: ProjectTask) -> bool:
    return task.completed_at is not None or task.progress >= 100


def _posted(request):
    return request.POST if request.method == "POST" else None


@login_required
def project_list(request):
    """Projects in the user's reach with their progress signal, tasks done and budget."""
    if not can(request.user, Action.PROJECT_VIEW):
        return forbidden(request, _("You cannot view the project list."))
    queryset = project_list_for(request.user)
    filterset = ProjectFilter(request.GET, queryset=queryset, request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # One setting lookup for the page, not one per project.
    amber_lag = _amber_lag(request.user)
    today = timezone.localdate()
    rows = []
    for project in page:
        tasks = project.tasks.all()  # prefetched by projects_for
        rows.append(
            ProjectRow(
                project=project,
                signal=Signal(project_rag(project, today=today, amber_lag=amber_lag)),
                tasks_done=sum(1 for t in tasks if _is_done(t)),
                tasks_total=len(tasks),
                budget=Budget.of(project.budget_subtotal, project.contingency_rate),
            )
        )
    return render(
        request,
        "resources/project_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "rows": rows,
            "sort": request.GET.get("sort", ""),
            "can_create": can(request.user, Action.PROJECT_CHANGE),
        },
    )


@login_required
def project_detail(request, pk: int):
    project = get_project(user=request.user, pk=pk)
    user = request.user
    today = timezone.localdate()
    amber_lag = get_setting("project.amber_lag", area=project.area)
    lines = list(project.budget_lines.all())
    can_change = can(user, Action.PROJECT_CHANGE, area=project.area)
    is_open = project.status not in CLOSED
    editable = can_change and is_open
    return render(
        request,
        "resources/project_detail.html",
        {
            "project": project,
            "signal": Signal(project_rag(project, today=today, amber_lag=amber_lag)),
            "tasks": [
                TaskRow(t, Signal(task_rag(t, today, amber_lag))) for t in project.tasks.all()
            ],
            "milestones": project.milestones.all(),
            "lines": lines,
            "budget": Budget.of(
                sum((line.amount for line in lines), Decimal("0")),
                project.contingency_rate,
                sum((line.spent for line in lines), Decimal("0")),
            ),
            "actions": allowed_project_actions(project, user),
            "can_change": can_change,
            "editable": editable,
            # Distinct ids: several small forms share field names on one page.
            "task_form": TaskForm(user=user, auto_id="task_%s") if editable else None,
            "milestone_form": MilestoneForm(auto_id="milestone_%s") if editable else None,
            "budget_form": BudgetLineForm(auto_id="budget_%s") if editable else None,
            "history": timeline(history_for(project), EVENT_LABELS),
        },
    )


def _save_project(request, form, save: Callable[[dict[str, Any]], Project], success: str):
    """Validate, call the service, and either redirect or return the status to re-render with."""
    if not form.is_valid():
        return None, 400
    try:
        project = save(form.service_kwargs())
    except PermissionDenied:
        raise
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None, 400
    messages.success(request, success)
    return redirect("resources:project_detail", pk=project.pk), 200


def _initial_from_match(request) -> dict:
    """Prefill from an accepted match (?need=&resource=): the need, its community and title.
    Ids outside the user's reach are ignored (the form's scoped choices refuse them anyway)."""
    need = need_named_in_query(request.user, request.GET.get("need", ""))
    resource_id = request.GET.get("resource", "")
    if need is None:
        return {}
    initial = {"needs": [need.pk], "area": need.community_id, "title": need.title}
    if resource_id.isdigit():
        initial["resources"] = [int(resource_id)]
    return initial


@login_required
def project_create(request):
    user = request.user
    if not can(user, Action.PROJECT_CHANGE):
        return forbidden(request, _("You cannot create projects."))
    initial = {"owner": user.pk, **_initial_from_match(request)}
    form = ProjectForm(_posted(request), user=user, initial=initial)
    status = 200
    if request.method == "POST":
        response, status = _save_project(
            request, form, lambda kwargs: create_project(by=user, **kwargs), _("Project drafted.")
        )
        if response is not None:
            return response
    return render(request, "resources/project_form.html", {"form": form}, status=status)


@login_required
def project_edit(request, pk: int):
    user = request.user
    # 404 when out of view reach; 403 when it can be seen but not changed.
    project = get_project(user=user, pk=pk)
    if not can(user, Action.PROJECT_CHANGE, area=project.area):
        return forbidden(request, _("You cannot edit projects of this community."))
    form = ProjectForm(_posted(request), user=user, instance=project)
    status = 200
    if request.method == "POST":
        response, status = _save_project(
            request,
            form,
            lambda kwargs: update_project(project=project, by=user, **kwargs),
            _("Project saved."),
        )
        if response is not None:
            return response
    return render(
        request, "resources/project_form.html", {"form": form, "project": project}, status=status
    )


# --- POST actions of the detail page -------------------------------------------------------


def _form_errors(form) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        label = form.fields[name].label if name in form.fields else None
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


def _one_of(items: Iterable[Any], pk: int):
    """The project's own task, milestone or budget line with this id (prefetched), else 404."""
    for item in items:
        if item.pk == pk:
            return item
    raise Http404


def _act(
    request,
    project: Project,
    form: forms.Form,
    call: Callable[[dict[str, Any]], Any],
    success: str | Callable[[Any], str],
):
    """Validate, call one service; report the outcome as a message on the detail page.

    A PermissionDenied propagates so that the middleware answers 403.
    """
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            result = call(form.cleaned_data)
        except PermissionDenied:
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, success(result) if callable(success) else success)
    return redirect("resources:project_detail", pk=project.pk)


def _post_only(view):
    """405 for anything but POST, before sign-in is even checked."""
    return require_POST(login_required(view))


@_post_only
def project_transition(request, pk: int, action: str):
    project = get_project(user=request.user, pk=pk)
    return _act(
        request,
        project,
        TransitionForm(request.POST),
        lambda data: transition_project(
            project=project, action=action, by=request.user, reason=data["reason"]
        ),
        lambda moved: (
            _("The project is now “%(status)s”.") % {"status": moved.get_status_display()}
        ),
    )


@_post_only
def task_add(request, pk: int):
    project = get_project(user=request.user, pk=pk)
    form = TaskForm(request.POST, user=request.user)
    return _act(
        request,
        project,
        form,
        lambda data: add_task(
            project=project,
            by=request.user,
            title=data["title"],
            start_date=data["start_date"],
            due_date=data["due_date"],
            owner=data["owner"],
            owner_name=data["owner_name"],
        ),
        _("Task added."),
    )


@_post_only
def task_progress(request, pk: int, task_pk: int):
    project = get_project(user=request.user, pk=pk)
    task = _one_of(project.tasks.all(), task_pk)
    return _act(
        request,
        project,
        TaskProgressForm(request.POST),
        lambda data: update_task_progress(task=task, by=request.user, progress=data["progress"]),
        _("Progress saved."),
    )


@_post_only
def budget_line_add(request, pk: int):
    project = get_project(user=request.user, pk=pk)
    return _act(
        request,
        project,
        BudgetLineForm(request.POST),
        lambda data: add_budget_line(
            project=project,
            by=request.user,
            item=data["item"],
            amount=data["amount"],
            spent=data["spent"] if data["spent"] is not None else Decimal("0"),
        ),
        _("Budget line added."),
    )


@_post_only
def budget_spent(request, pk: int, line_pk: int):
    project = get_project(user=request.user, pk=pk)
    line: BudgetLine = _one_of(project.budget_lines.all(), line_pk)
    return _act(
        request,
        project,
        SpendingForm(request.POST),
        lambda data: record_spending(line=line, by=request.user, spent=data["spent"]),
        _("Spending recorded."),
    )


@_post_only
def milestone_add(request, pk: int):
    project = get_project(user=request.user, pk=pk)
    return _act(
        request,
        project,
        MilestoneForm(request.POST),
        lambda data: add_milestone(
            project=project, by=request.user, title=data["title"], due_date=data["due_date"]
        ),
        _("Milestone added."),
    )


@_post_only
def milestone_reached(request, pk: int, milestone_pk: int):
    project = get_project(user=request.user, pk=pk)
    milestone = _one_of(project.milestones.all(), milestone_pk)
    return _act(
        request,
        project,
        forms.Form(request.POST),
        lambda data: reach_milestone(milestone=milestone, by=request.user),
        _("Milestone reached."),
    )
