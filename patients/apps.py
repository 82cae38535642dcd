from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import demo as clinic_demo
        from clinic import navigation, views
        from clinic.language import register_language_store
        from clinic.notify.registry import register_renderer

        from . import booking_demo, demo, demo_reminders, notifications
        from . import demo_intake as intake_demo
        from .selectors import patient_language
        from .services.profile import patient_language_set

        NavEntry = navigation.NavEntry
        register_renderer("patients.claim", notifications.render_claim_invitation)
        # Reminders: consultations 24 h and 2 h before, in-clinic treatment visits 24 h before.
        from clinic.notify.reminders import register_kind

        from . import reminders

        for kind in reminders.KINDS:
            register_kind(kind)
        register_language_store(read=patient_language, write=patient_language_set)
        # Retention: how this app deletes a patient's rows; the FHIR export's resources.
        from clinic.retention import register_purger

        from . import fhir, purge

        register_purger(purge.PURGER)
        fhir.register_defaults()
        clinic_demo.register(20, "patients", demo.build)
        clinic_demo.register(30, "booking", booking_demo.build)
        clinic_demo.register(40, "intake", intake_demo.build)
        clinic_demo.register(45, "reminders", demo_reminders.build)

        # Each role's start page (first match wins): staff review screens first.
        views.HOME_BY_PERMISSION.append(("accounts.act_as_patient", "patients:home"))
        views.HOME_BY_PERMISSION.append(("accounts.review_screens", "screens:queue"))
        views.HOME_BY_PERMISSION.append(("accounts.manage_calendar", "calendar:day"))
        views.HOME_BY_PERMISSION.append(("accounts.view_audit_log", "privacy:search"))

        # Patients
        navigation.register(NavEntry("accounts.act_as_patient", _("My home"), "patients:home", 10))
        navigation.register(NavEntry("accounts.act_as_patient", _("Book"), "booking:start", 20))
        navigation.register(
            NavEntry("accounts.act_as_patient", _("My appointments"), "patients:appointments", 30)
        )
        navigation.register(
            NavEntry("accounts.act_as_patient", _("My questionnaire"), "patients:intake", 40)
        )
        # Privacy officer
        navigation.register(NavEntry("accounts.view_audit_log", _("Audit"), "privacy:search", 5))
        # Staff and specialists
        navigation.register(
            NavEntry("accounts.view_patient_records", _("Screens to review"), "screens:queue", 5)
        )
        navigation.register(NavEntry("accounts.manage_calendar", _("Calendar"), "calendar:day", 10))
        navigation.register(
            NavEntry(
                "accounts.manage_calendar", _("Book for a patient"), "calendar:patient_search", 15
            )
        )
        navigation.register(
            NavEntry("accounts.manage_calendar", _("Availability"), "calendar:specialists", 16)
        )
        navigation.register(
            NavEntry("accounts.view_patient_records", _("Closed accounts"), "records:closures", 40)
        )
