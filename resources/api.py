"""The three lists in the partner API: need categories, needs (read, submit, move, contact),
matches. Resources and projects are in resources.api_lists. Thin: every read through the
scoped selectors, every write through resources.services."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import Action
from portal.api_base import (
    FIELDS_PARAMETER,
    IDEMPOTENCY_PARAMETER,
    AreaWithinFilter,
    CodeRelatedField,
    DateTimeRangeFilter,
    IdFilter,
    PartnerReadOnlyViewSet,
    SparseFieldsMixin,
    UpdatedSinceFilter,
)
from portal.errors import InvalidInput
from portal.models import Area, PartnerScope, mask_name, mask_phone
from resources import selectors, selectors_matches
from resources.models import (
    AvailabilitySlot,
    Channel,
    Match,
    MatchStatus,
    Need,
    NeedCategory,
    NeedStatus,
    TargetGroup,
    Urgency,
)
from resources.services import TRANSITIONS, reveal_requester_phone, submit_need, transition_need

# --- need categories ---------------------------------------------------------------------------


class NeedCategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = NeedCategory
        fields = ["id", "code", "name", "parent", "sort_order", "is_active"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List need categories (Open311 services)"),
    retrieve=extend_schema(summary="One need category"),
)
class NeedCategoryViewSet(PartnerReadOnlyViewSet):
    """The category tree; the same for every partner."""

    serializer_class = NeedCategorySerializer
    queryset = NeedCategory.objects.select_related("parent").order_by("sort_order", "code", "id")
    pagination_class = None
    filterset_fields = ["is_active"]
    ordering_fields = ["sort_order", "code"]
    ordering = ["sort_order", "code", "id"]


# --- needs ------------------------------------------------------------------------------------


class NeedSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """A need as partners see it: the requester's name and phone masked, no address."""

    category = serializers.CharField(source="category.code", read_only=True)
    community = serializers.CharField(source="community.code", read_only=True)
    grid = serializers.CharField(source="grid.code", read_only=True, allow_null=True)
    area = serializers.SerializerMethodField()
    requester_name = serializers.SerializerMethodField()
    requester_phone = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = [
            "id",
            "tracking_number",
            "title",
            "description",
            "category",
            "target_group",
            "channel",
            "urgency",
            "status",
            "community",
            "grid",
            "area",
            "requester_name",
            "requester_phone",
            "availability",
            "escalation_level",
            "submitted_at",
            "due_at",
            "accepted_at",
            "matched_at",
            "started_at",
            "resolved_at",
            "evaluated_at",
            "closed_at",
            "close_reason",
            "resolution",
            "rating",
            "updated_at",
        ]
        read_only_fields = fields

    def get_area(self, need: Need) -> str:
        """Code of the most specific area: the grid, else the community."""
        return (need.grid or need.community).code

    def get_requester_name(self, need: Need) -> str:
        return mask_name(need.requester_name)

    def get_requester_phone(self, need: Need) -> str:
        return mask_phone(need.requester_phone)


class AreaCodeField(CodeRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Area.objects.all(), **kwargs)


class NeedCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=4000)
    category = CodeRelatedField(
        slug_field="code", queryset=NeedCategory.objects.filter(is_active=True)
    )
    community = AreaCodeField(help_text="Area code of the community.")
    grid = AreaCodeField(required=False, allow_null=True, help_text="Area code of the grid.")
    requester_name = serializers.CharField(max_length=50)
    requester_phone = serializers.RegexField(
        r"^1\d{10}$", help_text="11-digit mainland mobile number."
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    target_group = serializers.ChoiceField(TargetGroup.choices, default=TargetGroup.GENERAL)
    urgency = serializers.ChoiceField(Urgency.choices, default=Urgency.NORMAL)
    availability = serializers.ListField(
        child=serializers.ChoiceField(AvailabilitySlot.choices), required=False, default=list
    )
    channel = serializers.ChoiceField(
        [c for c in Channel.choices if c[0] != Channel.ONLINE],
        required=False,
        help_text="How the resident reached you; defaults to the channel registered for you.",
    )


class NeedTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(sorted(TRANSITIONS))
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    merge_into = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="Tracking number (merge only)."
    )


class NeedContactSerializer(serializers.Serializer):
    # Exact addresses stay with the community's own workers (DOMAIN.md): never sent here.
    requester_name = serializers.CharField()
    requester_phone = serializers.CharField()


class NeedFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="area__path")
    status = django_filters.MultipleChoiceFilter(choices=NeedStatus.choices)
    category = django_filters.CharFilter(field_name="category__code")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    target_group = django_filters.ChoiceFilter(choices=TargetGroup.choices)
    urgency = django_filters.TypedChoiceFilter(choices=Urgency.choices, coerce=int)
    tracking_number = django_filters.CharFilter()
    submitted = DateTimeRangeFilter(field_name="submitted_at")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Need
        fields = []


