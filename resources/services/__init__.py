"""Every write to the three lists. Views, the API, imports and tasks call these; nothing else saves."""

from resources.services.needs import (
    TRANSITIONS,
    allowed_actions,
    reveal_requester_phone,
    submit_need,
    transition_need,
)
from resources.services.projects import (
    PROJECT_TRANSITIONS,
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
from resources.services.resources import create_resource, update_resource

__all__ = [
    "PROJECT_TRANSITIONS",
    "TRANSITIONS",
    "add_budget_line",
    "add_milestone",
    "add_task",
    "allowed_actions",
    "allowed_project_actions",
    "create_project",
    "create_resource",
    "reach_milestone",
    "record_spending",
    "reveal_requester_phone",
    "submit_need",
    "transition_need",
    "transition_project",
    "update_project",
    "update_resource",
    "update_task_progress",
]
