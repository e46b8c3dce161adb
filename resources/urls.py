from django.urls import path

from resources.views import (
    attachments,
    dashboard,
    exports,
    matches,
    needs,
    projects,
    public,
    public_rating,
    resource_list,
)

app_name = "resources"

urlpatterns = [
    # Residents, no sign-in.
    path("needs/new/", public.need_form, name="public_need_form"),
    path("needs/submitted/", public.need_submitted, name="need_submitted"),
    path("track/", public.track_need, name="track_need"),
    path("track/rate/", public_rating.rate_need, name="rate_need"),
    path("track/rate-project/", public_rating.rate_project, name="rate_project"),
    # Staff.
    path("staff/", dashboard.dashboard, name="dashboard"),
    path("staff/needs/", needs.need_list, name="need_list"),
    path("staff/needs/export.xlsx", exports.need_export, name="need_export"),
    path("staff/needs/new/", needs.need_proxy_create, name="need_proxy_create"),
    path("staff/needs/<int:pk>/", needs.need_detail, name="need_detail"),
    path("staff/needs/<int:pk>/act/<slug:action>/", needs.need_transition, name="need_transition"),
    path("staff/needs/<int:pk>/reveal-phone/", needs.need_reveal_phone, name="need_reveal_phone"),
    path(
        "staff/needs/<int:pk>/attachments/<int:attachment_pk>/",
        attachments.need_attachment,
        name="need_attachment",
    ),
    path("staff/matches/", matches.match_list, name="match_list"),
    path("staff/matches/<int:pk>/accept/", matches.match_accept, name="match_accept"),
    path("staff/matches/<int:pk>/reject/", matches.match_reject, name="match_reject"),
    path("staff/resources/", resource_list.resource_list, name="resource_list"),
    path("staff/resources/export.xlsx", exports.resource_export, name="resource_export"),
    path("staff/resources/new/", resource_list.resource_create, name="resource_create"),
    path("staff/resources/<int:pk>/", resource_list.resource_detail, name="resource_detail"),
    path("staff/resources/<int:pk>/edit/", resource_list.resource_edit, name="resource_edit"),
    path("staff/projects/", projects.project_list, name="project_list"),
    path("staff/projects/export.xlsx", exports.project_export, name="project_export"),
    path("staff/projects/new/", projects.project_create, name="project_create"),
    path("staff/projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("staff/projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path(
        "staff/projects/<int:pk>/act/<slug:action>/",
        projects.project_transition,
        name="project_transition",
    ),
    path("staff/projects/<int:pk>/tasks/", projects.task_add, name="task_add"),
    path(
        "staff/projects/<int:pk>/tasks/<int:task_pk>/progress/",
        projects.task_progress,
        name="task_progress",
    ),
    path("staff/projects/<int:pk>/budget/", projects.budget_line_add, name="budget_line_add"),
    path(
        "staff/projects/<int:pk>/budget/<int:line_pk>/spent/",
        projects.budget_spent,
        name="budget_spent",
    ),
    path("staff/projects/<int:pk>/milestones/", projects.milestone_add, name="milestone_add"),
    path(
        "staff/projects/<int:pk>/milestones/<int:milestone_pk>/reached/",
        projects.milestone_reached,
        name="milestone_reached",
    ),
]
