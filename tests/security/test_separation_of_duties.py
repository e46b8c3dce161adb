"""Separation of duties.

- The system administrator (a superuser without business roles) manages accounts in the admin
  but reads no resident's personal data there: every changelist and change page of every
  registered model is opened with distinctive personal values in the database, and none of
  them may appear in the HTML (masked forms may).
- Nobody adds, changes or deletes audit events in the admin; the audit log is read at
  /staff/audit/ by security auditors only, who have no other grant.
"""

from __future__ import annotations

import pytest
from axes.models import AccessLog
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from portal import audit
from portal.access import PERMISSIONS, Action
from portal.models import AuditEvent, AuditHead, Role
from reporting.models import CheckIn
from tests.factories import (
    NeedFactory,
    ResourceFactory,
    UserFactory,
    make_party_member,
    make_resident_unit,
    make_tree,
    user_with_role,
)

pytestmark = pytest.mark.django_db

MEMBER_PHONE = "13911112222"
MEMBER_ID = "11010519491231002X"
REQUESTER_PHONE = "13922223333"
REQUESTER_NAME = "欧阳娜娜"
NEED_ADDRESS = "幸福里88号3单元501"
CONTACT_PHONE = "13933334444"
CONTACT_NAME = "司马光明"
UNIT_ADDRESS = "和平大街77号"
SECRETS = (
    MEMBER_PHONE,
    MEMBER_ID,
    REQUESTER_PHONE,
    REQUESTER_NAME,
    NEED_ADDRESS,
    CONTACT_PHONE,
    CONTACT_NAME,
    UNIT_ADDRESS,
)


@pytest.fixture
def world():
    tree = make_tree()
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    # A member signs in with the phone number as username (reporting.services.roster).
    member = make_party_member(
        tree["a"], username=MEMBER_PHONE, phone=MEMBER_PHONE, real_name="林小雨"
    )
    member.user.id_number = MEMBER_ID
    member.user.save()
    need = NeedFactory(
        community=tree["a"],
        requester_name=REQUESTER_NAME,
        requester_phone=REQUESTER_PHONE,
        address=NEED_ADDRESS,
        created_by=worker,
    )
    resource = ResourceFactory(
        area=tree["a"], contact_name=CONTACT_NAME, contact_phone=CONTACT_PHONE
    )
    unit = make_resident_unit(tree["a"], name="区少年宫")
    unit.address = UNIT_ADDRESS
    unit.save()
    AccessLog.objects.create(
        username=MEMBER_PHONE,
        ip_address="10.3.0.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=timezone.now(),
    )
    return {"tree": tree, "worker": worker, "member": member, "need": need, "resource": resource}


@pytest.fixture
def sysadmin_client(client):
    """A superuser with no business role (2FA passed by the conftest fixture)."""
    client.force_login(UserFactory(username="sysadmin", is_staff=True, is_superuser=True))
    return client


def _assert_no_personal_data(html: str, where: str) -> None:
    leaked = [value for value in SECRETS if value in html]
    assert not leaked, f"{where} shows {leaked}"


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[model._meta.label for model, _a in REGISTERED]
)
def test_no_admin_page_shows_residents_personal_data(sysadmin_client, world, model, model_admin):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = sysadmin_client.get(changelist)
    assert response.status_code == 200
    _assert_no_personal_data(response.content.decode(), changelist)
    for obj in model._default_manager.all()[:20]:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        response = sysadmin_client.get(url)
        assert response.status_code == 200, url
        _assert_no_personal_data(response.content.decode(), url)


@pytest.mark.parametrize("term", [MEMBER_PHONE, REQUESTER_PHONE, CONTACT_PHONE, REQUESTER_NAME])
def test_admin_search_does_not_find_records_by_personal_data(sysadmin_client, world, term):
    for model, model_admin in REGISTERED:
        if not model_admin.search_fields:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = sysadmin_client.get(url, {"q": term})
        if response.status_code != 200 or "cl" not in (response.context or {}):
            continue
        assert response.context["cl"].result_count == 0, f"{opts.label} found by {term}"


