"""KPIs in the partner API: the figures of one area over a period, and of the areas below it.

GET /api/v1/kpis/?area=<code>&period=month|quarter|year|custom&at=YYYY-MM-DD&from=&to=
GET /api/v1/kpis/children/?area=<code>&…  (the same for each area one level below)

The figures are the ones the /kpi/ pages show: the same selectors (``evaluation.selectors_kpi``:
stored days from the ``KpiDaily`` roll-ups, today computed live) and the same targets.

Scoping: the pages scope KPIs by ``Action.DASHBOARD_VIEW``, which the partner role does not
hold and is not given (dashboards are a staff tool). Here the same selectors are scoped by
``Action.NEED_VIEW`` instead — an action the partner role holds in its areas and below — and
the endpoint demands the ``kpi:read`` scope on the key. So a partner reads the KPIs of exactly
the areas whose needs it may list; an area outside them is a 404, as for any other record.

Bad input (an unknown period, a date that is not one, a custom range without both ends, in
the wrong order or too long) is a 400 with field messages; the pages fall back to this month
instead, but a machine should be told.

This module also carries the ``urlpatterns`` that portal.api includes under /api/v1/.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from evaluation.kpi.periods import (
    FIRST_DAY,
    KINDS,
    LAST_DAY,
    MAX_CUSTOM_DAYS,
    Period,
    parse_period,
)
from evaluation.models import KpiDaily
from evaluation.selectors_kpi import (
    Figure,
    LiveToday,
    area_rows,
    child_areas,
    kpi_area,
    kpi_home,
    tiles,
)
from portal.access import Action
from portal.api_base import PartnerViewSetMixin
from portal.errors import NotFound
from portal.models import Area, PartnerScope

# The action the partner's KPI reads are scoped by (see the module docstring).
KPI_ACTION = Action.NEED_VIEW


def _msgid(text) -> str:
    """The English msgid of a lazy translation, whatever the request's language."""
    with translation.override(None):
        return str(text)


# --- input ------------------------------------------------------------------------------------


def _day(help_text: str) -> serializers.DateField:
    return serializers.DateField(
        required=False,
        help_text=help_text,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
    )


