"""The IDOR sweep, generated from the URL configuration.

Every URL pattern that takes an object identifier (pages, the partner API, exports, downloads,
the admin) is either in ``urlmap.REGISTRY``, in ``urlmap.EXEMPT`` with a reason, or an admin
object URL swept generically below; ``test_every_identifier_pattern_is_covered`` fails naming
any new pattern that is none of these.

For each registered pattern the object is built in community A. Users of the same role in
another community of the same street (C), in another street (B) and in another district (D),
the street officer of another street, the district official of another district and an
anonymous visitor are refused (403/404; anonymous visitors may be sent to the login page) for
GET and POST, and the records are unchanged afterwards; a record that belongs to one user is
refused to a peer with the same role in A too. Then the rightful user's request succeeds, which
proves that the URL pointed at a real object. API patterns do the same with partner keys of
other areas, no key, and a staff session cookie (the API must not accept cookies).
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent, AuditHead, Role
from resources.models import Need
from tests.factories import NeedFactory, UserFactory, make_party_member
from tests.security import urlmap
from tests.security.urlmap import (
    ANONYMOUS,
    API_ATTACKER_PLACES,
    EXEMPT,
    REGISTRY,
    World,
    api_client,
    page_client,
)

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("portal", "resources", "reporting", "evaluation")
# Logging of the requests themselves (audit events of denials, lockout attempts) may grow.
NOT_FINGERPRINTED = {AuditEvent, AuditHead}
PAGE_METHODS = ("get", "post")
API_METHODS = ("get", "post", "patch", "delete")
REFUSED = {403, 404, 405}
API_ANONYMOUS_REFUSED = {401, 403, 404, 405}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    # Hundreds of refused requests from 127.0.0.1 must not trip the anonymous throttles.
    from portal.api_auth import Open311AnonReadThrottle, Open311AnonThrottle

    monkeypatch.setattr(Open311AnonThrottle, "rate", "100000/hour")
    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "100000/hour")


def fingerprint(objects) -> tuple:
    """The stored values of ``objects`` and the row count of every model of the project."""
    rows = tuple(type(obj)._base_manager.filter(pk=obj.pk).values().first() for obj in objects)
    counts = tuple(
        (model._meta.label, model._base_manager.count())
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and model not in NOT_FINGERPRINTED
    )
    return rows, counts


def _login_url() -> str:
    return reverse("login")


def _is_login_redirect(response) -> bool:
    if response.status_code != 302:
        return False
    location = response["Location"]
    return location.startswith(_login_url()) or location.startswith("/accounts/")


def _page_refused(response, anonymous: bool) -> bool:
    if response.status_code in REFUSED:
        return True
    # A sign-in step (login, second factor, forced password change) reveals nothing either.
    return _is_login_redirect(response)


def _attacker_user(world: World, who, spec):
    if who is ANONYMOUS:
        return None
    role, place = who
    if spec.personal and place == spec.home and role == spec.role:
        return world.fresh_user(role, place)  # a peer, never the owner
    return world.user(role, place)


def _owner(world: World, spec, target):
    return target.owner or world.user(spec.role, spec.home)


def sweep_page(name: str, spec) -> int:
    """Run one page pattern's sweep; return the number of requests made."""
    world = World()
    target = spec.build(world)
    url = reverse(name, kwargs=target.kwargs)
    owner = _owner(world, spec, target)
    attackers = [(who, _attacker_user(world, who, spec)) for who in urlmap.page_attackers(spec)]
    before = fingerprint(target.objects)
    requests = 0
    failures = []
    for who, user in attackers:
        client = page_client(user)
        for method in PAGE_METHODS:
            response = getattr(client, method)(url)
            requests += 1
            if not _page_refused(response, user is None):
                failures.append(f"{method.upper()} by {who or 'anonymous'}: {response.status_code}")
    assert not failures, f"{name} ({url}) reached from outside: {failures}"
    assert fingerprint(target.objects) == before, f"{name}: a refused request changed data"

    response = getattr(page_client(owner), spec.proof)(url, spec.data)
    requests += 1
    assert response.status_code in spec.proof_ok, (
        f"{name}: the rightful {spec.role} got {response.status_code}, so the sweep's object "
        "is not a real one"
    )
    assert not _is_login_redirect(response), f"{name}: the rightful user was sent to sign in"
    return requests


