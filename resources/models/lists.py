"""The three lists: needs, resources and projects, per community."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Area, mask_phone, validate_mobile_phone


class NeedCategory(models.Model):
    """A category of need; an editable tree seeded with the city's defaults."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("need category")
        verbose_name_plural = _("need categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class TargetGroup(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DISABLED = "disabled", _("Disabled")
    CHILDREN = "children", _("Children")
    NEW_RESIDENTS = "new_residents", _("New residents")
    LOW_INCOME = "low_income", _("Low-income")
    VETERANS = "veterans", _("Veterans")
    GENERAL = "general", _("General")


SPECIAL_GROUPS = frozenset(
    {
        TargetGroup.ELDERLY_ALONE,
        TargetGroup.DISABLED,
        TargetGroup.CHILDREN,
        TargetGroup.LOW_INCOME,
        TargetGroup.VETERANS,
    }
)


class Channel(models.TextChoices):
    ONLINE = "online", _("Online form")
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Grid worker's home visit")
    COUNCIL = "council", _("Council or joint meeting")
    PROXY = "proxy", _("Entered by a worker on a resident's behalf")


class Urgency(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class NeedStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    MATCHED = "matched", _("Matched")
    IN_PROGRESS = "in_progress", pgettext_lazy("need status", "In progress")
    RESOLVED = "resolved", _("Resolved")
    EVALUATED = "evaluated", _("Evaluated")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


class Need(models.Model):
    """Something residents ask for. Its status moves only through resources.services.needs."""

    Status = NeedStatus

    OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.MATCHED, Status.IN_PROGRESS)
    CLOSED_STATUSES = (Status.RESOLVED, Status.EVALUATED, Status.REJECTED, Status.MERGED)

    tracking_number = models.CharField(
        _("tracking number"), max_length=20, unique=True, editable=False
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    category = models.ForeignKey(
        NeedCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="needs"
    )
    target_group = models.CharField(
        _("target group"), max_length=20, choices=TargetGroup.choices, default=TargetGroup.GENERAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="community_needs"
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_needs",
    )
    # The most specific area (grid, else community); what portal.access.scope filters on.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", editable=False)
    requester_name = models.CharField(_("requester's name"), max_length=50)
    requester_phone = models.CharField(
        _("requester's phone"), max_length=11, validators=[validate_mobile_phone]
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    due_at = models.DateTimeField(_("response due at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("reason"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    evaluation_note = models.TextField(_("resident feedback"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("resident rating (stars)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # Times the resident can be served (AvailabilitySlot values); empty = any time.
    availability = models.JSONField(_("preferred times"), default=list, blank=True)
    # 0: with the community; 1: escalated to the street; 2: escalated to the district.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_needs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["area", "status", "due_at"], name="need_area_status_due"),
            models.Index(fields=["status", "due_at"], name="need_status_due"),
            models.Index(fields=["community", "-submitted_at"], name="need_community_recent"),
            # The default order of every needs list (staff pages, API cursor pages).
            models.Index(fields=["-submitted_at", "-id"], name="need_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NeedStatus.values), name="need_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="need_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_group__in=TargetGroup.values), name="need_target_group_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__gte=1, urgency__lte=4), name="need_urgency_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("submitted_at")), name="need_due_after_submit"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["rejected", "merged"]) | ~Q(close_reason=""),
                name="need_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="need_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=["accepted", "matched", "in_progress", "resolved", "evaluated"]
                )
                | Q(accepted_at__isnull=False),
                name="need_accepted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="need_rating_one_to_five",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=2), name="need_escalation_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.area_id = self.grid_id or self.community_id
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.requester_phone)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_special_group(self) -> bool:
        return self.target_group in SPECIAL_GROUPS

    def availability_labels(self) -> list[str]:
        labels = dict(AvailabilitySlot.choices)
        return [str(labels.get(slot, slot)) for slot in self.availability or []]

    @property
    def rating_stars(self) -> str:
        return "★" * (self.rating or 0) + "☆" * (5 - (self.rating or 0))


class AvailabilitySlot(models.TextChoices):
    WEEKDAY_MORNING = "weekday_morning", _("Weekday mornings")
    WEEKDAY_AFTERNOON = "weekday_afternoon", _("Weekday afternoons")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND_MORNING = "weekend_morning", _("Weekend mornings")
    WEEKEND_AFTERNOON = "weekend_afternoon", _("Weekend afternoons")
    WEEKEND_EVENING = "weekend_evening", _("Weekend evenings")


class ProviderType(models.TextChoices):
    UNIT = "unit", _("Resident unit")
    MEMBER = "member", _("Party member")
    GROUP = "group", _("Resident group")
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", _("Government department or professional body")


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("Venue")
    VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
    SKILL = "skill", _("Skill or talent")
    DONATION = "donation", _("In-kind donation")
    FUNDS = "funds", _("Funds")
    EQUIPMENT = "equipment", _("Equipment")
    SERVICE = "service", _("Service")


class ResourceTier(models.TextChoices):
    BASE = "base", _("Base")
    PROFESSIONAL = "professional", _("Professional")
    CHARACTERISTIC = "characteristic", _("Characteristic")


class ResourceStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    PAUSED = "paused", _("Paused")
    EXHAUSTED = "exhausted", _("Used up")
    RETIRED = "retired", _("Retired")


class Resource(models.Model):
    """Something a unit, member, resident group or the community offers."""

    ProviderType = ProviderType

    Kind = ResourceKind

    Tier = ResourceTier

    Status = ResourceStatus

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    provider_type = models.CharField(
        _("provider type"), max_length=12, choices=ProviderType.choices
    )
    provider_name = models.CharField(_("provider"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.BASE)
    categories = models.ManyToManyField(
        NeedCategory, verbose_name=_("categories served"), related_name="resources"
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("How many needs or people it can serve at once."),
    )
    availability = models.JSONField(_("availability"), default=list, blank=True)
    # Community (or grid) the resource serves; portal.access.scope filters on it.
    area = models.ForeignKey(
        Area, verbose_name=_("area served"), on_delete=models.PROTECT, related_name="resources"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=11, blank=True, validators=[validate_mobile_phone]
    )
    # The registered member or unit behind the resource, when there is one: their points,
    # ratings and docking figures follow the resource's use.
    provider_member = models.ForeignKey(
        "reporting.PartyMember",
        verbose_name=_("providing member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    provider_unit = models.ForeignKey(
        "reporting.ResidentUnit",
        verbose_name=_("providing unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    value_amount = models.DecimalField(
        _("value (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area", "status"], name="resource_area_status")]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="resource_capacity_positive"),
            models.CheckConstraint(
                condition=Q(status__in=ResourceStatus.values), name="resource_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="resource_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(tier__in=ResourceTier.values), name="resource_tier_valid"
            ),
            models.CheckConstraint(
                condition=Q(provider_type__in=ProviderType.values),
                name="resource_provider_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | Q(value_amount__gte=0),
                name="resource_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(provider_member__isnull=True) | Q(provider_unit__isnull=True),
                name="resource_one_registered_provider",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    def availability_labels(self) -> list[str]:
        labels = dict(AvailabilitySlot.choices)
        return [str(labels.get(slot, slot)) for slot in self.availability or []]


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    EVALUATED = "evaluated", _("Evaluated")
    CANCELLED = "cancelled", _("Cancelled")


class Project(models.Model):
    """Work that meets needs with resources: owner, tasks, milestones, budget."""

    Status = ProjectStatus

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    # The community the project belongs to; portal.access.scope filters on it.
    area = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="projects"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
    )
    maintenance_owner = models.CharField(_("maintenance owner"), max_length=120, blank=True)
    needs = models.ManyToManyField(
        Need, verbose_name=_("needs met"), blank=True, related_name="projects"
    )
    resources = models.ManyToManyField(
        Resource, verbose_name=_("resources used"), blank=True, related_name="projects"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    contingency_rate = models.DecimalField(
        _("contingency rate"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("0.15"))],
        help_text=_("Between 10% and 15% of the itemised budget."),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["area", "status"], name="project_area_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="project_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(
                    contingency_rate__gte=Decimal("0.10"), contingency_rate__lte=Decimal("0.15")
                ),
                name="project_contingency_10_to_15",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="project_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectTask(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="project_tasks",
    )
    owner_name = models.CharField(_("owner (if not a user)"), max_length=60, blank=True)
    start_date = models.DateField(_("start"))
    due_date = models.DateField(_("due"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("project task")
        verbose_name_plural = _("project tasks")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="task_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")), name="task_due_after_start"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(progress=100),
                name="task_completed_is_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        return str(self.owner) if self.owner_id else self.owner_name


class Milestone(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=120)
    due_date = models.DateField(_("due"))
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class BudgetLine(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="budget_lines"
    )
    item = models.CharField(_("item"), max_length=120)
    amount = models.DecimalField(
        _("budgeted (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    spent = models.DecimalField(
        _("spent (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="budget_spent_not_negative"),
        ]

    def __str__(self) -> str:
        return self.item
