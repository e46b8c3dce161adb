"""Forms for the needs pages: the resident form, proxy entry, tracking and state-machine steps."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for, can
from portal.models import Area, validate_mobile_phone
from portal.selectors import communities_by_street
from resources.models import AvailabilitySlot, Channel, NeedCategory, TargetGroup, Urgency
from resources.selectors import needs_for
from resources.uploads import ALLOWED_TYPES, CleanUpload, clean_upload

STAFF_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.ONLINE]


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        validators=[validate_mobile_phone],
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "maxlength": 11}
        ),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by ``resources.uploads.clean_upload``."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        # A hint for the file picker only; what a file is gets decided from its bytes.
        self.widget.attrs.setdefault("accept", ",".join(ALLOWED_TYPES))

    def clean(self, data, initial=None) -> list[CleanUpload]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        limit = settings.BAODAO_UPLOAD_MAX_FILES
        if len(files) > limit:
            raise ValidationError(
                _("Attach at most %(max)s files.") % {"max": limit}, code="too_many"
            )
        errors: list[ValidationError] = []
        cleaned: list[CleanUpload] = []
        for upload in files:
            try:
                super().clean(upload, initial)
                cleaned.append(clean_upload(upload))
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _attachments_field() -> AttachmentsField:
    return AttachmentsField(
        label=_("Photos or documents (optional)"),
        help_text=_(
            "Up to %(files)s files of at most %(mb)s MB each: JPEG, PNG or WebP photos, or PDF."
        )
        % {
            "files": settings.BAODAO_UPLOAD_MAX_FILES,
            "mb": settings.BAODAO_UPLOAD_MAX_BYTES // (1024 * 1024),
        },
    )


class NeedFieldsMixin(forms.Form):
    """The fields a resident and a worker both fill in."""

    category = forms.ModelChoiceField(
        label=_("What kind of help"),
        queryset=NeedCategory.objects.filter(is_active=True),
        empty_label=_("Choose…"),
    )
    title = forms.CharField(label=_("In one line"), max_length=120)
    description = forms.CharField(
        label=_("Details"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who needs help, with what, and when."),
    )
    target_group = forms.ChoiceField(
        label=_("Who is it for"), choices=TargetGroup.choices, initial=TargetGroup.GENERAL
    )
    availability = forms.MultipleChoiceField(
        label=_("Good times for the help (optional)"),
        choices=AvailabilitySlot.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Helps us find a volunteer or venue free at those times."),
    )
    requester_name = forms.CharField(
        label=_("Your name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    requester_phone = _phone_field()
    address = forms.CharField(
        label=_("Address (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_("Only the community's own workers can see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form so the limits in the help text follow the settings.
        self.fields["attachments"] = _attachments_field()


class PublicNeedForm(NeedFieldsMixin):
    """A resident's need, online and without an account."""

    community = forms.TypedChoiceField(label=_("Your community"), coerce=int, empty_value=None)
    # Honeypot: hidden from people, filled in by naive bots. The view checks it before anything.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = [
        "community",
        "category",
        "title",
        "description",
        "target_group",
        "requester_name",
        "requester_phone",
        "address",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grouped = communities_by_street()
        self._communities = {c.pk: c for _street, communities in grouped for c in communities}
        self.fields["community"].choices = [("", _("Choose…"))] + [
            (street.name, [(c.pk, c.name) for c in communities]) for street, communities in grouped
        ]

    def clean_community(self) -> Area:
        return self._communities[self.cleaned_data["community"]]


class _GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name} · {obj.name}"


class ProxyNeedForm(NeedFieldsMixin):
    """A need a worker enters for a resident who phoned, was visited or spoke at a council."""

    community = forms.ModelChoiceField(label=_("Community"), queryset=Area.objects.none())
    grid = _GridChoiceField(label=_("Grid"), queryset=Area.objects.none(), required=False)
    channel = forms.ChoiceField(label=_("How the resident reached us"), choices=STAFF_CHANNELS)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )

    field_order = [
        "channel",
        "community",
        "grid",
        "category",
        "title",
        "description",
        "target_group",
        "urgency",
        "requester_name",
        "requester_phone",
        "address",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        grids = areas_for(user, Action.NEED_CREATE, levels=[Area.Level.GRID])
        communities = areas_for(user, Action.NEED_CREATE, levels=[Area.Level.COMMUNITY])
        # A grid worker enters needs for their grids, so their grids' communities are offered too.
        self.fields["community"].queryset = (
            Area.objects.filter(level=Area.Level.COMMUNITY)
            .filter(Q(pk__in=communities.values("pk")) | Q(pk__in=grids.values("parent_id")))
            .order_by("path")
        )
        self.fields["grid"].queryset = grids.select_related("parent").order_by("path")
        self.fields["requester_name"].label = _("Resident's name")
        self.fields["requester_phone"].label = _("Resident's mobile number")
        self.fields["title"].label = _("Title")
        self.fields["category"].label = _("Category")
        self.fields["target_group"].label = _("Target group")

    def clean(self):
        cleaned = super().clean()
        community, grid = cleaned.get("community"), cleaned.get("grid")
        if community is None:
            return cleaned
        if grid is not None and grid.parent_id != community.pk:
            self.add_error("grid", _("This grid does not belong to the chosen community."))
        elif not can(self.user, Action.NEED_CREATE, area=grid or community):
            self.add_error("grid", _("Choose one of your grids."))
        return cleaned


class TrackForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("Tracking number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone_last4 = forms.RegexField(
        label=_("Last 4 digits of your mobile number"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("Enter 4 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4, "size": 6}
        ),
    )


class NeedTransitionForm(forms.Form):
    """The note and, for a merge, the tracking number of the need to merge into."""

    reason = forms.CharField(label=_("Reason or note"), max_length=2000, required=False)
    merge_into = forms.CharField(
        label=_("Merge into (tracking number)"), max_length=20, required=False
    )
    rating = forms.TypedChoiceField(
        label=_("Resident's rating"),
        choices=[("", "")] + [(n, str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_merge_into(self):
        number = self.cleaned_data["merge_into"].strip().upper()
        if not number:
            return None
        # Through the scoped selector: a need of another community is simply not found.
        target = needs_for(self.user, Action.NEED_PROCESS).filter(tracking_number=number).first()
        if target is None:
            raise forms.ValidationError(_("No need with this tracking number was found."))
        return target
