"""Public disclosure (阳光社区), no sign-in: every community's projects with budgets, spending
and milestones, the decisions of its joint meetings, and a summary of how its needs were met.
Nothing personal is shown (see evaluation.selectors_disclosure)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evaluation.selectors_disclosure import (
    disclosed_projects,
    joint_meeting_decisions,
    kpi_summary,
    project_totals,
    public_communities,
    public_community,
    rolled_up_kpis,
)

PAGE_SIZE = 100


@require_GET
def community_index(request):
    """Every community, by street, each linking to its page."""
    page = Paginator(public_communities(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evaluation/public_communities.html", {"page_obj": page})


@require_GET
def community_page(request, code: str):
    """One community's public page."""
    community = public_community(code)
    projects = disclosed_projects(community)
    rolled_up_to, kpi_figures = rolled_up_kpis(community)
    return render(
        request,
        "evaluation/public_community.html",
        {
            "community": community,
            "projects": projects,
            "totals": project_totals(projects),
            "decisions": joint_meeting_decisions(community),
            "kpis": kpi_summary(community),
            "rolled_up_to": rolled_up_to,
            "kpi_figures": kpi_figures,
        },
    )
