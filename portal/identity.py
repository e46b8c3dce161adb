"""Resident identity numbers (居民身份证号码, GB 11643-1999): normalise, validate, look up.

18 characters: a 6-digit region code, the birth date (YYYYMMDD), a 3-digit sequence and a
check character (ISO 7064 MOD 11-2), which may be X. The number itself is stored encrypted
(``User.id_number``, portal.crypto); ``id_number_hash`` finds it again.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import lookup_hash, lookup_hashes

ID_NUMBER_RE = re.compile(r"^[1-9]\d{16}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"


def normalise_id_number(value: str | None) -> str:
    """Strip spaces and upper-case the check character (people type a small x)."""
    return re.sub(r"\s+", "", value or "").upper()


def id_number_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def validate_id_number(value: str) -> None:
    """Raise ValidationError unless ``value`` is a well-formed 18-character ID number."""
    value = normalise_id_number(value)
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(n)s.") % {"n": len(value)},
            code="id_number_length",
        )
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_number_format"
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1900 or born > timezone.localdate():
        raise ValidationError(
            _("Characters 7 to 14 of an ID number are the birth date; %(date)s is not a valid one.")
            % {"date": value[6:14]},
            code="id_number_birth_date",
        )
    if id_number_check_character(value[:17]) != value[17]:
        raise ValidationError(
            _("The last character of this ID number does not match the others; check for a typo."),
            code="id_number_check",
        )


def id_number_hash(value: str | None) -> str:
    """The lookup hash of an ID number ('' for none)."""
    value = normalise_id_number(value)
    return lookup_hash(f"id_number:{value}") if value else ""


def id_number_hashes(value: str | None) -> list[str]:
    """Every hash the number may be stored under: the current lookup key's first, then the
    fallback keys' (empty for no number). Look-ups and duplicate checks match any of them."""
    value = normalise_id_number(value)
    return lookup_hashes(f"id_number:{value}") if value else []
