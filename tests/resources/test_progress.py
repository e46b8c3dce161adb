"""Red/amber/green progress warnings for project tasks and projects."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.models import Setting
from resources.models import Project
from resources.progress import RAG, TaskPlan, planned_fraction, project_status, task_status
from resources.selectors import project_rag
from tests.factories import ProjectFactory, TaskFactory

# A ten-day task: 1–10 March inclusive. By the end of 5 March half of it should be done.
START, DUE = date(2025, 3, 1), date(2025, 3, 10)


MIDWAY = date(2025, 3, 5)


def plan(progress, *, done=False, start=START, due=DUE):
    return TaskPlan(start=start, due=due, progress=progress, done=done)


def test_nothing_is_planned_before_the_task_starts():
    assert planned_fraction(plan(0), START - timedelta(days=1)) == 0.0


def test_the_plan_grows_by_one_share_a_day_including_the_first():
    assert planned_fraction(plan(0), START) == pytest.approx(0.1)
    assert planned_fraction(plan(0), MIDWAY) == pytest.approx(0.5)


def test_the_whole_task_is_planned_by_the_due_date_and_after():
    assert planned_fraction(plan(0), DUE) == 1.0
    assert planned_fraction(plan(0), DUE + timedelta(days=5)) == 1.0


def test_a_task_on_plan_is_green():
    assert task_status(plan(50), MIDWAY) is RAG.GREEN


def test_a_task_ahead_of_plan_is_green():
    assert task_status(plan(90), MIDWAY) is RAG.GREEN


def test_a_task_lagging_by_exactly_10_percent_is_still_green():
    assert task_status(plan(40), MIDWAY) is RAG.GREEN


def test_a_task_lagging_by_more_than_10_percent_of_its_duration_is_amber():
    assert task_status(plan(39), MIDWAY) is RAG.AMBER


def test_an_unfinished_task_past_its_due_date_is_red():
    assert task_status(plan(95), DUE + timedelta(days=1)) is RAG.RED


def test_an_unfinished_task_on_its_due_date_is_not_yet_red():
    assert task_status(plan(95), DUE) is RAG.GREEN


def test_a_done_task_is_green_even_when_overdue():
    assert task_status(plan(60, done=True), DUE + timedelta(days=30)) is RAG.GREEN


def test_a_task_at_100_percent_is_green_even_when_overdue():
    assert task_status(plan(100), DUE + timedelta(days=30)) is RAG.GREEN


def test_a_task_not_yet_started_is_green():
    assert task_status(plan(0), START - timedelta(days=1)) is RAG.GREEN


def test_a_one_day_task_is_due_in_full_on_its_day():
    one_day = plan(0, start=MIDWAY, due=MIDWAY)

    assert task_status(one_day, MIDWAY) is RAG.AMBER
    assert task_status(one_day, MIDWAY + timedelta(days=1)) is RAG.RED


def test_the_amber_threshold_is_a_parameter():
    assert task_status(plan(30), MIDWAY, amber_lag=Decimal("0.25")) is RAG.GREEN
    assert task_status(plan(20), MIDWAY, amber_lag=Decimal("0.25")) is RAG.AMBER


@pytest.mark.parametrize(
    ("progress", "today", "expected"),
    [
        (0, date(2025, 3, 1), RAG.GREEN),  # 10 % planned, lag exactly 10 %
        (0, date(2025, 3, 2), RAG.AMBER),  # 20 % planned
        (10, date(2025, 3, 2), RAG.GREEN),
        (60, date(2025, 3, 8), RAG.AMBER),  # 80 % planned, lag 20 %
        (70, date(2025, 3, 8), RAG.GREEN),
        (89, date(2025, 3, 10), RAG.AMBER),
        (90, date(2025, 3, 10), RAG.GREEN),
        (99, date(2025, 3, 11), RAG.RED),
    ],
)
def test_task_status_table(progress, today, expected):
    assert task_status(plan(progress), today) is expected


def test_a_project_without_tasks_is_green():
    assert project_status([], MIDWAY) is RAG.GREEN


def test_a_project_takes_the_worst_status_of_its_tasks():
    tasks = [plan(50), plan(30), plan(100)]

    assert project_status(tasks, MIDWAY) is RAG.AMBER
    assert project_status([*tasks, plan(0, due=MIDWAY - timedelta(days=1))], MIDWAY) is RAG.RED


def test_the_colours_order_from_best_to_worst_and_name_their_css_class():
    assert RAG.GREEN < RAG.AMBER < RAG.RED
    assert [r.css for r in RAG] == ["green", "amber", "red"]


# The selector that reads a project's tasks ----------------------------------------------------


@pytest.fixture
def running_project(tree, worker):
    project = ProjectFactory(area=tree["a"], owner=worker, status=Project.Status.IN_PROGRESS)
    TaskFactory(project=project, start_date=START, due_date=DUE, progress=35)
    return project


def test_project_rag_reads_the_projects_tasks(running_project):
    assert project_rag(running_project, today=MIDWAY) is RAG.AMBER


def test_project_rag_follows_the_areas_amber_lag_setting(tree, running_project):
    Setting.objects.create(key="project.amber_lag", area=tree["street1"], value="0.20")

    assert project_rag(running_project, today=MIDWAY) is RAG.GREEN


@pytest.mark.parametrize("status", [Project.Status.DRAFT, Project.Status.COMPLETED])
def test_project_rag_is_green_for_projects_not_under_way(running_project, status):
    running_project.status = status

    assert project_rag(running_project, today=DUE + timedelta(days=5)) is RAG.GREEN