def sweep_api(name: str, spec) -> int:
    world = World()
    target = spec.build(world)
    url = reverse(name, kwargs=target.kwargs)
    attackers = [(place, api_client(world.partner(place)[1])) for place in API_ATTACKER_PLACES]
    if spec.personal:
        attackers.insert(0, ("another partner of A", api_client(world.partner("a")[1])))
    attackers.append(("no key", api_client(None)))
    # A signed-in staff member of A: the API must not take the session cookie.
    cookie = api_client(None)
    cookie.force_login(world.user(Role.COMMUNITY_SECRETARY, "a"))
    attackers.append(("session cookie", cookie))
    before = fingerprint(target.objects)
    requests = 0
    failures = []
    for label, client in attackers:
        refused = REFUSED if label in API_ATTACKER_PLACES else API_ANONYMOUS_REFUSED
        if label == "another partner of A":
            refused = REFUSED
        for method in API_METHODS:
            response = getattr(client, method)(url, {}, format="json")
            requests += 1
            if response.status_code not in refused:
                failures.append(f"{method.upper()} by {label}: {response.status_code}")
    assert not failures, f"{name} ({url}) reached from outside: {failures}"
    assert fingerprint(target.objects) == before, f"{name}: a refused request changed data"

    owner = api_client(target.partner[1])
    response = getattr(owner, spec.proof)(url, spec.data or None, format="json")
    requests += 1
    assert response.status_code in (spec.proof_ok if spec.proof == "post" else (200,)), (
        f"{name}: the rightful partner got {response.status_code}: {response.content[:300]!r}"
    )
    return requests


REQUESTS: dict[str, int] = {}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_an_object_of_community_a_is_refused_to_everyone_outside_its_reach(name):
    spec = REGISTRY[name]
    REQUESTS[name] = sweep_api(name, spec) if spec.api else sweep_page(name, spec)


@pytest.mark.parametrize("name", ["resources:need_detail", "api:need-detail"])
def test_the_sweep_fails_when_scoping_is_switched_off(monkeypatch, name):
    # Proof that the sweep can fail: let every signed-in user reach every area.
    from portal import access

    real_reach = access.reach
    monkeypatch.setattr(
        access, "reach", lambda user, action: [""] if real_reach(user, action) else []
    )
    spec = REGISTRY[name]

    with pytest.raises(AssertionError, match="reached from outside"):
        sweep_api(name, spec) if spec.api else sweep_page(name, spec)


def test_every_identifier_pattern_is_covered():
    missing = urlmap.uncovered()

    assert not missing, (
        "URL patterns with an object identifier that the IDOR sweep does not cover; add a "
        f"builder to tests/security/urlmap.py REGISTRY (or a reason to EXEMPT): {missing}"
    )


def test_the_registry_and_exemptions_name_only_existing_patterns():
    names = {route.key for route in urlmap.identifier_patterns()}

    assert not set(REGISTRY) - names, sorted(set(REGISTRY) - names)
    assert not set(EXEMPT) - names, sorted(set(EXEMPT) - names)
    assert not set(REGISTRY) & set(EXEMPT)


# -- the admin site, generically ---------------------------------------------------------------

# The admin's object views, and django-otp's TOTP device views (they show the device's secret).
ADMIN_VIEWS = ("change", "history", "delete", "config", "qrcode")


def _admin_urls(obj) -> list[str]:
    meta = obj._meta
    urls = []
    for view in ADMIN_VIEWS:
        try:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk]))
        except NoReverseMatch:
            continue
    return urls


def _admin_objects(world: World) -> list:
    """One stored record of every model registered in the admin site."""
    for _name, spec in sorted(REGISTRY.items()):
        spec.build(world)
    NeedFactory(community=world["a"])
    TOTPDevice.objects.create(user=world.user(Role.DISTRICT_OFFICIAL, "district"), name="phone")
    found = []
    for model in admin.site._registry:
        obj = model._base_manager.order_by("pk").first()
        if obj is not None:
            found.append(obj)
    return found


def test_admin_object_urls_refuse_everyone_without_the_models_permission():
    world = World()
    objects = _admin_objects(world)
    # Most admin models have a row after the builders ran (the rest are logs and archives).
    assert len(objects) >= 20, [obj._meta.label for obj in objects]
    admin_login = reverse("admin:login")
    clients = {
        "anonymous": page_client(None),
        "community worker": page_client(world.user(Role.COMMUNITY_WORKER, "a")),
        "district official": page_client(world.user(Role.DISTRICT_OFFICIAL, "district")),
    }
    staff = UserFactory(is_staff=True)
    staff_client = page_client(staff)
    urls = [url for obj in objects for url in _admin_urls(obj)]
    user = objects and next(o for o in objects if o._meta.model_name == "user")
    urls.append(reverse("admin:auth_user_password_change", args=[user.pk]))
    ct = ContentType.objects.get_for_model(Need)
    need = Need.objects.first()
    urls.append(reverse("admin:view_on_site", args=[ct.pk, need.pk]))
    before = fingerprint(objects)

    failures = []
    requests = 0
    for url in urls:
        for label, client in clients.items():
            for method in PAGE_METHODS:
                response = getattr(client, method)(url)
                requests += 1
                if not (
                    response.status_code == 302 and response["Location"].startswith(admin_login)
                ):
                    failures.append(f"{method.upper()} {url} by {label}: {response.status_code}")
        for method in PAGE_METHODS:
            response = getattr(staff_client, method)(url)
            requests += 1
            refused = response.status_code == 403 or _is_login_redirect(response)
            if "/r/" in url:  # view_on_site has no model permission; staff may follow it
                refused = response.status_code in (302, 404)
            if not refused and response.status_code == 302:
                refused = response["Location"].startswith(admin_login)
            if not refused:
                failures.append(f"{method.upper()} {url} by staff: {response.status_code}")

    assert not failures, "\n".join(failures)
    assert fingerprint(objects) == before
    REQUESTS["admin"] = requests
    REQUESTS["admin urls"] = len(urls)


