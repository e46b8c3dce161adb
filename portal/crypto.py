"""Encryption at rest for personal fields, and keyed hashes to find them again.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys in
``settings.BAODAO_FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so a key
is rotated by putting a new one first and running ``manage.py rotate_field_keys``, which
re-encrypts every value under it; the old key can be dropped afterwards.

Fernet tokens are randomised, so an encrypted column cannot be searched. A lookup hash
(HMAC-SHA256 under ``settings.BAODAO_LOOKUP_HASH_KEY``) stored beside it answers "who has this
ID number?" and makes "one person, one account" a unique constraint, without the hash being
reversible by someone who has the database but not the key. The lookup key is rotated like
Django's SECRET_KEY: the old key goes into ``settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS``, where
look-ups and duplicate checks still match it until ``rotate_field_keys`` has rehashed every row.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured("BAODAO_FIELD_ENCRYPTION_KEYS is empty.")
    fernets = [Fernet(key) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[str, ...]:
    return tuple(settings.BAODAO_FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    """A Fernet token of ``plaintext`` under the current (first) key."""
    multi, _primary = _fernets(_keys())
    return multi.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a token made under any configured key.

    A token no configured key opens means the keys were changed without rotating the data;
    that is a configuration error, never something to paper over.
    """
    multi, _primary = _fernets(_keys())
    try:
        return multi.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise ImproperlyConfigured(
            "An encrypted field cannot be decrypted with BAODAO_FIELD_ENCRYPTION_KEYS: "
            "keep the old key in the list until `manage.py rotate_field_keys` has run."
        ) from None


def is_current(token: str) -> bool:
    """Was ``token`` made under the current (first) key?"""
    _multi, primary = _fernets(_keys())
    try:
        primary.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """The same plaintext, encrypted under the current key."""
    multi, _primary = _fernets(_keys())
    return multi.rotate(token.encode("ascii")).decode("ascii")


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of ``value`` (already normalised by the caller) under the lookup key."""
    return _hmac(settings.BAODAO_LOOKUP_HASH_KEY, value)


def lookup_hashes(value: str) -> list[str]:
    """The hash of ``value`` under the current lookup key, then under each fallback key.

    What a look-up or a duplicate check must match while a key rotation is under way: rows not
    yet rehashed by ``rotate_field_keys`` still carry a hash made with an old key.
    """
    keys = [settings.BAODAO_LOOKUP_HASH_KEY, *settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS]
    return list(dict.fromkeys(_hmac(key, value) for key in keys))


class EncryptedCharField(models.TextField):
    """A short text kept encrypted in the database; Python code sees the plaintext.

    The empty string stays empty (so "has no value" is still a plain query); anything else is a
    Fernet token in the column. Lookups by value cannot work on randomised tokens: search by a
    lookup hash column instead.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args, max_length: int | None = None, **kwargs):
        # The plaintext limit: validated on forms and models, while the column holds the longer
        # token (a TextField has no length in the database).
        self.plaintext_max_length = max_length
        super().__init__(*args, **kwargs)
        if max_length is not None:
            from django.core.validators import MaxLengthValidator

            self.validators.append(MaxLengthValidator(max_length))

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.plaintext_max_length is not None:
            kwargs["max_length"] = self.plaintext_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None:
            return value
        return str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def formfield(self, **kwargs):
        from django import forms

        defaults = {"form_class": forms.CharField, "max_length": self.plaintext_max_length}
        defaults.update(kwargs)
        # Field.formfield, not TextField's: a one-line input, not a textarea.
        return models.Field.formfield(self, **defaults)
