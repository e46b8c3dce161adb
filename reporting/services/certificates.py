"""Certificates of service hours: issue one for a period; find it by owner or by its code.

Service records are append-only and a correction is a separate record whose hours are the
difference, so the hours of a period are the plain sum of its records.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.errors import Conflict, InvalidInput
from portal.models import User
from reporting.hours import total_hours
from reporting.models import Certificate, PartyMember, ServiceRecord

# No 0/O, 1/I/L: the code is read aloud and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What people type: spaces, dashes and lower case are forgiven."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]


def records_in_period(*, member: PartyMember, period_start: date, period_end: date) -> QuerySet:
    """The member's service records dated within the period, oldest first."""
    return (
        ServiceRecord.objects.filter(
            member=member, service_date__gte=period_start, service_date__lte=period_end
        )
        .select_related("activity")
        .order_by("service_date", "started_at", "id")
    )


def certified_records(certificate: Certificate) -> QuerySet:
    """The records a certificate counted: those of its period that existed when it was issued.

    Records confirmed or corrected later never change a certificate already issued.
    """
    return records_in_period(
        member=certificate.member,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
    ).filter(created_at__lte=certificate.issued_at)


def issue_certificate(*, member: PartyMember, period_start: date, period_end: date) -> Certificate:
    """Issue a certificate of the member's service hours in the period, with a fresh code."""
    if period_end < period_start:
        raise InvalidInput(_("The end of the period is before its start."), field="period_end")
    records = records_in_period(member=member, period_start=period_start, period_end=period_end)
    with transaction.atomic():
        hours = total_hours(records)
        if hours <= 0:
            raise InvalidInput(
                _("No service hours were recorded in this period; there is nothing to certify."),
                field="period_start",
            )
        for _attempt in range(5):
            code = new_verification_code()
            try:
                with transaction.atomic():
                    certificate = Certificate.objects.create(
                        member=member,
                        period_start=period_start,
                        period_end=period_end,
                        hours=hours,
                        verification_code=code,
                    )
            except IntegrityError:
                continue  # the code was taken; draw another
            break
        else:
            raise Conflict(_("The certificate could not be issued; please try again."))
        audit.record(
            action="certificate.issued",
            actor=member.user,
            obj=certificate,
            area=member.home_community,
            data={
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "hours": str(hours),
                "records": records.count(),
            },
        )
    return certificate


# Reads. A member reaches their own certificates by ownership, not by area roles; the
# public verification finds a certificate by its code alone.


def certificates_of(*, member: PartyMember) -> QuerySet[Certificate]:
    """The member's certificates, newest first."""
    return Certificate.objects.filter(member=member).order_by("-issued_at", "-id")


def get_own_certificate(*, user: User, code: str) -> Certificate:
    """The user's own certificate with this code; 404 for anyone else's or an unknown code."""
    return get_object_or_404(
        Certificate.objects.select_related("member__user"),
        verification_code=normalise_code(code),
        member__user=user,
    )


@dataclass(frozen=True)
class VerifiedCertificate:
    """All that the public verification page may show."""

    masked_name: str
    hours: Decimal
    period_start: date
    period_end: date
    issued_on: date


def mask_name(name: str) -> str:
    """张三丰 → 张*: the first character only."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else "*"


def verify_certificate(*, code: str) -> VerifiedCertificate | None:
    """The public facts of the certificate with this code, or None when there is none."""
    code = normalise_code(code)
    if not code:
        return None
    certificate = (
        Certificate.objects.select_related("member__user").filter(verification_code=code).first()
    )
    if certificate is None:
        return None
    return VerifiedCertificate(
        masked_name=mask_name(certificate.member.user.display_name),
        hours=certificate.hours,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        issued_on=timezone.localtime(certificate.issued_at).date(),
    )
