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
    mask_name,
    mask_phone,
    validate_mobile_phone,
)
from portal.models.jobs import JobRun, ScheduledJob
from portal.models.notifications import Notification
from portal.models.partners import (
    IdempotencyRecord,
    PartnerClient,
    PartnerConsent,
    PartnerKey,
    PartnerScope,
)
from portal.models.privacy import AccessLogArchive, AuditArchive
from portal.models.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)

__all__ = [
    "PHONE_RE",
    "AccessLogArchive",
    "AuditArchive",
    "AppendOnlyQuerySet",
    "Area",
    "AuditEvent",
    "AuditHead",
    "BaodaoUserManager",
    "DeliveryStatus",
    "IdempotencyRecord",
    "JobRun",
    "Notification",
    "PartnerClient",
    "PartnerConsent",
    "PartnerKey",
    "PartnerScope",
    "Role",
    "RoleAssignment",
    "ScheduledJob",
    "Setting",
    "User",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "validate_mobile_phone",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookSubscription",
]