class KpiQuerySerializer(serializers.Serializer):
    """Which area and period: ``from`` and ``to`` are Python keywords, so they are added in
    ``get_fields``."""

    area = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Area code (default: the highest area you were registered for).",
    )
    period = serializers.ChoiceField(KINDS, default="month", help_text="Kind of period.")
    at = _day("A day inside the month, quarter or year (default: today).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = _day("First day of a custom period.")
        fields["to"] = _day(f"Last day of a custom period (at most {MAX_CUSTOM_DAYS} days).")
        return fields

    def validate(self, attrs):
        if attrs["period"] != "custom":
            return attrs
        start, end = attrs.get("from"), attrs.get("to")
        errors = {}
        if start is None:
            errors["from"] = [_("Give the first day of a custom period.")]
        if end is None:
            errors["to"] = [_("Give the last day of a custom period.")]
        if not errors and end < start:
            errors["to"] = [_("The last day comes before the first day.")]
        if not errors and end - start >= timedelta(days=MAX_CUSTOM_DAYS):
            errors["from"] = [
                _("A custom period is at most %(days)s days long.") % {"days": MAX_CUSTOM_DAYS}
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def period_on(self, today: date) -> Period:
        """The period asked for, read by the same rules as the pages' ``parse_period``."""
        params = {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in self.validated_data.items()
            if name != "area"
        }
        return parse_period(params, today=today)


# --- output -----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"})
class PlainDecimalField(serializers.Field):
    """A Decimal as a string without trailing zeros (``"55.6"``, ``"5"``)."""

    def to_representation(self, value) -> str:
        return format(value.normalize(), "f")


class KpiAreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(Area.Level.choices)


class KpiPeriodSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`month`, `quarter`, `year` or `custom`.")
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last day, inclusive.")
    label = serializers.CharField()


class KpiFigureSerializer(serializers.Serializer):
    """One KPI of one area over the period (definitions: evaluation/kpi/definitions.py)."""

    code = serializers.CharField(source="spec.code")
    label = serializers.SerializerMethodField(help_text="English name of the KPI.")
    unit = serializers.SerializerMethodField(help_text="`%` or `h`, empty for a plain ratio.")
    value = PlainDecimalField(allow_null=True, help_text="Null when there is nothing to count.")
    numerator = PlainDecimalField(source="parts.numerator")
    denominator = PlainDecimalField(source="parts.denominator")
    target = PlainDecimalField(allow_null=True)
    meets_target = serializers.BooleanField(
        source="meets", allow_null=True, help_text="Null without a value or a target."
    )

    def get_label(self, figure: Figure) -> str:
        return _msgid(figure.spec.label)

    def get_unit(self, figure: Figure) -> str:
        return _msgid(figure.spec.unit)


class KpiTileSerializer(KpiFigureSerializer):
    previous_value = PlainDecimalField(
        source="previous", allow_null=True, help_text="The value over the previous period."
    )
    trend = serializers.CharField(
        help_text="Against the previous period: `up`, `down`, `flat`, or empty without both values."
    )


class AreaKpisSerializer(serializers.Serializer):
    area = KpiAreaSerializer()
    period = KpiPeriodSerializer()
    kpis = KpiTileSerializer(many=True)


class ChildKpisSerializer(serializers.Serializer):
    area = KpiAreaSerializer()
    kpis = KpiFigureSerializer(many=True, source="figures")


class ChildrenKpisSerializer(serializers.Serializer):
    area = KpiAreaSerializer()
    period = KpiPeriodSerializer()
    children = ChildKpisSerializer(many=True)


# --- views ------------------------------------------------------------------------------------


class KpiView(PartnerViewSetMixin, GenericAPIView):
    """The KPIs of one area (``kpi:read``), scoped by the partner's reach of needs."""

    read_scope = PartnerScope.KPI_READ
    pagination_class = None
    filter_backends: list = []
    queryset = KpiDaily.objects.none()
    serializer_class = AreaKpisSerializer

    def ask(self) -> tuple[Area, Period, date, LiveToday]:
        """The area and period asked for (400 on bad input, 404 for an area out of reach)."""
        query = KpiQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        user = self.request.user
        code = query.validated_data.get("area")
        if code:
            area = kpi_area(user=user, code=code.strip(), action=KPI_ACTION)
        else:
            area = kpi_home(user=user, action=KPI_ACTION)
            if area is None:
                raise NotFound()
        today = timezone.localdate()
        return area, query.period_on(today), today, LiveToday.compute(area=area, day=today)

    @extend_schema(
        summary="The KPIs of an area over a period",
        parameters=[KpiQuerySerializer],
        responses={200: AreaKpisSerializer},
    )
    def get(self, request):
        area, period, today, live = self.ask()
        figures = tiles(
            user=request.user, area=area, period=period, today=today, live=live, action=KPI_ACTION
        )
        body = {"area": area, "period": period, "kpis": figures}
        return Response(AreaKpisSerializer(body).data)


class KpiChildrenView(KpiView):
    """The KPIs of each area one level below an area (none below a community)."""

    serializer_class = ChildrenKpisSerializer

    @extend_schema(
        summary="The KPIs of each area one level below an area",
        parameters=[KpiQuerySerializer],
        responses={200: ChildrenKpisSerializer},
    )
    def get(self, request):
        area, period, today, live = self.ask()
        rows = area_rows(
            user=request.user,
            areas=child_areas(user=request.user, area=area, action=KPI_ACTION),
            period=period,
            today=today,
            live=live,
            action=KPI_ACTION,
        )
        body = {"area": area, "period": period, "children": rows}
        return Response(ChildrenKpisSerializer(body).data)


urlpatterns = [
    path("kpis/", KpiView.as_view(), name="kpis"),
    path("kpis/children/", KpiChildrenView.as_view(), name="kpis-children"),
]
