"""Certificates of service hours: issuing, the PDF, the owner-only download, public verification."""

import base64
import re
import zlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.errors import InvalidInput
from portal.models import AuditEvent
from reporting.certificates_pdf import build_certificate_pdf
from reporting.models import Certificate, ServiceRecord
from reporting.services.certificates import (
    CODE_ALPHABET,
    certified_records,
    issue_certificate,
    mask_name,
    records_in_period,
    verify_certificate,
)
from reporting.services.roster import create_member

MY_URL = reverse("reporting:my_certificates")
VERIFY_URL = reverse("reporting:certificate_verify")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


def make_member(community, *, name="张三丰", phone="13800000001"):
    member = create_member(
        real_name=name,
        phone=phone,
        party_organisation="甲支部",
        workplace="",
        community=community,
    )
    # A roster account must first choose its own password; this member has done so.
    member.user.must_change_password = False
    member.user.save(update_fields=["must_change_password"])
    return member


def record(member, day: date, hours: str, *, by, corrects=None, reason=""):
    start = timezone.make_aware(datetime.combine(day, time(9)))
    return ServiceRecord.objects.create(
        member=member,
        community=member.home_community,
        organisation="甲社区居委会",
        place="社区活动室",
        service_date=day,
        started_at=start,
        ended_at=start + timezone.timedelta(hours=3),
        hours=Decimal(hours),
        confirmed_by=by,
        corrects=corrects,
        reason=reason,
    )


@pytest.fixture
def member(tree):
    return make_member(tree["a"])


@pytest.fixture
def records(member, worker):
    first = record(member, date(2026, 3, 1), "2.00", by=worker)
    record(member, date(2026, 3, 1), "0.50", by=worker, corrects=first, reason="Stayed longer")
    record(member, date(2026, 5, 9), "3.25", by=worker)
    record(member, date(2025, 12, 31), "4.00", by=worker)  # outside the period
    return first


def pdf_text(pdf: bytes) -> bytes:
    """The page content streams, decoded (reportlab writes ASCII85 over Flate)."""
    out = b""
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        header, data = match.groups()
        if b"ASCII85Decode" in header:
            data = base64.a85decode(data.strip(), adobe=True)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        out += data
    return out


def test_certificate_sums_the_period_including_a_correction(member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )

    assert certificate.hours == Decimal("5.75")
    assert len(certificate.verification_code) == 10
    assert set(certificate.verification_code) <= set(CODE_ALPHABET)
    event = AuditEvent.objects.get(action="certificate.issued")
    assert event.actor == member.user
    assert event.data["hours"] == "5.75"
    assert event.data["records"] == 3


def test_an_empty_period_is_refused(member, records):
    with pytest.raises(InvalidInput, match="No service hours"):
        issue_certificate(
            member=member, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31)
        )
    assert not Certificate.objects.exists()


def test_a_period_ending_before_it_starts_is_refused(member, records):
    with pytest.raises(InvalidInput):
        issue_certificate(member=member, period_start=date(2026, 5, 1), period_end=date(2026, 1, 1))


def test_codes_are_unique(member, records):
    codes = {
        issue_certificate(
            member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        ).verification_code
        for _i in range(5)
    }
    assert len(codes) == 5


def test_pdf_builds_with_the_code_and_url(member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    rows = list(
        records_in_period(
            member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
    )
    assert [r.hours for r in rows] == [Decimal("2.00"), Decimal("0.50"), Decimal("3.25")]

    pdf = build_certificate_pdf(
        certificate=certificate, records=rows, verify_url="https://example.test/verify/X/"
    )

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert certificate.verification_code.encode() in text
    assert b"https://example.test/verify/X/" in text
    assert b"STSong-Light" in pdf


def test_member_issues_a_certificate_and_downloads_the_pdf(client, member, records):
    client.force_login(member.user)
    assert client.get(MY_URL).status_code == 200

    response = client.post(MY_URL, {"period_start": "2026-01-01", "period_end": "2026-12-31"})

    certificate = Certificate.objects.get()
    pdf_url = reverse("reporting:certificate_pdf", args=[certificate.verification_code])
    assert response.status_code == 302 and response["Location"] == pdf_url
    download = client.get(pdf_url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")
    assert client.get(MY_URL).context["certificates"][0] == certificate


def test_my_certificates_defaults_to_this_year(client, member):
    client.force_login(member.user)

    form = client.get(MY_URL).context["form"]

    assert form["period_start"].value() == date(timezone.localdate().year, 1, 1)


def test_issuing_for_an_empty_period_shows_the_message(client, member, records):
    client.force_login(member.user)

    response = client.post(MY_URL, {"period_start": "2024-01-01", "period_end": "2024-12-31"})

    assert response.status_code == 400
    assert "No service hours were recorded in this period" in response.content.decode()


def test_a_user_who_is_not_a_member_sees_an_explanation(client, worker):
    client.force_login(worker)

    response = client.get(MY_URL)

    assert response.status_code == 200
    assert "Certificates are for registered party members" in response.content.decode()


def test_another_users_pdf_is_404(client, tree, member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    other = make_member(tree["a"], name="李四", phone="13800000002")
    client.force_login(other.user)

    url = reverse("reporting:certificate_pdf", args=[certificate.verification_code])

    assert client.get(url).status_code == 404


def test_pdf_requires_sign_in(client, member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )

    url = reverse("reporting:certificate_pdf", args=[certificate.verification_code])

    assert client.get(url).status_code == 302


def test_verify_page_shows_only_masked_name_hours_period_and_date(client, member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )

    response = client.get(
        reverse("reporting:certificate_verify", args=[certificate.verification_code])
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "张*" in body
    assert "张三丰" not in body
    assert "13800000001" not in body and "138****0001" not in body
    assert "5.75" in body
    assert "2026-01-01" in body and "2026-12-31" in body
    assert "甲支部" not in body and "社区活动室" not in body


def test_verify_form_accepts_a_typed_code(client, member, records):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    typed = certificate.verification_code.lower()[:5] + "-" + certificate.verification_code[5:]

    response = client.get(VERIFY_URL, {"code": typed})

    assert response.status_code == 200
    assert response.context["result"].hours == Decimal("5.75")


def test_unknown_code_gives_a_generic_not_found(client, tree):
    response = client.get(reverse("reporting:certificate_verify", args=["ABCDEFGHJK"]))

    assert response.status_code == 404
    assert "No certificate has this verification code" in response.content.decode()


def test_verify_page_without_a_code_shows_the_form(client, tree):
    response = client.get(VERIFY_URL)

    assert response.status_code == 200
    assert response.context["result"] is None


def test_mask_name_keeps_the_first_character_only():
    assert mask_name("欧阳娜娜") == "欧*"
    assert mask_name("") == "*"


def test_verify_certificate_returns_nothing_for_blank_code(db):
    assert verify_certificate(code="  ") is None


def test_my_certificates_query_count_is_bounded(
    client, member, records, django_assert_max_num_queries
):
    for _i in range(30):
        issue_certificate(
            member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
        )
    client.force_login(member.user)

    with django_assert_max_num_queries(8):
        response = client.get(MY_URL)

    assert len(response.context["certificates"]) == 30


def test_a_certificate_lists_only_the_records_it_counted(member, records, worker):
    certificate = issue_certificate(
        member=member, period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)
    )
    later = record(member, date(2026, 5, 9), "2.00", by=worker)
    ServiceRecord.objects.filter(pk=later.pk).update(
        created_at=certificate.issued_at + timedelta(minutes=5)
    )
    counted = certified_records(certificate)
    assert later not in counted
    assert sum(r.hours for r in counted) == certificate.hours
