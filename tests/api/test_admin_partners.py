import re

import pytest
from django.urls import reverse

from portal.models import PartnerClient, PartnerKey, Role, RoleAssignment
from tests.api.conftest import api_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
KEY = re.compile(r"bd_[0-9a-f]{8}\.[A-Za-z0-9_-]{43}")


@pytest.fixture
def admin_client(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def _register(admin_client, tree, **changes):
    data = {
        "name": "区医院",
        "areas": [tree["a"].pk],
        "scopes": ["needs:read", "needs:write"],
        "channel": "proxy",
        "rate_per_minute": 60,
        "contact_email": "it@hospital.example",
        "keys-TOTAL_FORMS": "0",
        "keys-INITIAL_FORMS": "0",
        **changes,
    }
    return admin_client.post(reverse("admin:portal_partnerclient_add"), data)


def test_registering_a_partner_shows_its_key_once_and_the_key_works(admin_client, tree):
    response = _register(admin_client, tree)

    assert response.status_code == 200
    (key,) = set(KEY.findall(response.content.decode()))
    client = PartnerClient.objects.get(name="区医院")
    assert RoleAssignment.objects.get(user=client.user).area == tree["a"]
    assert RoleAssignment.objects.get(user=client.user).role == Role.PARTNER
    assert api_for(key).get("/api/v1/needs/").status_code == 200


def test_only_a_hash_of_the_key_is_stored(admin_client, tree):
    key = KEY.search(_register(admin_client, tree).content.decode()).group()

    stored = PartnerKey.objects.get()
    assert key.split(".")[1] not in stored.secret_hash
    assert key.startswith(f"bd_{stored.prefix}.")


def test_the_change_page_never_shows_the_key(admin_client, tree):
    _register(admin_client, tree)
    client = PartnerClient.objects.get()

    page = admin_client.get(reverse("admin:portal_partnerclient_change", args=[client.pk]))

    assert page.status_code == 200
    assert not KEY.search(page.content.decode())


def test_rotating_shows_a_new_key_and_the_old_one_stops(admin_client, tree):
    old = KEY.search(_register(admin_client, tree).content.decode()).group()
    client = PartnerClient.objects.get()

    response = admin_client.post(
        reverse("admin:portal_partnerclient_changelist"),
        {"action": "rotate_keys", "_selected_action": [client.pk]},
    )

    (new,) = set(KEY.findall(response.content.decode()))
    assert new != old
    assert api_for(old).get("/api/v1/needs/").status_code == 401
    assert api_for(new).get("/api/v1/needs/").status_code == 200


def test_revoking_a_partner_stops_its_keys(admin_client, tree):
    key = KEY.search(_register(admin_client, tree).content.decode()).group()
    client = PartnerClient.objects.get()

    admin_client.post(
        reverse("admin:portal_partnerclient_changelist"),
        {"action": "revoke_clients", "_selected_action": [client.pk]},
    )

    assert api_for(key).get("/api/v1/needs/").status_code == 401


def test_last_use_of_a_key_is_recorded(admin_client, tree):
    key = KEY.search(_register(admin_client, tree).content.decode()).group()

    api_for(key).get("/api/v1/needs/")

    assert PartnerKey.objects.get().last_used_at is not None


def test_changing_scopes_in_the_admin_takes_effect_on_the_next_request(admin_client, tree):
    key = KEY.search(_register(admin_client, tree).content.decode()).group()
    client = PartnerClient.objects.get()

    admin_client.post(
        reverse("admin:portal_partnerclient_change", args=[client.pk]),
        {
            "areas": [tree["a"].pk],
            "scopes": ["resources:read"],
            "channel": "proxy",
            "rate_per_minute": 60,
            "contact_email": "",
            "keys-TOTAL_FORMS": "1",
            "keys-INITIAL_FORMS": "1",
            "keys-0-id": PartnerKey.objects.get().pk,
            "keys-0-client": client.pk,
        },
    )

    client.refresh_from_db()
    assert client.scopes == ["resources:read"]
    assert api_for(key).get("/api/v1/needs/").status_code == 403


def test_an_unknown_scope_cannot_be_chosen(admin_client, tree):
    response = _register(admin_client, tree, scopes=["everything"])

    assert response.status_code == 200
    assert not PartnerClient.objects.exists()
