"""Admin views of the roster and check-in records. Residents' personal data stays out: no
addresses, locations or phone numbers (members' usernames are their numbers, so members are
found by name), and records with a lifecycle change only through their services."""

from django.contrib import admin

from reporting.models import (
    Activity,
    Certificate,
    CheckIn,
    Enrollment,
    LocationConsent,
    PartyMember,
    ResidentUnit,
    ServiceRecord,
    Signup,
)


@admin.register(PartyMember)
class PartyMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "party_organisation", "home_community"]
    search_fields = ["user__real_name", "party_organisation"]
    autocomplete_fields = ["user", "home_community"]


@admin.register(ResidentUnit)
class ResidentUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "unit_type", "credit_code", "community"]
    list_filter = ["unit_type"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["community", "contact"]
    # The address is shown to the community's own workers only (the roster pages).
    exclude = ["address"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changed only through the services, so that every step is checked and audited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "submitted_at"]
    list_filter = ["status", "year"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "starts_at", "capacity", "status"]
    list_filter = ["status"]
    exclude = ["token_secret"]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ["member", "activity", "status", "created_at"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["member", "activity", "method", "status", "checked_in_at", "hours"]
    list_filter = ["status", "method"]
    exclude = ["latitude", "longitude", "idempotency_key"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ["member", "service_date", "hours", "organisation", "corrects"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["verification_code", "member", "period_start", "period_end", "hours"]


@admin.register(LocationConsent)
class LocationConsentAdmin(ReadOnlyAdmin):
    list_display = ["user", "granted_at", "revoked_at"]