def test_masked_values_are_what_the_admin_shows(sysadmin_client, world):
    html = sysadmin_client.get(reverse("admin:portal_user_changelist")).content.decode()
    assert "139****2222" in html
    html = sysadmin_client.get(reverse("admin:resources_need_changelist")).content.decode()
    assert "139****3333" in html and "欧***" in html


def test_check_in_locations_are_left_out_of_the_admin():
    check_in_admin = admin.site._registry[CheckIn]
    assert {"latitude", "longitude"} <= set(check_in_admin.exclude)


def test_the_audit_log_cannot_be_added_changed_or_deleted_in_the_admin(sysadmin_client, world):
    assert AuditEvent not in admin.site._registry
    assert AuditHead not in admin.site._registry
    event = audit.record(action="need.accepted", obj=world["need"], data={"note": "x"})
    before = (AuditEvent.objects.count(), event.hash)
    for url in (
        "/admin/portal/auditevent/",
        "/admin/portal/auditevent/add/",
        f"/admin/portal/auditevent/{event.pk}/change/",
        f"/admin/portal/auditevent/{event.pk}/delete/",
    ):
        assert sysadmin_client.get(url).status_code != 200
        sysadmin_client.post(url, {"action": "forged", "post": "yes"})
    event.refresh_from_db()
    assert (AuditEvent.objects.count(), event.hash) == before


def test_a_superuser_without_roles_cannot_read_the_audit_log(sysadmin_client):
    assert sysadmin_client.get(reverse("audit_log")).status_code == 403


@pytest.mark.parametrize(
    ("role", "area"),
    [
        (Role.COMMUNITY_WORKER, "a"),
        (Role.COMMUNITY_SECRETARY, "a"),
        (Role.STREET_OFFICER, "street1"),
        (Role.DISTRICT_OFFICIAL, "district"),
        (Role.CITY_ADMIN, "city"),
        (Role.MEMBER, "a"),
    ],
)
def test_business_roles_cannot_read_the_audit_log(client, role, area):
    tree = make_tree()
    client.force_login(user_with_role(role, tree[area]))
    assert client.get(reverse("audit_log")).status_code == 403


def test_only_the_auditor_role_grants_reading_the_audit_log():
    holders = {role for role, actions in PERMISSIONS.items() if Action.AUDIT_VIEW in actions}
    assert holders == {Role.AUDITOR}


def test_the_auditor_role_grants_nothing_else():
    assert PERMISSIONS[Role.AUDITOR] == frozenset({Action.AUDIT_VIEW})


@pytest.mark.parametrize(
    "url_name",
    [
        "resources:dashboard",
        "resources:need_list",
        "resources:resource_list",
        "resources:project_list",
        "area_settings",
        "job_runs",
    ],
)
def test_the_auditor_reads_the_audit_log_and_gets_403_on_business_pages(client, url_name):
    tree = make_tree()
    client.force_login(user_with_role(Role.AUDITOR, tree["city"]))
    assert client.get(reverse("audit_log")).status_code == 200
    assert client.get(reverse(url_name)).status_code == 403


def test_the_auditor_cannot_open_the_admin(client):
    tree = make_tree()
    client.force_login(user_with_role(Role.AUDITOR, tree["city"]))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


# -- account actions: who may run them, on whom ---------------------------------------------


def _operator(client, *perms: str, superuser: bool = False):
    """A staff operator holding the given ``portal`` user permissions (2FA passed)."""
    from django.contrib.auth.models import Permission

    operator = UserFactory(is_staff=True, is_superuser=superuser)
    operator.user_permissions.set(
        Permission.objects.filter(content_type__app_label="portal", codename__in=perms)
    )
    client.force_login(operator)
    return operator


