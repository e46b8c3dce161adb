from django import forms
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area, User
from portal.services import SETTING_SPECS


class AreaSettingForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    key = forms.ChoiceField(label=_("Setting"))
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Leave empty to apply to every year."),
    )
    value = forms.CharField(label=_("Value"), max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user,
            Action.SETTING_CHANGE,
            levels=[Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY],
        )
        self.fields["key"].choices = [(key, spec.label) for key, spec in SETTING_SPECS.items()]


class UserChoiceField(forms.ModelChoiceField):
    """Users shown by their real name in selects."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name
