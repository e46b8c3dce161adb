"""Models of the platform core, one module per concept; import them from ``portal.models``."""

from portal.models.core import (
    PHONE_RE,
    AppendOnlyQuerySet,
    Area,
    AuditEvent,
    AuditHead,
    BaodaoUserManager,
    Role,
    RoleAssignment,
    Setting,
    User,
    mask_id_number,
    mask_phone,
    validate_mobile_phone,
)
from portal.models.jobs import JobRun, ScheduledJob
from portal.models.notifications import Notification

__all__ = [
    "PHONE_RE",
    "AppendOnlyQuerySet",
    "Area",
    "AuditEvent",
    "AuditHead",
    "BaodaoUserManager",
    "JobRun",
    "Notification",
    "Role",
    "RoleAssignment",
    "ScheduledJob",
    "Setting",
    "User",
    "mask_id_number",
    "mask_phone",
    "validate_mobile_phone",
]
