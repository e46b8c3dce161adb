"""One record of each kind the API lists, in a given community, for the scope tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from portal.api_clients import grant_consent
from reporting.models import Activity, CheckIn, Enrollment
from resources.models import Match
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    UserFactory,
    make_party_member,
    make_service_record,
)


def need(area, client):
    return NeedFactory(community=area)


def resource(area, client):
    return ResourceFactory(area=area)


def project(area, client):
    created = ProjectFactory(area=area, owner=UserFactory())
    TaskFactory(project=created)
    return created


def match(area, client):
    return Match.objects.create(
        need=NeedFactory(community=area),
        resource=ResourceFactory(area=area),
        score=700,
        reasons=[["same_community", {}]],
        proposed_at=timezone.now(),
    )


def activity(area, client):
    start = timezone.now() + timedelta(days=1)
    return Activity.objects.create(
        community=area,
        title="清扫楼道",
        venue="活动室",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        organiser=UserFactory(),
    )


def consenting_member(area, client):
    member = make_party_member(area)
    grant_consent(user=member.user, client=client)
    return member


def checkin(area, client):
    member = consenting_member(area, client)
    return CheckIn.objects.create(
        activity=activity(area, client),
        member=member,
        method=CheckIn.Method.QR,
        checked_in_at=timezone.now(),
    )


def service_record(area, client):
    return make_service_record(consenting_member(area, client))


def enrollment(area, client):
    return Enrollment.objects.create(
        member=make_party_member(area), community=area, year=2026, submitted_at=timezone.now()
    )
