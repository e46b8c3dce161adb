"""Platform core: the area tree, users, role assignments, the audit chain and area settings."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedCharField
from portal.identity import id_number_hash, normalise_id_number, validate_id_number

PHONE_RE = re.compile(r"^1\d{10}$")


def validate_mobile_phone(value: str) -> None:
    """Mainland mobile numbers: 11 digits starting with 1."""
    if not PHONE_RE.match(value or ""):
        raise ValidationError(_("Enter an 11-digit mobile number starting with 1."), code="phone")


def mask_phone(phone: str | None) -> str:
    """138****1234: keep the first three and the last four digits."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """王** — keep the family name only (one star per hidden character)."""
    name = (name or "").strip()
    return f"{name[:1]}{'*' * max(len(name) - 1, 1)}" if name else ""


def mask_id_number(id_number: str | None) -> str:
    """Mask everything but the last four characters of an identity number."""
    if not id_number:
        return ""
    return "*" * max(len(id_number) - 4, 0) + id_number[-4:]


class Area(models.Model):
    """A node of the administrative tree: city → district → street → community → grid."""

    class Level(models.IntegerChoices):
        CITY = 1, _("City")
        DISTRICT = 2, _("District")
        STREET = 3, _("Street")
        COMMUNITY = 4, _("Community")
        GRID = 5, _("Grid")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes, e.g. "3101/310101/310101001/"; "this area and below"
    # is a single prefix query on an indexed column.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="area_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "path"], name="area_level_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="area_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="area_only_city_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.parent_id and self.parent.level != self.level - 1:
            raise ValidationError(
                {
                    "parent": _("The parent of a %(level)s must be one level up.")
                    % {"level": self.get_level_display()}
                }
            )
        if "/" in (self.code or ""):
            raise ValidationError({"code": _("A code cannot contain '/'.")})

    def ancestor_paths(self) -> list[str]:
        """Paths of this area and every ancestor, nearest first."""
        parts = self.path.rstrip("/").split("/")
        return ["/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]

    def ancestors(self) -> models.QuerySet[Area]:
        """This area and its ancestors, from the root down (one query)."""
        return Area.objects.filter(path__in=self.ancestor_paths()).order_by("level")

    def is_within(self, other: Area) -> bool:
        return self.path.startswith(other.path)


class BaodaoUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: username})


class User(AbstractUser):
    """A person who signs in: staff, members, unit contacts, officials, partners."""

    phone = models.CharField(
        _("mobile phone"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_mobile_phone],
    )
    real_name = models.CharField(_("real name"), max_length=50, blank=True)
    # Encrypted at rest (portal.crypto); found again through the keyed hash beside it, which
    # also makes "one person, one account" a constraint. Shown masked except to the member's
    # own community workers (portal.privacy.reveal_id_number, logged).
    id_number = EncryptedCharField(
        _("ID number"), max_length=18, blank=True, validators=[validate_id_number]
    )
    id_number_hash = models.CharField(
        _("ID number lookup hash"), max_length=64, blank=True, default="", editable=False
    )
    # Set on accounts created with an initial password (admin, import): the holder must choose
    # a password of their own before anything else.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Part of the session hash: raising it signs the user out of every session at once.
    session_epoch = models.PositiveIntegerField(_("session epoch"), default=0, editable=False)

    objects = BaodaoUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="user_id_number_hash_unique",
            )
        ]

    def __str__(self) -> str:
        return self.real_name or self.username

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._remember_id_number()
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "id_number" in fields:
            self._remember_id_number()

    def _remember_id_number(self) -> None:
        # The number as loaded, so that save() rehashes only a number that changed.
        if "id_number" not in self.get_deferred_fields():
            self._loaded_id_number = self.id_number

    def _id_number_changed(self) -> bool:
        if "id_number" in self.get_deferred_fields():
            return False
        loaded = getattr(self, "_loaded_id_number", None)
        return self._state.adding or loaded is None or self.id_number != loaded

    def save(self, *args, **kwargs) -> None:
        # The lookup hash follows the number whenever the number changes, whichever way it was
        # set. An unchanged number keeps its hash: a second holder of a shared number left by
        # migration 0007 has none (and must keep none to satisfy the unique constraint), and a
        # hash under an old lookup key is rotate_field_keys' to redo.
        update_fields = kwargs.get("update_fields")
        number_saved = update_fields is None or "id_number" in update_fields
        if self._id_number_changed():
            self.id_number = normalise_id_number(self.id_number)
            self.id_number_hash = id_number_hash(self.id_number)
            if update_fields is not None and "id_number" in update_fields:
                kwargs["update_fields"] = {*update_fields, "id_number_hash"}
        super().save(*args, **kwargs)
        if number_saved:
            self._remember_id_number()

    def _get_session_auth_hash(self, secret=None):
        # Django's salted HMAC of the password hash, with the session epoch mixed in: raising
        # the epoch (portal.accounts.services.sign_out_everywhere) ends every session at once.
        # Epoch 0 gives Django's own hash, so sessions survive the upgrade that added it.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "portal.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class Role(models.TextChoices):
    MEMBER = "member", _("Party member")
    UNIT_ADMIN = "unit_admin", _("Resident unit administrator")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    COMMUNITY_SECRETARY = "community_secretary", _("Community party secretary")
    STREET_OFFICER = "street_officer", _("Street officer")
    DISTRICT_OFFICIAL = "district_official", _("District official")
    CITY_ADMIN = "city_admin", _("City administrator")
    AUDITOR = "auditor", _("Security auditor")
    PARTNER = "partner", _("Partner system")


class RoleAssignment(models.Model):
    """A user holds a role in an area; it reaches that area and everything below it."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area"], name="role_assignment_unique"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="role_assignment_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area}"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete would bypass the model's guards; refuse them too."""

    def update(self, **kwargs):
        raise ValidationError(_("Audit events are append-only."))

    def delete(self):
        raise ValidationError(_("Audit events are append-only."))


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit log (see portal.audit)."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    # PROTECT: the actor's id is part of the hashed content, so a user with audit history
    # is deactivated (or anonymised), never deleted.
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(_("Audit events are append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events are append-only."))


class AuditHead(models.Model):
    """The single row that serialises appends to the audit chain."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class Setting(models.Model):
    """An override of a product default (settings.BAODAO_DEFAULTS) for an area, optionally a year.

    The nearest area up the tree wins; a year-specific value beats an all-years value of the
    same area.
    """

    key = models.CharField(_("key"), max_length=64)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="settings"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        User,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("area setting")
        verbose_name_plural = _("area settings")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "area", "year"],
                name="setting_unique_year",
                condition=Q(year__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["key", "area"],
                name="setting_unique_all_years",
                condition=Q(year__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.area}{'/' + str(self.year) if self.year else ''}"
