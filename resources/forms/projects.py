"""Forms of the project pages; they parse input for resources.services.projects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.forms import UserChoiceField
from portal.models import Area, User
from portal.selectors import role_holders
from resources.models import Need, Project, Resource
from resources.selectors import needs_for, resources_for

PERCENT = Decimal("100")
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def rate_to_percent(rate: Decimal) -> Decimal:
    """0.125 → 12.5 and 0.100 → 10, for display and form input (no exponent notation)."""
    percent = rate * PERCENT
    if percent == percent.to_integral_value():
        return percent.quantize(Decimal("1"))
    return percent.quantize(Decimal("0.1"))


def owner_choices(user: User) -> QuerySet[User]:
    """Active users holding a role anywhere in ``user``'s project reach (one query)."""
    return role_holders(user=user, action=Action.PROJECT_VIEW)


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    area = forms.ModelChoiceField(label=_("Community"), queryset=Area.objects.none())
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none())
    maintenance_owner = forms.CharField(
        label=_("Maintenance owner"),
        max_length=120,
        required=False,
        help_text=_("Who looks after the result once the project is done."),
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=DATE_INPUT)
    planned_end = forms.DateField(label=_("Planned end"), widget=DATE_INPUT)
    contingency_percent = forms.DecimalField(
        label=_("Contingency (%)"),
        min_value=Decimal("10"),
        max_value=Decimal("15"),
        max_digits=4,
        decimal_places=1,
        initial=Decimal("10"),
        help_text=_("Between 10% and 15% of the itemised budget."),
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("Needs met"), queryset=Need.objects.none(), required=False
    )
    resources = forms.ModelMultipleChoiceField(
        label=_("Resources used"), queryset=Resource.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, instance: Project | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user, Action.PROJECT_CHANGE, levels=[Area.Level.COMMUNITY]
        ).order_by("path")
        self.fields["owner"].queryset = owner_choices(user)
        linked_needs = [n.pk for n in instance.needs.all()] if instance else []
        linked_resources = [r.pk for r in instance.resources.all()] if instance else []
        # Open needs can be taken on; those already linked stay selectable whatever their state.
        self.fields["needs"].queryset = needs_for(user).filter(
            Q(status__in=Need.OPEN_STATUSES) | Q(pk__in=linked_needs)
        )
        self.fields["resources"].queryset = (
            resources_for(user)
            .prefetch_related(None)
            .filter(~Q(status=Resource.Status.RETIRED) | Q(pk__in=linked_resources))
            .order_by("name", "id")
        )

    @staticmethod
    def initial_from(project: Project) -> dict[str, Any]:
        return {
            "title": project.title,
            "description": project.description,
            "area": project.area_id,
            "owner": project.owner_id,
            "maintenance_owner": project.maintenance_owner,
            "planned_start": project.planned_start,
            "planned_end": project.planned_end,
            "contingency_percent": rate_to_percent(project.contingency_rate),
            "needs": [n.pk for n in project.needs.all()],
            "resources": [r.pk for r in project.resources.all()],
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end cannot be before the planned start."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as create_project / update_project take them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"] or "",
            "area": data["area"],
            "owner": data["owner"],
            "maintenance_owner": data["maintenance_owner"] or "",
            "planned_start": data["planned_start"],
            "planned_end": data["planned_end"],
            "contingency_rate": data["contingency_percent"] / PERCENT,
            "needs": list(data["needs"]),
            "resources": list(data["resources"]),
        }


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=120)
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    owner_name = forms.CharField(
        label=_("Or owner's name"),
        max_length=60,
        required=False,
        help_text=_("When the owner has no account."),
    )
    start_date = forms.DateField(label=_("Start"), widget=DATE_INPUT)
    due_date = forms.DateField(label=_("Due"), widget=DATE_INPUT)

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(user)


class TaskProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=120)
    due_date = forms.DateField(label=_("Due"), widget=DATE_INPUT)


class BudgetLineForm(forms.Form):
    item = forms.CharField(label=_("Item"), max_length=120)
    amount = forms.DecimalField(
        label=_("Budgeted (yuan)"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    spent = forms.DecimalField(
        label=_("Spent (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )


class SpendingForm(forms.Form):
    spent = forms.DecimalField(
        label=_("Spent (yuan)"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
