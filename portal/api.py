"""The /api/v1/ router: each app's endpoints, the platform's own (areas, the caller, webhooks)
and the OpenAPI schema with its interactive docs. Guide: docs/api.md."""

from __future__ import annotations

import django_filters
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from portal import webhooks
from portal.access import Action, scope
from portal.api_base import (
    IDEMPOTENCY_PARAMETER,
    AreaWithinFilter,
    IdFilter,
    PartnerReadOnlyViewSet,
    PartnerViewSetMixin,
)
from portal.api_clients import client_areas
from portal.api_errors import error_body
from portal.models import (
    Area,
    DeliveryStatus,
    PartnerClient,
    PartnerScope,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from reporting.api import (
    ActivityViewSet,
    CheckInViewSet,
    EnrollmentViewSet,
    ServiceRecordViewSet,
)
from resources.api import MatchViewSet, NeedCategoryViewSet, NeedViewSet
from resources.api_lists import ProjectViewSet, ResourceViewSet

# --- areas -------------------------------------------------------------------------------------


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "level", "parent", "path", "latitude", "longitude"]
        read_only_fields = fields


class AreaFilter(django_filters.FilterSet):
    within = AreaWithinFilter(path_lookup="path")
    level = django_filters.TypedChoiceFilter(choices=Area.Level.choices, coerce=int)
    parent = django_filters.CharFilter(field_name="parent__code")

    class Meta:
        model = Area
        fields = []


@extend_schema_view(
    list=extend_schema(summary="The area tree in reach, top down"),
    retrieve=extend_schema(summary="One area"),
)
class AreaViewSet(PartnerReadOnlyViewSet):
    """The partner's areas and everything below them (``path`` orders the tree)."""

    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    ordering_fields = ["path", "id"]
    ordering = ["path"]

    def get_queryset(self):
        return scope(Area.objects.select_related("parent"), self.request.user, Action.NEED_VIEW)


# --- the caller --------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer):
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    areas = AreaSerializer(many=True)
    channel = serializers.CharField()
    rate_per_minute = serializers.IntegerField()


class MeView(PartnerViewSetMixin, GenericAPIView):
    pagination_class = None
    serializer_class = MeSerializer
    queryset = PartnerClient.objects.none()

    @extend_schema(summary="Who am I: the partner behind this key, its scopes and areas")
    def get(self, request):
        client = self.client
        data = {
            "name": client.name,
            "scopes": sorted(client.scopes),
            "areas": client_areas(client),
            "channel": client.channel,
            "rate_per_minute": client.rate_per_minute,
        }
        return Response(MeSerializer(data).data)


# --- webhooks ----------------------------------------------------------------------------------


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(WebhookEventType.choices))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]


class NewWebhookSubscriptionSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signing secret for X-Baodao-Signature. Shown only this once."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


@extend_schema_view(
    list=extend_schema(summary="Your webhook subscriptions"),
    retrieve=extend_schema(summary="One webhook subscription"),
    create=extend_schema(
        summary="Subscribe a URL to events",
        responses={201: NewWebhookSubscriptionSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Needs in my area",
                value={
                    "url": "https://partner.example/baodao/hook",
                    "events": ["need.created", "need.status_changed"],
                },
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Stop a subscription"),
)
class WebhookSubscriptionViewSet(
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    PartnerReadOnlyViewSet,
):
    serializer_class = WebhookSubscriptionSerializer
    read_scope = PartnerScope.WEBHOOKS
    write_scope = PartnerScope.WEBHOOKS
    ordering = ["-id"]
    ordering_fields = ["id"]

    def get_queryset(self):
        return WebhookSubscription.objects.filter(client=self.client, is_active=True)

    def create(self, request, *args, **kwargs):
        data = WebhookSubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = webhooks.subscribe(
            client=self.client, url=data.validated_data["url"], events=data.validated_data["events"]
        )
        body = NewWebhookSubscriptionSerializer(subscription).data
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        webhooks.unsubscribe(client=self.client, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.IntegerField(source="event.pk", read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "subscription",
            "status",
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    subscription = IdFilter(field_name="subscription_id")
    event_type = django_filters.ChoiceFilter(
        field_name="event__event_type", choices=WebhookEventType.choices
    )

    class Meta:
        model = WebhookDelivery
        fields = []


@extend_schema_view(
    list=extend_schema(summary="Deliveries to your subscriptions, with their status"),
    retrieve=extend_schema(summary="One delivery"),
)
class WebhookDeliveryViewSet(PartnerReadOnlyViewSet):
    serializer_class = WebhookDeliverySerializer
    read_scope = PartnerScope.WEBHOOKS
    write_scope = PartnerScope.WEBHOOKS
    filterset_class = WebhookDeliveryFilter
    ordering = ["-id"]
    ordering_fields = ["id"]

    def get_queryset(self):
        return WebhookDelivery.objects.filter(subscription__client=self.client).select_related(
            "event"
        )

    @extend_schema(
        summary="Send a delivery again now",
        request=None,
        responses={202: WebhookDeliverySerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = webhooks.redeliver(delivery=self.get_object(), by=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@csrf_exempt  # the API uses keys, not cookies; any method gets the same JSON 404
def not_found(request, *args, **kwargs) -> JsonResponse:
    """An unknown URL under /api/v1/ (or an id that cannot be one)."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


router = SimpleRouter()
router.register("areas", AreaViewSet, basename="area")
router.register("need-categories", NeedCategoryViewSet, basename="need-category")
router.register("needs", NeedViewSet, basename="need")
router.register("resources", ResourceViewSet, basename="resource")
router.register("projects", ProjectViewSet, basename="project")
router.register("matches", MatchViewSet, basename="match")
router.register("activities", ActivityViewSet, basename="activity")
router.register("check-ins", CheckInViewSet, basename="check-in")
router.register("service-records", ServiceRecordViewSet, basename="service-record")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's set-up script from this URL (?script=) rather than
    # inline, so the page runs under the Content-Security-Policy (no inline scripts).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
    path("", include("evaluation.api")),  # kpis/, kpis/children/
    # Anything else under /api/v1/ is a 404 in the API's own JSON shape, not an HTML page.
    re_path(r"^[\s\S]*$", not_found, name="not_found"),
]
