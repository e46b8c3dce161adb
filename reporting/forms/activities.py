"""Forms and the list filter of the activity pages; they parse input for
reporting.services.activities."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.forms import UserChoiceField
from portal.models import Area, User
from portal.selectors import role_holders
from reporting.models import Activity, ActivityStatus
from resources.filters.resources import SortFilter
from resources.models import Need, NeedCategory, Project
from resources.selectors import needs_for, projects_for

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def organiser_choices(user: User) -> QuerySet[User]:
    """Active users holding a role in the areas where ``user`` runs activities, and ``user``.

    The service checks the exact rule (a role in the activity's community or above it).
    """
    holders = role_holders(user=user, action=Action.ACTIVITY_MANAGE)
    return (holders | User.objects.filter(pk=user.pk, is_active=True)).order_by(
        "real_name", "username"
    )


class NeedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Need) -> str:
        return f"{obj.tracking_number} {obj.title}"


class ActivityForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Area.objects.none())
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=NeedCategory.objects.none(), required=False
    )
    need = NeedChoiceField(label=_("Linked need"), queryset=Need.objects.none(), required=False)
    project = forms.ModelChoiceField(
        label=_("Linked project"), queryset=Project.objects.none(), required=False
    )
    venue = forms.CharField(label=_("Venue"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME_INPUT)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME_INPUT)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10_000)
    organiser = UserChoiceField(label=_("Organiser"), queryset=User.objects.none())
    geofence_latitude = forms.DecimalField(
        label=_("Geofence centre latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        help_text=_("Leave the geofence empty to allow check-in from anywhere."),
    )
    geofence_longitude = forms.DecimalField(
        label=_("Geofence centre longitude"), required=False, max_digits=9, decimal_places=6
    )
    geofence_radius_m = forms.IntegerField(
        label=_("Geofence radius (m)"),
        required=False,
        min_value=1,
        help_text=_("Empty: the area's default radius."),
    )

    def __init__(self, *args: Any, user: User, instance: Activity | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        elif "initial" not in kwargs:
            kwargs["initial"] = {"organiser": user.pk}
        super().__init__(*args, **kwargs)
        if instance is not None:
            # An activity stays in its community; members enrolled there signed up for it.
            del self.fields["community"]
        else:
            self.fields["community"].queryset = areas_for(
                user, Action.ACTIVITY_MANAGE, levels=[Area.Level.COMMUNITY]
            ).order_by("path")
        self.fields["category"].queryset = NeedCategory.objects.filter(is_active=True)
        linked_need = [instance.need_id] if instance and instance.need_id else []
        self.fields["need"].queryset = (
            needs_for(user)
            .filter(Q(status__in=Need.OPEN_STATUSES) | Q(pk__in=linked_need))
            .order_by("-submitted_at")
        )
        self.fields["project"].queryset = (
            projects_for(user).prefetch_related(None).order_by("title", "id")
        )
        self.fields["organiser"].queryset = organiser_choices(user)

    @staticmethod
    def initial_from(activity: Activity) -> dict[str, Any]:
        return {
            "title": activity.title,
            "description": activity.description,
            "category": activity.category_id,
            "need": activity.need_id,
            "project": activity.project_id,
            "venue": activity.venue,
            "starts_at": timezone.localtime(activity.starts_at),
            "ends_at": timezone.localtime(activity.ends_at),
            "capacity": activity.capacity,
            "organiser": activity.organiser_id,
            "geofence_latitude": activity.geofence_latitude,
            "geofence_longitude": activity.geofence_longitude,
            "geofence_radius_m": activity.geofence_radius_m,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The activity must end after it starts."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """cleaned_data as keyword arguments of create_activity / update_activity."""
        return {name: value for name, value in self.cleaned_data.items() if name != "community"}


class CancelActivityForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _communities_in_view(request) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return areas_for(request.user, Action.ACTIVITY_VIEW, levels=[Area.Level.COMMUNITY])


class ActivityFilter(django_filters.FilterSet):
    """Narrows an already scoped queryset (selectors_activities.activity_list_for)."""

    WHEN_CHOICES = (("upcoming", _("Upcoming")), ("past", _("Past")))

    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title")}),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), queryset=_communities_in_view, empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ActivityStatus.choices, empty_label=_("Any")
    )
    when = django_filters.ChoiceFilter(
        label=_("When"), choices=WHEN_CHOICES, method="filter_when", empty_label=_("Any")
    )
    starts_from = django_filters.DateFilter(
        label=_("From"), field_name="starts_at", lookup_expr="date__gte", widget=DATE_INPUT
    )
    starts_to = django_filters.DateFilter(
        label=_("To"), field_name="starts_at", lookup_expr="date__lte", widget=DATE_INPUT
    )
    sort = SortFilter(
        columns={"starts_at": "starts_at", "title": "title", "signed_up": "signed_up"}
    )

    class Meta:
        fields: list[str] = []

    def filter_when(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        if value == "upcoming":
            return qs.filter(ends_at__gt=now)
        if value == "past":
            return qs.filter(ends_at__lte=now)
        return qs
