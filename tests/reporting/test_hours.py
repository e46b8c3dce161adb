from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reporting.hours import total_hours
from reporting.models import PartyMember, ServiceRecord
from tests.factories import UserFactory


@pytest.mark.django_db
def test_total_hours_is_exact_to_two_places_on_every_backend(tree):
    member = PartyMember.objects.create(
        user=UserFactory(), party_organisation="党支部", home_community=tree["a"]
    )
    start = timezone.now()
    for hours in ("2.33", "3.33", "5.80"):
        ServiceRecord.objects.create(
            member=member,
            community=tree["a"],
            organisation="社区",
            place="活动室",
            service_date=start.date(),
            started_at=start,
            ended_at=start + timedelta(hours=3),
            hours=Decimal(hours),
            confirmed_by=member.user,
        )
    total = total_hours(ServiceRecord.objects.filter(member=member))
    assert total == Decimal("11.46")
    assert str(total) == "11.46"
