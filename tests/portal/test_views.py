"""Platform pages: health check, sign-in, the permission matrix and the audit log."""

from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import translation

from portal import audit
from portal.access import ACTION_LABELS, ALL_ACTIONS
from portal.models import Area, Role
from tests.factories import AreaFactory, UserFactory, user_with_role

PASSWORD = "correct-horse-battery"


def _signed_in_as(client, user) -> bool:
    return client.session.get(SESSION_KEY) == str(user.pk)


# Health check ---------------------------------------------------------------------------------


def test_healthz_reports_the_database_reachable(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_never_cached(client, db):
    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_get_only(client, db):
    assert client.post(reverse("healthz")).status_code == 405


# Sign-in --------------------------------------------------------------------------------------


def test_a_user_signs_in_with_their_mobile_number(client, db):
    user = UserFactory(username="zhangsan", phone="13812341234")

    response = client.post(reverse("login"), {"username": "13812341234", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in_as(client, user)


def test_a_user_signs_in_with_their_username(client, db):
    user = UserFactory(username="zhangsan", phone="13812341234")

    response = client.post(reverse("login"), {"username": "zhangsan", "password": PASSWORD})

    assert response.status_code == 302
    assert _signed_in_as(client, user)


def test_surrounding_spaces_around_the_mobile_number_are_ignored(client, db):
    user = UserFactory(phone="13812341234")

    assert client.login(username=" 13812341234 ", password=PASSWORD)
    assert _signed_in_as(client, user)


def test_a_wrong_password_is_refused(client, db):
    UserFactory(phone="13812341234")

    response = client.post(reverse("login"), {"username": "13812341234", "password": "wrong-one"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert SESSION_KEY not in client.session


def test_an_unknown_account_is_refused(client, db):
    response = client.post(reverse("login"), {"username": "13800000000", "password": PASSWORD})

    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_an_inactive_user_cannot_sign_in_by_phone_or_username(client, db):
    UserFactory(username="leaver", phone="13812341234", is_active=False)

    for login in ("leaver", "13812341234"):
        response = client.post(reverse("login"), {"username": login, "password": PASSWORD})
        assert response.status_code == 200
        assert SESSION_KEY not in client.session


def test_the_sign_in_page_asks_for_a_mobile_number_or_username(client, db, settings):
    settings.LANGUAGE_CODE = "en"  # the assertion reads the English msgid

    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert str(response.context["form"].fields["username"].label) == "Mobile number or username"


# Permission matrix ----------------------------------------------------------------------------


def test_the_permission_matrix_requires_sign_in(client, db):
    response = client.get(reverse("access_matrix"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_permission_matrix_lists_every_role_and_action(client, tree, worker):
    client.force_login(worker)

    response = client.get(reverse("access_matrix"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.content.decode()
    with translation.override("en"):
        for role in Role:
            assert str(role.label) in body
    for action in ALL_ACTIONS:
        assert f'title="{action}"' in body
    assert [code for code, _label in response.context["actions"]] == list(ALL_ACTIONS)
    assert set(ACTION_LABELS) == set(ALL_ACTIONS)


def test_the_permission_matrix_marks_allowed_cells(client, tree, worker):
    client.force_login(worker)

    response = client.get(reverse("access_matrix"))

    rows = {role: cells for role, _label, cells in response.context["rows"]}
    assert rows[Role.AUDITOR] == [action == "audit.view" for action in ALL_ACTIONS]


# Audit log ------------------------------------------------------------------------------------


def test_the_audit_log_requires_sign_in(client, db):
    response = client.get(reverse("audit_log"))

    assert response.status_code == 302


def test_a_community_worker_cannot_read_the_audit_log(client, tree, worker):
    client.force_login(worker)

    assert client.get(reverse("audit_log")).status_code == 403


def test_an_auditor_reads_the_events_of_their_area_newest_first(client, tree, worker):
    auditor = user_with_role(Role.AUDITOR, tree["city"])
    first = audit.record(action="test.first", actor=worker, area=tree["a"])
    second = audit.record(action="test.second", actor=worker, area=tree["b"])
    client.force_login(auditor)

    response = client.get(reverse("audit_log"))

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [second, first]
    assert "test.second" in response.content.decode()


def test_an_auditor_of_a_street_sees_only_that_streets_events(client, tree, worker):
    auditor = user_with_role(Role.AUDITOR, tree["street1"])
    mine = audit.record(action="test.a", actor=worker, area=tree["a"])
    audit.record(action="test.b", actor=worker, area=tree["b"])
    client.force_login(auditor)

    response = client.get(reverse("audit_log"))

    assert list(response.context["page_obj"]) == [mine]


def test_the_audit_log_pages_in_a_bounded_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    auditor = user_with_role(Role.AUDITOR, tree["city"])
    grids = [AreaFactory(level=Area.Level.GRID, parent=tree["a"]) for _ in range(5)]
    for i in range(60):
        audit.record(action=f"test.{i}", actor=worker, area=grids[i % 5], data={"i": i})
    client.force_login(auditor)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("audit_log"))

    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 50
    assert response.context["page_obj"].paginator.count == 60


def test_healthz_names_the_database_when_it_is_down(client, db):
    from unittest import mock

    from django.db import OperationalError, connection

    with mock.patch.object(connection, "cursor", side_effect=OperationalError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "detail": "OperationalError"}


def test_home_sends_staff_to_the_dashboard(client, worker):
    client.force_login(worker)
    assert client.get("/").url == "/staff/"


def test_home_sends_an_auditor_to_the_audit_log(client, tree):
    auditor = user_with_role(Role.AUDITOR, tree["city"])
    client.force_login(auditor)
    assert client.get("/").url == "/staff/audit/"


def test_home_sends_a_member_to_the_needs_list(client, tree):
    member = user_with_role(Role.MEMBER, tree["a"])
    client.force_login(member)
    assert client.get("/").url == "/staff/needs/"


def test_home_welcomes_residents(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/needs/new/"' in response.content


def test_home_sends_a_party_member_to_their_mobile_home(client, tree):
    from reporting.models import PartyMember

    member = user_with_role(Role.MEMBER, tree["a"])
    PartyMember.objects.create(user=member, party_organisation="党支部", home_community=tree["a"])
    client.force_login(member)
    assert client.get("/").url == "/me/"
