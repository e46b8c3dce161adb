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
