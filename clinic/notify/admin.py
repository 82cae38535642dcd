from django.contrib import admin

from .models import Message, MessageAttempt, Reminder


class MessageAttemptInline(admin.TabularInline):
    model = MessageAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "outcome", "error"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Delivery status only: message bodies may name patients, so they are not shown here."""

    list_display = ["created_at", "purpose", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "purpose"]
    fields = [
        "uuid",
        "purpose",
        "channel",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [MessageAttemptInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The schedule, read-only: what is due when, and what became of it. No addresses."""

    list_display = [
        "due_at",
        "kind",
        "target_label",
        "target_id",
        "target_version",
        "channel",
        "status",
    ]
    list_filter = ["status", "channel", "kind"]
    fields = [
        "kind",
        "target_label",
        "target_id",
        "target_version",
        "person_label",
        "person_id",
        "channel",
        "scheduled_for",
        "due_at",
        "expires_at",
        "status",
        "reason",
        "dispatched_at",
        "created_at",
    ]
    readonly_fields = fields
    date_hierarchy = "due_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
