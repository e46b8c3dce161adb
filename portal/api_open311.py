"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), JSON only, so existing
Open311 clients can submit and track needs.

Mapping: a *service* is an active need category (``service_code`` = its code); a *service
request* is a need (``service_request_id`` = its tracking number). Baodao needs a community
for every need, so each service has one required attribute, ``community`` (an area code); a
client that leaves it out may send ``lat``/``long`` instead and gets the nearest community.

- ``GET services.json``, ``GET services/<code>.json``: public (anonymous reads are throttled per
  address).
- ``POST requests.json``: anonymous (a resident's own report, channel "online", throttled per
  address) or with ``api_key`` (a partner with ``needs:write``; the partner's channel).
- ``GET requests.json``: a partner with ``needs:read``, scoped to its areas.
- ``GET requests/<id>.json``: a partner sees the full record in its areas; anyone else must add
  ``phone_last4`` (the last 4 digits of the requester's phone, as on the tracking page) and then
  sees the status only (no description, names, address or notes). A wrong id and wrong digits get
  the same 404, and lookups share the tracking page's limits per address and per number, so
  request ids cannot be probed.
- Anonymous ``POST requests.json`` shares the public need form's limits per address and per
  phone number.

Errors follow the spec: a list of ``{"code": <HTTP status>, "description": "..."}``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.access import Action, areas_for
from portal.api_auth import (
    Open311AnonReadThrottle,
    Open311AnonThrottle,
    PartnerKeyAuthentication,
    PartnerRateThrottle,
    client_of,
)
from portal.api_clients import authenticate_key
from portal.api_errors import MissingScope, api_exception_handler
from portal.errors import InvalidInput, NotFound
from portal.models import Area, PartnerScope
from portal.ratelimits import Limit, by_ip, phone_key, seconds_to_wait, tracking_key
from reporting.geo import haversine_m
from resources import selectors
from resources.models import Channel, Need, NeedCategory
from resources.services import submit_need

OPEN = set(Need.OPEN_STATUSES)
MAX_REQUESTS = 1000

# The public need form's and tracking page's budgets (resources.views.public and
# public_rating use the same groups), so a second channel gives no second budget. The keys read
# the DRF request: the posted phone, and the request id in the URL.
ANONYMOUS_POST_LIMITS = (
    Limit("need_form.ip", "BAODAO_RATE_NEED_FORM_IP", by_ip),
    Limit(
        "need_form.phone",
        "BAODAO_RATE_NEED_FORM_PHONE",
        lambda request: phone_key(str(request.data.get("phone") or "")),
    ),
)
LOOKUP_LIMITS = (
    Limit("track.ip", "BAODAO_RATE_TRACK_IP", by_ip),
    Limit(
        "track.number",
        "BAODAO_RATE_TRACK_NUMBER",
        lambda request: tracking_key(request.parser_context["kwargs"]["request_id"]),
    ),
)


def _enforce(request, limits: tuple[Limit, ...]) -> None:
    """Count an anonymous request against ``limits``; 429 with Retry-After when over."""
    wait = seconds_to_wait(request, limits)
    if wait is not None:
        raise exceptions.Throttled(wait=wait)


class Open311KeyAuthentication(PartnerKeyAuthentication):
    """The spec's ``api_key`` parameter (query or form), or the API's Bearer header."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            return found
        raw = request.query_params.get("api_key")
        if raw is None and request.method == "POST" and hasattr(request.data, "get"):
            raw = request.data.get("api_key")
        if not raw:
            return None
        key = authenticate_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("This API key is not valid, revoked or expired.")
            )
        return key.client.user, key


@extend_schema(exclude=True)
class Open311View(APIView):
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [PartnerRateThrottle, Open311AnonThrottle, Open311AnonReadThrottle]
    parser_classes = [parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        error = (response.data or {}).get("error", {}) if isinstance(response.data, dict) else {}
        description = error.get("message", "")
        for field, messages in (error.get("fields") or {}).items():
            description = f"{field}: {' '.join(messages)}"
            break
        response.data = [{"code": response.status_code, "description": description}]
        return response

    def get_exception_handler(self):
        return api_exception_handler

    def require(self, scope: str):
        client = client_of(self.request)
        if client is None:
            raise exceptions.NotAuthenticated(_("Send a partner api_key."))
        if not client.has_scope(scope):
            raise MissingScope(_("This API key lacks the “%(scope)s” scope.") % {"scope": scope})
        return client


def _service(category: NeedCategory) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": category.parent.name if category.parent_id else "",
    }


class ServicesView(Open311View):
    def get(self, request):
        categories = NeedCategory.objects.filter(is_active=True).select_related("parent")
        return Response([_service(c) for c in categories.order_by("sort_order", "code")])


class ServiceDefinitionView(Open311View):
    def get(self, request, code: str):
        category = NeedCategory.objects.filter(is_active=True, code=code).first()
        if category is None:
            raise NotFound(_("No such service."))
        return Response(
            {
                "service_code": category.code,
                "attributes": [
                    {
                        "variable": True,
                        "code": "community",
                        "datatype": "string",
                        "required": False,
                        "datatype_description": _(
                            "Area code of the community; without it, lat/long pick the nearest."
                        ),
                        "order": 1,
                        "description": _("Community"),
                    },
                    {
                        "variable": True,
                        "code": "grid",
                        "datatype": "string",
                        "required": False,
                        "datatype_description": _("Area code of the grid (optional)."),
                        "order": 2,
                        "description": _("Grid"),
                    },
                ],
            }
        )


def _nearest_community(lat: float, lon: float, candidates) -> Area | None:
    best = None
    for area in candidates.filter(latitude__isnull=False, longitude__isnull=False):
        distance = haversine_m(lat, lon, float(area.latitude), float(area.longitude))
        if best is None or distance < best[0]:
            best = (distance, area)
    return best[1] if best else None


def _community(request, user) -> tuple[Area, Area | None]:
    data = request.data
    code = (data.get("attribute[community]") or data.get("community") or "").strip()
    grid_code = (data.get("attribute[grid]") or "").strip()
    communities = Area.objects.filter(level=Area.Level.COMMUNITY)
    if code:
        community = communities.filter(code=code).first()
        if community is None:
            raise InvalidInput(_("No community has this code."), field="attribute[community]")
    else:
        try:
            lat, lon = float(data.get("lat")), float(data.get("long"))
        except (TypeError, ValueError):
            raise InvalidInput(
                _("Give attribute[community] (an area code) or lat and long."),
                field="attribute[community]",
            ) from None
        if user is not None:
            communities = areas_for(user, Action.NEED_CREATE, levels=[Area.Level.COMMUNITY])
        community = _nearest_community(lat, lon, communities)
        if community is None:
            raise InvalidInput(_("No community could be found near this point."), field="lat")
    grid = None
    if grid_code:
        grid = Area.objects.filter(code=grid_code, level=Area.Level.GRID).first()
        if grid is None:
            raise InvalidInput(_("No grid has this code."), field="attribute[grid]")
    return community, grid


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _request_row(need: Need, *, full: bool) -> dict:
    row = {
        "service_request_id": need.tracking_number,
        "status": "open" if need.status in OPEN else "closed",
        "service_code": need.category.code,
        "service_name": need.category.name,
        "agency_responsible": need.community.name,
        "service_notice": "",
        "requested_datetime": _iso(need.submitted_at),
        "updated_datetime": _iso(need.updated_at),
        "expected_datetime": _iso(need.due_at),
    }
    if full:
        row.update(
            {
                "status_notes": need.close_reason or need.resolution,
                "description": need.description,
                # Exact addresses stay with the community (GET /api/v1/needs/<id>/contact/).
                "address": "",
                "address_id": "",
                "zipcode": "",
                "lat": float(need.community.latitude) if need.community.latitude else None,
                "long": float(need.community.longitude) if need.community.longitude else None,
                "media_url": "",
            }
        )
    return row


class RequestsView(Open311View):
    def get(self, request):
        self.require(PartnerScope.NEEDS_READ)
        needs = selectors.needs_for(request.user)
        params = request.query_params
        if params.get("service_request_id"):
            ids = [i.strip().upper() for i in params["service_request_id"].split(",") if i.strip()]
            needs = needs.filter(tracking_number__in=ids)
        if params.get("service_code"):
            needs = needs.filter(category__code__in=params["service_code"].split(","))
        if params.get("status") in ("open", "closed"):
            condition = {"status__in": list(OPEN)}
            needs = (
                needs.filter(**condition)
                if params["status"] == "open"
                else needs.exclude(**condition)
            )
        for name, lookup in (("start_date", "gte"), ("end_date", "lte")):
            if params.get(name):
                try:
                    moment = datetime.fromisoformat(params[name].replace("Z", "+00:00"))
                    moment = moment.astimezone(UTC) if moment.tzinfo else moment
                except (ValueError, OverflowError):
                    raise InvalidInput(_("Dates are ISO 8601."), field=name) from None
                needs = needs.filter(**{f"submitted_at__{lookup}": moment})
        rows = needs.order_by("-submitted_at", "-id")[:MAX_REQUESTS]
        return Response([_request_row(need, full=True) for need in rows])

    def post(self, request):
        client = client_of(request)
        data = request.data
        if not hasattr(data, "get"):
            raise InvalidInput(_("Send the request's fields as a form or a JSON object."))
        if client is not None:
            self.require(PartnerScope.NEEDS_WRITE)
        else:
            _enforce(request, ANONYMOUS_POST_LIMITS)
        category = NeedCategory.objects.filter(
            is_active=True, code=(data.get("service_code") or "").strip()
        ).first()
        if category is None:
            raise InvalidInput(_("Unknown service_code."), field="service_code")
        description = (data.get("description") or "").strip()
        if not description:
            raise InvalidInput(_("Describe the problem."), field="description")
        name = f"{(data.get('last_name') or '').strip()}{(data.get('first_name') or '').strip()}"
        if not name:
            raise InvalidInput(_("Give the requester's name."), field="first_name")
        user = request.user if client is not None else None
        community, grid = _community(request, user)
        need = submit_need(
            community=community,
            grid=grid,
            category=category,
            title=description[:60],
            description=description[:4000],
            requester_name=name[:50],
            requester_phone=(data.get("phone") or "").strip(),
            address=(data.get("address_string") or "").strip()[:200],
            channel=client.channel if client is not None else Channel.ONLINE,
            by=user,
        )
        return Response(
            [
                {
                    "service_request_id": need.tracking_number,
                    "service_notice": _("Keep the number to follow your request."),
                    "account_id": None,
                }
            ],
            status=201,
        )


class RequestView(Open311View):
    def get(self, request, request_id: str):
        client = client_of(request)
        tracking = request_id.strip().upper()
        if client is not None and client.has_scope(PartnerScope.NEEDS_READ):
            need = selectors.needs_for(request.user).filter(tracking_number=tracking).first()
            if need is not None:
                return Response([_request_row(need, full=True)])
        _enforce(request, LOOKUP_LIMITS)
        try:
            need = selectors.find_by_tracking(
                tracking_number=tracking,
                phone_last4=request.query_params.get("phone_last4", ""),
            )
        except NotFound:
            # The same answer for an unknown id and for wrong digits.
            raise NotFound(
                _("No service request matches this id and the phone's last 4 digits.")
            ) from None
        return Response([_request_row(need, full=False)])


urlpatterns = [
    path("services.json", ServicesView.as_view(), name="open311_services"),
    path("services/<str:code>.json", ServiceDefinitionView.as_view(), name="open311_service"),
    path("requests.json", RequestsView.as_view(), name="open311_requests"),
    path("requests/<str:request_id>.json", RequestView.as_view(), name="open311_request"),
]