ACCOUNT_ACTIONS = ("unlock_sign_in", "sign_out_everywhere", "reset_two_factor")
ACTION_EVENTS = {
    "unlock_sign_in": "account.unlocked",
    "sign_out_everywhere": "account.signed_out_everywhere",
    "reset_two_factor": "account.2fa_reset",
}


def test_a_view_only_operator_is_offered_no_account_actions_and_cannot_run_them(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.two_factor import give_device

    _operator(client, "view_user")
    boss = UserFactory(is_staff=True, is_superuser=True)
    give_device(boss)
    changelist = reverse("admin:portal_user_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    action_form = response.context.get("action_form")
    offered = (
        {name for name, _label in action_form.fields["action"].choices} if action_form else set()
    )
    assert not offered & set(ACCOUNT_ACTIONS)

    for action in ACCOUNT_ACTIONS:
        client.post(changelist, {"action": action, "_selected_action": [boss.pk]})
    assert TOTPDevice.objects.filter(user=boss).exists()
    assert not AuditEvent.objects.filter(action__in=ACTION_EVENTS.values()).exists()


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
def test_an_operator_who_is_not_a_superuser_cannot_act_on_a_superuser(client, settings, action):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.two_factor import give_device

    settings.LANGUAGE_CODE = "en"
    _operator(client, "view_user", "change_user")
    boss = UserFactory(is_staff=True, is_superuser=True)
    clerk = UserFactory()
    give_device(boss)
    response = client.post(
        reverse("admin:portal_user_changelist"),
        {"action": action, "_selected_action": [boss.pk, clerk.pk]},
        follow=True,
    )
    assert "Only a superuser may manage a superuser" in response.content.decode()
    event = ACTION_EVENTS[action]
    assert not AuditEvent.objects.filter(action=event, object_id=str(boss.pk)).exists()
    assert AuditEvent.objects.filter(action=event, object_id=str(clerk.pk)).exists()
    assert TOTPDevice.objects.filter(user=boss).exists()


def test_a_superuser_runs_the_account_actions_on_another_superuser(client):
    _operator(client, superuser=True)
    other = UserFactory(is_staff=True, is_superuser=True)
    client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [other.pk]},
    )
    assert AuditEvent.objects.filter(
        action="account.signed_out_everywhere", object_id=str(other.pk)
    ).exists()


def test_an_operator_who_is_not_a_superuser_cannot_change_a_superusers_account(client):
    _operator(client, "view_user", "change_user")
    boss = UserFactory(is_staff=True, is_superuser=True)
    password_url = reverse("admin:auth_user_password_change", args=[boss.pk])
    new = "Lantern-river-7-orbit"
    response = client.post(
        password_url, {"password1": new, "password2": new, "usable_password": "true"}
    )
    assert response.status_code == 403
    change_url = reverse("admin:portal_user_change", args=[boss.pk])
    client.post(change_url, {"username": boss.username, "email": "taken@example.org"})
    boss.refresh_from_db()
    assert not boss.check_password(new)
    assert boss.email != "taken@example.org"


def test_failed_sign_in_attempts_are_read_only_in_the_admin(sysadmin_client):
    from axes.models import AccessAttempt, AccessFailureLog

    attempt = AccessAttempt.objects.create(
        username="user:1",
        ip_address="10.3.0.2",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="username=13911112222",
        failures_since_start=5,
    )
    model_admin = admin.site._registry[AccessAttempt]
    changelist = reverse("admin:axes_accessattempt_changelist")
    response = sysadmin_client.get(changelist)
    assert response.status_code == 200
    request = response.wsgi_request
    assert not model_admin.has_delete_permission(request, attempt)
    assert not model_admin.has_change_permission(request, attempt)
    assert not model_admin.get_actions(request)

    sysadmin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    sysadmin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    page = sysadmin_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    assert "13911112222" not in page.content.decode()
    for model in (AccessLog, AccessFailureLog):
        registered = admin.site._registry.get(model)
        assert registered is None or not registered.has_delete_permission(request)
