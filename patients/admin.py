"""The clinic admin edits the booking set-up here. No patient data is shown in the admin:
patients, appointments and screens are handled in the app's own (audited) pages."""

from django.contrib import admin

from .models import BookingPolicy, ConsultationType, Specialist


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    """The clinic's single booking policy (notice, horizon, change cut-off, slot step)."""

    list_display = [
        "__str__",
        "min_notice_minutes",
        "horizon_days",
        "change_cutoff_hours",
        "slot_step_minutes",
    ]

    def has_add_permission(self, request):
        return not BookingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsultationType)
class ConsultationTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "duration_minutes",
        "buffer_after_minutes",
        "new_patients_online",
        "is_active",
        "position",
    ]
    list_editable = ["is_active", "position"]


@admin.register(Specialist)
class SpecialistAdmin(admin.ModelAdmin):
    list_display = ["display_name", "is_active", "position"]
    list_editable = ["is_active", "position"]
    fields = ["user", "display_name", "bio", "photo", "is_active", "position"]
    raw_id_fields = ["user"]
