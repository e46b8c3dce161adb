"""Password rules beyond Django's: a password must not carry the holder's phone number, name
or username."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NON_DIGITS = re.compile(r"\D")


class PersonalDataPasswordValidator:
    """Reject passwords that contain the user's mobile number (or its last ``tail`` digits),
    real name or username.

    Django's similarity validator compares whole strings, so ``Abc13812345678``,
    ``12345678abcd`` (the number's tail) or ``张伟password`` pass it, although anyone who
    knows the holder can guess them. Separators typed inside the number are ignored.
    """

    def __init__(self, tail: int = 8, min_name_length: int = 2, min_username_length: int = 4):
        self.tail = tail
        self.min_name_length = min_name_length
        self.min_username_length = min_username_length

    def validate(self, password: str, user=None) -> None:
        if user is None:
            return
        phone = _NON_DIGITS.sub("", getattr(user, "phone", None) or "")
        if len(phone) >= self.tail:
            digits = _NON_DIGITS.sub("", password)
            if phone in digits or phone[-self.tail :] in digits:
                raise ValidationError(
                    _("The password must not contain your mobile number or its last %(n)d digits."),
                    code="password_contains_phone",
                    params={"n": self.tail},
                )
        lowered = password.casefold()
        name = (getattr(user, "real_name", "") or "").strip().casefold()
        if len(name) >= self.min_name_length and name in lowered:
            raise ValidationError(
                _("The password must not contain your name."), code="password_contains_name"
            )
        username = (user.get_username() or "").strip().casefold()
        if len(username) >= self.min_username_length and username in lowered:
            raise ValidationError(
                _("The password must not contain your username."),
                code="password_contains_username",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must not contain your mobile number (or its last %(n)d digits), "
            "your name or your username."
        ) % {"n": self.tail}
