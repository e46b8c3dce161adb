"""What every partner endpoint shares: authentication, scopes, throttling, idempotent POSTs,
cursor pagination, sparse fieldsets and the filters common to the lists."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, viewsets
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from portal import api_idempotency as idempotency
from portal.api_auth import (
    HasPartnerScope,
    PartnerKeyAuthentication,
    PartnerRateThrottle,
    client_of,
)
from portal.models import Area

FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    OpenApiTypes.STR,
    description="Comma-separated fields to return (sparse fieldset), e.g. `id,status`. "
    "`id` is always returned.",
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="Any unique string (a UUID). A retry with the same key and body returns the "
    "first response and creates nothing; the same key with another body is a 409.",
)


class _Replay(APIException):
    """Raised in ``initial`` to answer a retried request from the idempotency store."""

    def __init__(self, record):
        self.record = record
        super().__init__()


class PartnerCursorPagination(CursorPagination):
    """Stable pages over large, changing lists: follow ``next`` until it is null."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class SparseFieldsMixin:
    """``?fields=a,b`` returns only those fields (plus ``id``)."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        wanted = request.query_params.get("fields") if request is not None else None
        if not wanted:
            return fields
        keep = {name.strip() for name in wanted.split(",") if name.strip()} | {"id"}
        return {name: field for name, field in fields.items() if name in keep}


class PartnerViewSetMixin:
    """Base of every partner view: keys, scopes, per-client throttling, idempotent POSTs."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasPartnerScope]
    throttle_classes = [PartnerRateThrottle]
    pagination_class = PartnerCursorPagination
    read_scope: str | None = None
    write_scope: str | None = None
    # Ids are positive integers that fit a bigint; anything else is a JSON 404 (portal.api).
    lookup_value_regex = r"[0-9]{1,18}"

    @property
    def client(self):
        return client_of(self.request)

    def initial(self, request, *args, **kwargs):
        self._idempotency = None
        key = request.headers.get(idempotency.HEADER)
        body = request.body if key is not None and request.method == "POST" else b""
        super().initial(request, *args, **kwargs)
        if key is None or request.method != "POST":
            return
        record = idempotency.claim(
            client=self.client,
            key=key,
            fingerprint=idempotency.fingerprint(
                method=request.method, path=request.get_full_path(), body=body
            ),
        )
        if record.status_code is not None:
            raise _Replay(record)
        self._idempotency = record

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            return Response(
                idempotency.stored_data(record),
                status=record.status_code,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            return super().handle_exception(exc)
        except Exception:
            record = getattr(self, "_idempotency", None)
            if record is not None:
                idempotency.abandon(record)
                self._idempotency = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency", None)
        if record is not None:
            self._idempotency = None
            if response.status_code >= 500:
                idempotency.abandon(record)
            else:
                idempotency.complete(
                    record, status_code=response.status_code, data=getattr(response, "data", None)
                )
        return response


class PartnerReadOnlyViewSet(PartnerViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class PartnerGenericViewSet(PartnerViewSetMixin, viewsets.GenericViewSet):
    pass


class AreaWithinFilter(django_filters.CharFilter):
    """``?area=<code>``: only records in that area or below. Narrows a queryset that
    ``portal.access.scope`` has already limited, so it can never widen what a client sees."""

    def __init__(self, *, path_lookup: str, **kwargs):
        self.path_lookup = path_lookup
        kwargs.setdefault("label", _("Area code: that area and everything below it"))
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            return qs.none()
        return qs.filter(**{f"{self.path_lookup}__startswith": area.path})


class IdFilter(django_filters.NumberFilter):
    """A record id: a whole number that fits the database's bigint."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, turned into UTC: an offset the database cannot store (``-23:54``) or a moment
    outside the calendar after conversion is a 400, not a database error."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class DateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before``, ISO 8601 moments."""

    field_class = UtcIsoDateTimeRangeField


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UpdatedSinceFilter(DateTimeFilter):
    def __init__(self, *, field_name: str = "updated_at", **kwargs):
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("label", _("Changed at or after (ISO 8601)"))
        super().__init__(field_name=field_name, **kwargs)


class AreaRefSerializer(serializers.Serializer):
    """An area by code and name."""

    code = serializers.CharField()
    name = serializers.CharField()


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object named by its ``code``. Text PostgreSQL cannot store (a NUL byte) is
    answered like any unknown code instead of reaching the database."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)
