"""The CSRF sweep: every page that takes a POST refuses one without the token.

Generated from the same URL walk as the IDOR sweep (tests/security/urlmap.py). For each page
pattern (not the partner API or Open311, which take keys and never session cookies; the IDOR
sweep's ``test_the_api_does_not_accept_a_session_cookie_anywhere`` and its per-endpoint
"session cookie" attacker prove that claim), a signed-in rightful user with
``Client(enforce_csrf_checks=True)`` posts without a token and gets Django's CSRF 403; nothing
in the database changes. Patterns with an object id post to the object the registry builds;
admin pages are posted to by a superuser. Sign-in and sign-out are checked on their own.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import Role, User
from tests.factories import UserFactory
from tests.security import urlmap
from tests.security.test_idor_sweep import fingerprint
from tests.security.urlmap import REGISTRY, World, page_client

pytestmark = pytest.mark.django_db

# Identifier values for patterns swept without a builder (exempt and admin patterns): the CSRF
# check runs before the view, so the record need not exist.
DUMMY = {"app_label": "portal", "uidb64": "MQ", "token": "x1-x1", "code": "X1"}
SKIP = {"admin/(?P<url>.*)$"}  # the admin's catch-all: not a form


def _dummy(identifier: str) -> str:
    return DUMMY.get(identifier, "1" if identifier.endswith(("pk", "id")) else "x1")


def _page_routes() -> list[urlmap.Route]:
    return [
        route
        for route in urlmap.patterns()
        if not route.is_api
        and not route.route.startswith("open311/")
        and route.name
        and route.route not in SKIP
    ]


def _csrf_refused(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path


def _staff_user(world: World) -> User:
    """A user with pages to use: secretary and party member in A, officer of street 1."""
    user = world.user(Role.MEMBER, "a")
    for role, place in (
        (Role.COMMUNITY_SECRETARY, "a"),
        (Role.STREET_OFFICER, "street1"),
        (Role.DISTRICT_OFFICIAL, "district"),
    ):
        user.role_assignments.create(role=role, area=world[place])
    return user


def test_every_page_refuses_a_post_without_the_csrf_token(capsys):
    world = World()
    staff = _staff_user(world)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    plan = []
    for route in _page_routes():
        if route.name in REGISTRY and not REGISTRY[route.name].api:
            spec = REGISTRY[route.name]
            target = spec.build(world)
            user = target.owner or world.user(spec.role, spec.home)
            plan.append((route, reverse(route.name, kwargs=target.kwargs), user, target.objects))
            continue
        kwargs = {identifier: _dummy(identifier) for identifier in route.identifiers}
        user = superuser if route.is_admin else staff
        plan.append((route, reverse(route.name, kwargs=kwargs), user, []))
    objects = [obj for *_rest, targets in plan for obj in targets]
    before = fingerprint(objects)

    failures = []
    for route, url, user, _targets in plan:
        response = page_client(user, enforce_csrf_checks=True).post(url, {"x": "1"})
        if not _csrf_refused(response):
            failures.append(f"{route.key} ({url}): {response.status_code}")

    assert not failures, "pages that took a POST without a CSRF token:\n" + "\n".join(failures)
    assert fingerprint(objects) == before
    with capsys.disabled():
        print(f"\nCSRF sweep: {len(plan)} page patterns posted without a token, all refused")


def test_sign_in_without_the_csrf_token_is_refused_and_signs_nobody_in(settings):
    user = UserFactory()
    client = page_client(None, enforce_csrf_checks=True)

    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery"}
    )

    assert _csrf_refused(response)
    assert "_auth_user_id" not in client.session


def test_sign_in_with_the_token_works(settings):
    # The rightful side: the same form with its token signs in, so the refusal above is CSRF's.
    user = UserFactory()
    client = page_client(None, enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse("login"),
        {"username": user.username, "password": "correct-horse-battery"},
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_sign_out_without_the_csrf_token_is_refused_and_keeps_the_session():
    world = World()
    user = world.user(Role.COMMUNITY_WORKER, "a")
    client = page_client(user, enforce_csrf_checks=True)

    response = client.post(reverse("logout"))

    assert _csrf_refused(response)
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert client.get(reverse("resources:need_list")).status_code == 200


def test_a_state_changing_post_with_the_token_goes_through():
    # The sweep's 403s are CSRF's, not the view's: with the token the same post works.
    world = World()
    spec = REGISTRY["resources:need_transition"]
    target = spec.build(world)
    user = world.user(spec.role, spec.home)
    client = page_client(user, enforce_csrf_checks=True)
    client.get(reverse("resources:need_detail", kwargs={"pk": target.kwargs["pk"]}))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse("resources:need_transition", kwargs=target.kwargs), HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 302
    need = target.objects[0]
    need.refresh_from_db()
    assert need.status == "accepted"
