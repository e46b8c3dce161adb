"""Resources (read all in reach; create, change and retire the partner's own) and projects
(read, with their tasks) in the partner API."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.access import Action
from portal.api_base import (
    FIELDS_PARAMETER,
    IDEMPOTENCY_PARAMETER,
    AreaWithinFilter,
    CodeRelatedField,
    PartnerReadOnlyViewSet,
    SparseFieldsMixin,
    UpdatedSinceFilter,
)
from portal.errors import PermissionDenied
from portal.models import Area, PartnerScope, mask_phone
from portal.services import get_setting
from resources import selectors
from resources.models import (
    AvailabilitySlot,
    NeedCategory,
    Project,
    ProjectStatus,
    ProjectTask,
    ProviderType,
    Resource,
    ResourceKind,
    ResourceStatus,
    ResourceTier,
)
from resources.services import create_resource, update_resource

# --- resources ---------------------------------------------------------------------------------


class ResourceSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    """A resource; the contact phone masked. ``own``: created by this partner (it may change it)."""

    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    contact_phone = serializers.SerializerMethodField()
    own = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "name",
            "description",
            "provider_type",
            "provider_name",
            "kind",
            "tier",
            "categories",
            "capacity",
            "availability",
            "area",
            "contact_name",
            "contact_phone",
            "value_amount",
            "valid_until",
            "status",
            "own",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_contact_phone(self, resource: Resource) -> str:
        return mask_phone(resource.contact_phone)

    def get_own(self, resource: Resource) -> bool:
        request = self.context.get("request")
        return request is not None and resource.created_by_id == request.user.pk


class ResourceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    provider_type = serializers.ChoiceField(ProviderType.choices)
    provider_name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(ResourceKind.choices)
    tier = serializers.ChoiceField(ResourceTier.choices, required=False)
    categories = CodeRelatedField(
        slug_field="code", many=True, queryset=NeedCategory.objects.filter(is_active=True)
    )
    capacity = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    availability = serializers.ListField(
        child=serializers.ChoiceField(AvailabilitySlot.choices), required=False
    )
    area = CodeRelatedField(
        slug_field="code", queryset=Area.objects.all(), help_text="Community or grid code."
    )
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.RegexField(r"^1\d{10}$", required=False, allow_blank=True)
    value_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    valid_until = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(ResourceStatus.choices, required=False)


class ResourceFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="area__path")
    status = django_filters.MultipleChoiceFilter(choices=ResourceStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ResourceKind.choices)
    tier = django_filters.ChoiceFilter(choices=ResourceTier.choices)
    category = django_filters.CharFilter(method="filter_category", label="Category code")
    own = django_filters.BooleanFilter(method="filter_own", label="Only resources you created")
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Resource
        fields = []

    def filter_category(self, queryset, name, value):
        # EXISTS, not a join, so a resource serving two categories is listed once.
        serves = Resource.categories.through.objects.filter(
            resource_id=OuterRef("pk"), needcategory__code=value
        )
        return queryset.filter(Exists(serves))

    def filter_own(self, queryset, name, value):
        if value is None:
            return queryset
        mine = {"created_by_id": self.request.user.pk}
        return queryset.filter(**mine) if value else queryset.exclude(**mine)


@extend_schema_view(
    list=extend_schema(summary="List resources in reach", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="One resource", parameters=[FIELDS_PARAMETER]),
    create=extend_schema(
        summary="Add a resource",
        request=ResourceWriteSerializer,
        responses={201: ResourceSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    update=extend_schema(
        summary="Replace one of your resources",
        request=ResourceWriteSerializer,
        responses={200: ResourceSerializer},
    ),
    partial_update=extend_schema(
        summary="Change one of your resources",
        request=ResourceWriteSerializer,
        responses={200: ResourceSerializer},
    ),
    destroy=extend_schema(summary="Retire one of your resources (it stays on record)"),
)
class ResourceViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PartnerReadOnlyViewSet,
):
    """Every resource in reach can be read; a partner changes only those it created."""

    serializer_class = ResourceSerializer
    read_scope = PartnerScope.RESOURCES_READ
    write_scope = PartnerScope.RESOURCES_WRITE
    filterset_class = ResourceFilter
    ordering_fields = ["created_at", "updated_at", "name", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.resources_for(self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ResourceWriteSerializer
        return ResourceSerializer

    def _own(self, pk) -> Resource:
        resource = selectors.get_resource(user=self.request.user, pk=pk)
        if resource.created_by_id != self.request.user.pk:
            raise PermissionDenied(
                _("You can change only the resources your system created."), code="not_owner"
            )
        return resource

    def _respond(self, resource: Resource, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.get_resource(user=self.request.user, pk=resource.pk)
        return Response(self.serialize(fresh), status=code)

    def serialize(self, resource: Resource) -> dict:
        return ResourceSerializer(resource, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        data = ResourceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        categories = fields.pop("categories")
        resource = create_resource(by=request.user, categories=categories, **fields)
        return self._respond(resource, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        resource = self._own(kwargs["pk"])
        partial = kwargs.get("partial", False)
        data = ResourceWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        categories = fields.pop("categories", None)
        resource = update_resource(
            resource=resource, by=request.user, categories=categories, **fields
        )
        return self._respond(resource)

    def destroy(self, request, *args, **kwargs):
        resource = self._own(kwargs["pk"])
        update_resource(resource=resource, by=request.user, status=ResourceStatus.RETIRED)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- projects ---------------------------------------------------------------------------------


class ProjectSerializer(SparseFieldsMixin, serializers.ModelSerializer):
    community = serializers.SlugRelatedField(source="area", slug_field="code", read_only=True)
    owner = serializers.CharField(source="owner.display_name", read_only=True)
    budget_subtotal = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "description",
            "community",
            "status",
            "owner",
            "maintenance_owner",
            "planned_start",
            "planned_end",
            "contingency_rate",
            "budget_subtotal",
            "progress",
            "approved_at",
            "started_at",
            "completed_at",
            "evaluated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_progress(self, project: Project) -> str:
        """Red, amber or green: the worst of its tasks against their plans."""
        amber_lag = self.context.get("amber_lag")
        return selectors.project_rag(project, amber_lag=amber_lag).css


class ProjectTaskSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner_label", read_only=True)
    progress_status = serializers.SerializerMethodField()

    class Meta:
        model = ProjectTask
        fields = [
            "id",
            "title",
            "owner",
            "start_date",
            "due_date",
            "progress",
            "completed_at",
            "progress_status",
        ]
        read_only_fields = fields

    def get_progress_status(self, task: ProjectTask) -> str:
        """green, amber or red."""
        return selectors.task_rag(task, self.context["today"], self.context["amber_lag"]).css


class ProjectFilter(django_filters.FilterSet):
    area = AreaWithinFilter(path_lookup="area__path")
    status = django_filters.MultipleChoiceFilter(choices=ProjectStatus.choices)
    planned_start = django_filters.DateFromToRangeFilter()
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Project
        fields = []


@extend_schema_view(
    list=extend_schema(summary="List projects in reach", parameters=[FIELDS_PARAMETER]),
    retrieve=extend_schema(summary="One project", parameters=[FIELDS_PARAMETER]),
)
class ProjectViewSet(PartnerReadOnlyViewSet):
    serializer_class = ProjectSerializer
    read_scope = PartnerScope.PROJECTS_READ
    filterset_class = ProjectFilter
    ordering_fields = ["created_at", "updated_at", "planned_start", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.project_list_for(self.request.user)

    def get_serializer_context(self):
        # One threshold for the page (the partner's widest area) rather than one per project.
        context = super().get_serializer_context()
        if self.action == "list":
            area = selectors.primary_area(self.request.user, Action.PROJECT_VIEW)
            context["amber_lag"] = (
                get_setting("project.amber_lag", area=area)
                if area
                else settings.BAODAO_DEFAULTS["project.amber_lag"]
            )
        return context

    @extend_schema(summary="Tasks of a project", responses={200: ProjectTaskSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def tasks(self, request, pk=None):
        project = selectors.get_project(user=request.user, pk=pk, action=Action.PROJECT_VIEW)
        context = {
            "today": timezone.localdate(),
            "amber_lag": get_setting("project.amber_lag", area=project.area),
        }
        return Response(ProjectTaskSerializer(project.tasks.all(), many=True, context=context).data)
