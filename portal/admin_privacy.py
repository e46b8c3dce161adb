"""Read-only admin of the retention archives (portal.retention): what left the database, when,
into which file, with the checksums ``verify_audit --archives`` checks."""

from django.contrib import admin

from portal.admin_base import ReadOnlyModelAdmin
from portal.models import AccessLogArchive, AuditArchive


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyModelAdmin):
    list_display = ("first_seq", "last_seq", "count", "file_name", "cutoff", "created_at")
    search_fields = ("file_name", "last_hash")
    ordering = ("-first_seq",)


@admin.register(AccessLogArchive)
class AccessLogArchiveAdmin(ReadOnlyModelAdmin):
    list_display = ("log", "first_id", "last_id", "count", "file_name", "cutoff", "created_at")
    list_filter = ("log",)
    search_fields = ("file_name",)
