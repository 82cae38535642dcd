from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import demo as clinic_demo
        from clinic import navigation, views

        from . import demo

        clinic_demo.register(20, "patients", demo.build)
        views.HOME_BY_PERMISSION.append(("accounts.act_as_patient", "patients:home"))
        navigation.register(
            navigation.NavEntry("accounts.act_as_patient", _("My home"), "patients:home", 10)
        )
        # Booking (issue 3)
        from clinic.notify.registry import register_renderer

        from . import booking_demo, notifications

        register_renderer("patients.claim", notifications.render_claim_invitation)
        clinic_demo.register(30, "booking", booking_demo.build)
        views.HOME_BY_PERMISSION.append(("accounts.manage_calendar", "calendar:day"))
        navigation.register(
            navigation.NavEntry("accounts.act_as_patient", _("Book"), "booking:start", 20)
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.act_as_patient", _("My appointments"), "patients:appointments", 30
            )
        )
        navigation.register(
            navigation.NavEntry("accounts.manage_calendar", _("Calendar"), "calendar:day", 10)
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.manage_calendar", _("Book for a patient"), "calendar:patient_search", 15
            )
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.manage_calendar", _("Availability"), "calendar:specialists", 16
            )
        )
