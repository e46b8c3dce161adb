"""Staff pages of the annual evaluation: rankings with red/black lists, a result's breakdown with
manual adjustments, on-demand computation, publication, and the scheme editor."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluation.annual.scoring import Weights
from evaluation.breakdown import breakdown_of
from evaluation.forms_annual import (
    AdjustmentForm,
    ResultsFilterForm,
    SchemeForm,
    YearAreaForm,
    this_year,
)
from evaluation.selectors_annual import (
    adjustments_of,
    evaluated_years,
    get_result,
    publication_of,
    ranking,
    results_for,
    scheme_for,
    schemes_for,
)
from evaluation.services.annual import (
    adjust_score,
    compute_on_demand,
    publish_results,
)
from evaluation.services.schemes import set_scheme
from portal.access import Action, can
from portal.errors import DomainError, InvalidInput, PermissionDenied
from portal.models import Area


def _require(user, action: str, message: str) -> None:
    if not can(user, action):
        raise PermissionDenied(message)


def _results_url(year: int, area: Area) -> str:
    return f"{reverse('evaluation:results')}?{urlencode({'year': year, 'area': area.code})}"


@login_required
@require_GET
def results(request):
    """The ranking of a street or a community for a year, members and units apart."""
    user = request.user
    _require(user, Action.EVALUATION_VIEW, _("You cannot view evaluation results."))
    years = evaluated_years(user)
    form = ResultsFilterForm(request.GET or None, user=user)
    year, area = form.chosen(default_year=years[0] if years else this_year())
    rows = ranking(results_for(user, year=year), area=area) if area else []
    street = None
    if area is not None:
        street = area if area.level == Area.Level.STREET else area.parent
    context = {
        "form": form,
        "year": year,
        "area": area,
        "street": street,
        "years": years,
        "member_rows": [row for row in rows if row.result.member_id],
        "unit_rows": [row for row in rows if row.result.unit_id],
        "publication": publication_of(street=street, year=year) if street else None,
        "can_compute": bool(street) and can(user, Action.EVALUATION_ADJUST, area=street),
        "can_publish": bool(street) and can(user, Action.EVALUATION_PUBLISH, area=street),
        "scheme": scheme_for(area=street, year=year) if street else None,
        "can_edit_schemes": can(user, Action.SETTING_CHANGE),
    }
    return render(request, "evaluation/annual_results.html", context)


def _result_page(request, result, form: AdjustmentForm, *, status: int = 200):
    publication = publication_of(street=result.street, year=result.year)
    return render(
        request,
        "evaluation/annual_result.html",
        {
            "result": result,
            "breakdown": breakdown_of(result),
            "adjustments": adjustments_of(result),
            "publication": publication,
            "can_adjust": publication is None
            and can(request.user, Action.EVALUATION_ADJUST, area=result.community),
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def result_detail(request, pk: int):
    """One subject's score: figures, indicator and category scores, adjustments, ranks."""
    return _result_page(request, get_result(user=request.user, pk=pk), AdjustmentForm())


@login_required
@require_POST
def result_adjust(request, pk: int):
    """A street officer adjusts a score, giving the reason."""
    result = get_result(user=request.user, pk=pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            adjust_score(
                result=result,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Score adjusted; ranks and lists are updated."))
            return redirect("evaluation:result_detail", pk=result.pk)
    return _result_page(request, result, form, status=400)


def _posted_area(request) -> tuple[int, Area]:
    form = YearAreaForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Choose a year and an area."))
    area = Area.objects.filter(code=form.cleaned_data["area"]).first()
    if area is None:
        raise InvalidInput(_("Choose a year and an area."))
    return form.cleaned_data["year"], area


@login_required
@require_POST
def compute(request):
    """Recompute the year for the chosen street (a community's whole street)."""
    year, area = _posted_area(request)
    try:
        counts = compute_on_demand(year=year, area=area, by=request.user)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if counts["skipped_published"]:
            messages.warning(request, _("These results are published and can no longer change."))
        else:
            messages.success(
                request,
                _("Computed %(count)s results from the year's records.")
                % {"count": counts["results"]},
            )
        if counts.get("kept_frozen"):
            messages.info(
                request,
                _(
                    "%(count)s members or units who moved here keep the published result of "
                    "their former street."
                )
                % {"count": counts["kept_frozen"]},
            )
    return redirect(_results_url(year, area))


@login_required
@require_POST
def publish(request):
    """Publish a street's results of the year to the people of the street."""
    year, area = _posted_area(request)
    try:
        publish_results(street=area, year=year, by=request.user)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Results published to the street."))
    return redirect(_results_url(year, area))


@login_required
@require_http_methods(["GET", "POST"])
def schemes(request):
    """District officials and city administrators set weights and list rules."""
    _require(request.user, Action.SETTING_CHANGE, _("You cannot change evaluation schemes."))
    form = SchemeForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_scheme(
                    area=data["area"],
                    year=data["year"],
                    weights=Weights(
                        input_output=data["weight_input_output"],
                        satisfaction=data["weight_satisfaction"],
                        social_benefit=data["weight_social_benefit"],
                        sustainability=data["weight_sustainability"],
                    ),
                    pass_mark=data["pass_mark"],
                    red_top_n=data["red_top_n"],
                    red_threshold=data["red_threshold"],
                    black_bottom_n=data["black_bottom_n"],
                    by=request.user,
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Evaluation scheme saved."))
                return redirect("evaluation:schemes")
        status = 400
    return render(
        request,
        "evaluation/annual_schemes.html",
        {"form": form, "schemes": schemes_for(request.user)},
        status=status,
    )