def test_a_staff_member_with_the_view_permission_reaches_an_admin_change_page():
    # The rightful side of the admin sweep: the URLs above point at real records.
    world = World()
    need = NeedFactory(community=world["a"])
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_need"))
    client = page_client(staff)

    response = client.get(reverse("admin:resources_need_change", args=[need.pk]))

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/") or "otp" in response["Location"]


# -- the exempt patterns leak nothing beyond what they are for ---------------------------------


def test_a_check_in_link_with_a_wrong_token_is_not_found(client):
    world = World()
    target = REGISTRY["reporting:activity_detail"].build(world)
    client.force_login(world.user(Role.MEMBER, "a"))

    response = client.get(
        reverse("reporting:checkin", kwargs={"activity_id": target.kwargs["pk"], "token": "x1"})
    )

    assert response.status_code == 404


def test_certificate_verification_shows_no_full_name_or_phone(client):
    world = World()
    target = REGISTRY["reporting:certificate_pdf"].build(world)
    owner = target.owner

    response = client.get(reverse("reporting:certificate_verify", kwargs=target.kwargs))

    assert response.status_code == 200
    page = response.content.decode()
    assert owner.real_name not in page
    assert owner.phone not in page


def test_the_public_community_page_shows_no_requesters_data(client):
    world = World()
    NeedFactory(community=world["a"], requester_name="欧阳秀英", requester_phone="13700001234")

    response = client.get(reverse("evaluation:public_community", args=[world["a"].code]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "欧阳秀英" not in page and "13700001234" not in page


def test_an_open311_request_shows_only_its_status_outside_the_partners_area():
    world = World()
    need = NeedFactory(
        community=world["a"],
        requester_name="欧阳秀英",
        requester_phone="13700001234",
        description="左邻右舍的秘密描述",
    )
    url = reverse("open311_request", args=[need.tracking_number])
    outsiders = [api_client(None), api_client(world.partner("c")[1])]

    for api in outsiders:
        # Outside the partner's areas a request is found only with the phone's last 4 digits,
        # and then shows its status alone.
        assert api.get(url).status_code == 404
        response = api.get(url, {"phone_last4": "1234"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "欧阳秀英" not in body and "13700001234" not in body
        assert "左邻右舍的秘密描述" not in body
    assert "左邻右舍的秘密描述" in api_client(world.partner("a")[1]).get(url).content.decode()


def test_the_api_does_not_accept_a_session_cookie_anywhere():
    world = World()
    make_party_member(world["a"])
    cookie = api_client(None)
    cookie.force_login(world.user(Role.COMMUNITY_SECRETARY, "a"))
    lists = [
        route.route
        for route in urlmap.patterns()
        if route.is_api and not route.identifiers and route.name not in ("api:schema", "api:docs")
    ]

    refused = {}
    for route in lists:
        url = "/" + route.replace("^", "").replace("$", "")
        if "[" in url:  # the catch-all
            continue
        refused[url] = cookie.get(url).status_code

    assert refused and all(status in (401, 403, 404) for status in refused.values()), refused


# -- the figure the closing note quotes --------------------------------------------------------


def test_zz_report_the_size_of_the_sweep(capsys):
    routes = urlmap.identifier_patterns()
    kinds = {"registry": 0, "exempt": 0, "admin": 0, None: 0}
    for route in routes:
        kinds[urlmap.coverage(route)] += 1
    requests = sum(REQUESTS.get(name, 0) for name in REGISTRY) + REQUESTS.get("admin", 0)
    with capsys.disabled():
        print(
            f"\nIDOR sweep: {len(routes)} patterns ({kinds['registry']} swept with builders, "
            f"{kinds['admin']} admin patterns under the generic admin rule "
            f"({REQUESTS.get('admin urls', 0)} admin object URLs requested), {kinds['exempt']} "
            f"public by design), {requests} requests"
        )
    assert kinds[None] == 0