NEED_EXAMPLE = OpenApiExample(
    "A need entered by a hospital",
    value={
        "title": "出院老人需要送餐",
        "description": "王大爷刚出院，独居，需要两周的午餐送餐。",
        "category": "meal_assistance",
        "community": "310101001001",
        "requester_name": "王建国",
        "requester_phone": "13812345678",
        "target_group": "elderly_alone",
        "urgency": 3,
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List needs in reach", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="One need", parameters=[FIELDS_PARAMETER]),
    create=extend_schema(
        summary="Submit a need",
        request=NeedCreateSerializer,
        responses={201: NeedSerializer},
        examples=[NEED_EXAMPLE],
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
)
class NeedViewSet(mixins.CreateModelMixin, PartnerReadOnlyViewSet):
    """Needs of the partner's areas. Submitting needs `needs:write`; so does moving a need on."""

    serializer_class = NeedSerializer
    read_scope = PartnerScope.NEEDS_READ
    write_scope = PartnerScope.NEEDS_WRITE
    filterset_class = NeedFilter
    ordering_fields = ["submitted_at", "updated_at", "due_at", "urgency", "id"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self):
        # The serializer reads the category, community and grid codes: join those only.
        return (
            selectors.needs_for(self.request.user)
            .select_related(None)
            .select_related("category", "community", "grid")
        )

    def get_serializer_class(self):
        return NeedCreateSerializer if self.action == "create" else NeedSerializer

    def create(self, request, *args, **kwargs):
        data = NeedCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.setdefault("channel", self.client.channel)
        need = submit_need(by=request.user, **fields)
        return Response(NeedSerializer(need).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move a need on (accept, start, resolve, reject, …)",
        request=NeedTransitionSerializer,
        responses={200: NeedSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample("Accept", value={"action": "accept"}, request_only=True),
            OpenApiExample(
                "Resolve", value={"action": "resolve", "reason": "已送餐两周"}, request_only=True
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        need = selectors.get_need(user=request.user, pk=pk)
        data = NeedTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = data.validated_data
        merge_into = None
        if args["action"] == "merge" and args.get("merge_into"):
            merge_into = (
                selectors.needs_for(request.user)
                .filter(tracking_number=args["merge_into"].strip().upper())
                .first()
            )
            if merge_into is None:
                raise InvalidInput(_("No need with this tracking number."), field="merge_into")
        need = transition_need(
            need=need,
            action=args["action"],
            by=request.user,
            reason=args["reason"],
            rating=args.get("rating"),
            merge_into=merge_into,
        )
        return Response(NeedSerializer(selectors.get_need(user=request.user, pk=need.pk)).data)

    @extend_schema(
        summary="The requester's full contact details (logged)",
        description=(
            "Needs the `needs:contact` scope; every call is written to the audit log. "
            "The address is never sent: it stays with the community's own workers."
        ),
        responses={200: NeedContactSerializer},
    )
    @action(detail=True, methods=["get"], read_scope=PartnerScope.NEEDS_CONTACT)
    def contact(self, request, pk=None):
        need = selectors.get_need(user=request.user, pk=pk)
        phone = reveal_requester_phone(need=need, by=request.user)
        return Response({"requester_name": need.requester_name, "requester_phone": phone})


# --- matches ----------------------------------------------------------------------------------


class MatchSerializer(serializers.ModelSerializer):
    need_tracking_number = serializers.CharField(source="need.tracking_number", read_only=True)
    resource_name = serializers.CharField(source="resource.name", read_only=True)
    reasons = serializers.JSONField(read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "need",
            "need_tracking_number",
            "resource",
            "resource_name",
            "score",
            "reasons",
            "status",
            "proposed_at",
            "decided_at",
            "reject_reason",
        ]
        read_only_fields = fields


class MatchFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="need__area__path")
    status = django_filters.MultipleChoiceFilter(choices=MatchStatus.choices)
    need = IdFilter(field_name="need_id")
    resource = IdFilter(field_name="resource_id")
    proposed = DateTimeRangeFilter(field_name="proposed_at")

    class Meta:
        model = Match
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List match proposals of needs in reach"),
    retrieve=extend_schema(summary="One match proposal"),
)
class MatchViewSet(PartnerReadOnlyViewSet):
    """What the matching engine proposed and what the community decided."""

    serializer_class = MatchSerializer
    read_scope = PartnerScope.MATCHES_READ
    filterset_class = MatchFilter
    ordering_fields = ["proposed_at", "score", "id"]
    ordering = ["-proposed_at", "-id"]

    def get_queryset(self):
        return selectors_matches.matches_for(self.request.user, Action.NEED_VIEW)
