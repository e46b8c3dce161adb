"""The resource form: parses input for resources.services.create_resource / update_resource."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area, User, validate_mobile_phone
from resources.models import (
    AvailabilitySlot,
    NeedCategory,
    ProviderType,
    Resource,
    ResourceKind,
    ResourceStatus,
    ResourceTier,
)
from resources.services.resources import EDITABLE_FIELDS

# Passed to the services as keyword arguments; categories go separately, and the status
# only on the edit form.
SERVICE_FIELDS = tuple(name for name in EDITABLE_FIELDS if name != "status")


class ResourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    provider_type = forms.ChoiceField(label=_("Provider type"), choices=ProviderType.choices)
    provider_name = forms.CharField(label=_("Provider"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    tier = forms.ChoiceField(
        label=_("Tier"), choices=ResourceTier.choices, initial=ResourceTier.BASE
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories served"),
        queryset=NeedCategory.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        initial=1,
        help_text=_("How many needs or people it can serve at once."),
    )
    availability = forms.MultipleChoiceField(
        label=_("Availability"),
        choices=AvailabilitySlot.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    area = forms.ModelChoiceField(label=_("Area served"), queryset=Area.objects.none())
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=11,
        required=False,
        validators=[validate_mobile_phone],
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    value_amount = forms.DecimalField(
        label=_("Value (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("Status"), choices=ResourceStatus.choices)

    def __init__(self, *args: Any, user: User, instance: Resource | None = None, **kwargs: Any):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user, Action.RESOURCE_CHANGE, levels=[Area.Level.COMMUNITY, Area.Level.GRID]
        ).order_by("path")
        if instance is None:
            # A new resource starts available; its status is changed when editing.
            del self.fields["status"]

    @staticmethod
    def initial_from(resource: Resource) -> dict[str, Any]:
        initial = {name: getattr(resource, name) for name in SERVICE_FIELDS if name != "area"}
        initial["area"] = resource.area_id
        initial["categories"] = [c.pk for c in resource.categories.all()]
        initial["availability"] = list(resource.availability or [])
        initial["status"] = resource.status
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as the services take them."""
        data = self.cleaned_data
        kwargs = {name: data[name] for name in SERVICE_FIELDS}
        kwargs["description"] = kwargs["description"] or ""
        kwargs["contact_name"] = kwargs["contact_name"] or ""
        kwargs["contact_phone"] = kwargs["contact_phone"] or ""
        kwargs["categories"] = list(data["categories"])
        if "status" in self.fields:
            kwargs["status"] = data["status"]
        return kwargs
