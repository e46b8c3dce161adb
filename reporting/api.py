"""Reporting in the partner API: activities, enrollments, and the check-ins and service records
of members who consented to share them with the calling partner. Read-only; every query is
scoped through the selectors (portal.access.scope)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from portal.access import Action, scope
from portal.api_base import (
    FIELDS_PARAMETER,
    AreaWithinFilter,
    DateTimeFilter,
    DateTimeRangeFilter,
    IdFilter,
    PartnerReadOnlyViewSet,
    SparseFieldsMixin,
)
from portal.api_clients import consented
from portal.models import PartnerScope, mask_name
from reporting.models import (
    Activity,
    ActivityStatus,
    CheckIn,
    Enrollment,
    EnrollmentStatus,
    ServiceRecord,
)
from reporting.selectors_activities import activity_list_for
from reporting.selectors_enrollment import enrollments_for


class MemberRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")


# --- activities --------------------------------------------------------------------------------


class ActivitySerializer(SparseFieldsMixin, serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    signed_up = serializers.IntegerField(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "title",
            "description",
            "community",
            "category",
            "need",
            "project",
            "venue",
            "starts_at",
            "ends_at",
            "capacity",
            "signed_up",
            "status",
            "cancel_reason",
            "created_at",
        ]
        read_only_fields = fields


class ActivityFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="community__path")
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices)
    category = django_filters.CharFilter(field_name="category__code")
    starts = DateTimeRangeFilter(field_name="starts_at")

    class Meta:
        model = Activity
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List activities in reach", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="One activity", parameters=[FIELDS_PARAMETER]),
)
class ActivityViewSet(PartnerReadOnlyViewSet):
    serializer_class = ActivitySerializer
    read_scope = PartnerScope.ACTIVITIES_READ
    filterset_class = ActivityFilter
    ordering_fields = ["starts_at", "created_at", "id"]
    ordering = ["-starts_at", "-id"]

    def get_queryset(self):
        return activity_list_for(self.request.user)


# --- check-ins and service records --------------------------------------------------------------


class CheckInSerializer(serializers.ModelSerializer):
    """Attendance without location, device or flags: those stay with the organiser."""

    member = MemberRefSerializer(read_only=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "activity",
            "member",
            "method",
            "status",
            "checked_in_at",
            "checked_out_at",
            "hours",
            "confirmed_at",
        ]
        read_only_fields = fields


class CheckInFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="activity__community__path")
    activity = IdFilter(field_name="activity_id")
    member = IdFilter(field_name="member_id")
    status = django_filters.ChoiceFilter(choices=CheckIn.Status.choices)
    checked_in = DateTimeRangeFilter(field_name="checked_in_at")

    class Meta:
        model = CheckIn
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List check-ins of consenting members in reach"),
    retrieve=extend_schema(summary="One check-in"),
)
class CheckInViewSet(PartnerReadOnlyViewSet):
    """Only members who consented to share their service data with this partner appear."""

    serializer_class = CheckInSerializer
    read_scope = PartnerScope.SERVICE_READ
    filterset_class = CheckInFilter
    ordering_fields = ["checked_in_at", "id"]
    ordering = ["-checked_in_at", "-id"]

    def get_queryset(self):
        checkins = scope(
            CheckIn.objects.select_related("member__user"), self.request.user, Action.SERVICE_VIEW
        )
        return consented(checkins, client=self.client, user_path="member__user")


class ServiceRecordSerializer(serializers.ModelSerializer):
    """A verified-hours record. Corrections are records of their own (``corrects``), which may
    carry negative hours; a member's total is the sum."""

    member = MemberRefSerializer(read_only=True)
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "member",
            "activity",
            "community",
            "organisation",
            "place",
            "service_date",
            "started_at",
            "ended_at",
            "hours",
            "corrects",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class ServiceRecordFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="community__path")
    member = IdFilter(field_name="member_id")
    activity = IdFilter(field_name="activity_id")
    service_date = django_filters.DateFromToRangeFilter()
    created_since = DateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = ServiceRecord
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List service records of consenting members in reach"),
    retrieve=extend_schema(summary="One service record"),
)
class ServiceRecordViewSet(PartnerReadOnlyViewSet):
    """Append-only: sync with ``created_since`` and ``ordering=id``."""

    serializer_class = ServiceRecordSerializer
    read_scope = PartnerScope.SERVICE_READ
    filterset_class = ServiceRecordFilter
    ordering_fields = ["service_date", "created_at", "id"]
    ordering = ["-id"]

    def get_queryset(self):
        records = scope(
            ServiceRecord.objects.select_related("member__user", "community"),
            self.request.user,
            Action.SERVICE_VIEW,
        )
        return consented(records, client=self.client, user_path="member__user")


# --- enrollments -------------------------------------------------------------------------------


class EnrollmentSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """An enrollment. Party membership is sensitive: a member's name is masked (王**) unless
    the member consented to share their data with the calling partner; a unit's name is not."""

    subject_type = serializers.SerializerMethodField()
    subject_name = serializers.SerializerMethodField()
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "subject_type",
            "subject_name",
            "community",
            "year",
            "status",
            "intentions",
            "submitted_at",
            "confirmed_at",
            "activated_at",
            "withdrawn_at",
        ]
        read_only_fields = fields

    def get_subject_type(self, enrollment: Enrollment) -> str:
        """``member`` or ``unit``."""
        return "member" if enrollment.member_id else "unit"

    def get_subject_name(self, enrollment: Enrollment) -> str:
        """The unit's name, or the member's name: in full only with the member's consent."""
        if enrollment.member_id:
            name = enrollment.member.user.display_name
            return name if getattr(enrollment, "member_consented", False) else mask_name(name)
        return enrollment.unit.name


class EnrollmentFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="community__path")
    year = IdFilter(min_value=2000, max_value=2100)
    status = django_filters.MultipleChoiceFilter(choices=EnrollmentStatus.choices)

    class Meta:
        model = Enrollment
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List enrollments in reach", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="One enrollment", parameters=[FIELDS_PARAMETER]),
)
class EnrollmentViewSet(PartnerReadOnlyViewSet):
    """Members' names are masked unless they consented to share with this partner."""

    serializer_class = EnrollmentSerializer
    read_scope = PartnerScope.ENROLLMENT_READ
    filterset_class = EnrollmentFilter
    ordering_fields = ["submitted_at", "year", "id"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        enrollments = enrollments_for(self.request.user)
        # The same consent rule as check-ins and service records, as a flag per row.
        with_consent = consented(
            Enrollment.objects.filter(pk=OuterRef("pk")),
            client=self.client,
            user_path="member__user",
        )
        return enrollments.annotate(member_consented=Exists(with_consent))
