"""Admin base classes shared by portal/admin.py, the account-security admin and the archive
admin (a module of its own, because portal/admin.py imports the account admin)."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Viewable by operators with the view permission; nothing can be added, changed or deleted
    (so there is no delete action either)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
