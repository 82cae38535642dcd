from django.contrib import admin
from django.db import connection

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the access log is append-only for the running application."""

    list_display = ["at", "actor_label", "model_label", "object_pk", "page"]
    list_filter = ["model_label"]
    search_fields = ["actor_label", "patient_key"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if connection.vendor != "postgresql":
            from django.contrib import messages

            messages.warning(
                request,
                "This database is SQLite: the change history (django-pghistory triggers) is "
                "recorded only on PostgreSQL. Reads are logged here on both.",
            )
        return super().changelist_view(request, extra_context)
