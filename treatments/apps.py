from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import demo as clinic_demo
        from clinic import navigation, views
        from clinic.retention import register_closure_hook, register_purger
        from patients.fhir import register_builder

        from . import demo, demo_inclinic, demo_tracking, fhir, purge

        # Retention purge and the FHIR export (patients never import treatments).
        register_purger(purge.PURGER)
        register_closure_hook("treatments.stop_plan", purge.close_patient)
        register_builder(fhir.BUILDER)
        register_builder(fhir.HDSS_BUILDER)
        register_builder(fhir.SESSIONS_BUILDER)

        # Treatment plans: the specialist's patient list and chart, the patient's plan.
        clinic_demo.register(60, "treatments", demo.build)
        clinic_demo.register(61, "treatments-inclinic", demo_inclinic.build)
        # Logged sessions, check-ins and flags (issue 7): after the plans exist.
        clinic_demo.register(70, "tracking", demo_tracking.build)
        # Reminders: home sessions at the patient's preferred time on the session day, and
        # the "not logged yet?" nudge the morning after.
        from clinic.notify.reminders import register_kind

        from . import reminders
        from .nudge import NUDGE

        for kind in (*reminders.KINDS, NUDGE):
            register_kind(kind)
        # The patient's home: what to do next once a plan is active.
        from patients import home_steps

        from .home import PROVIDER

        home_steps.register(PROVIDER)
        # Specialists start at their patient list (before the calendar, which they also see).
        views.HOME_BY_PERMISSION.insert(0, ("accounts.assign_plans", "treatments:patients"))
        # ... or rather at their dashboard of patients needing attention (issue 7).
        views.HOME_BY_PERMISSION.insert(0, ("accounts.assign_plans", "treatments:dashboard"))
        navigation.register(
            navigation.NavEntry(
                "accounts.view_patient_records", _("Dashboard"), "treatments:dashboard", 4
            )
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.view_patient_records", _("Patients"), "treatments:patients", 20
            )
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.act_as_patient", _("My treatment"), "treatments:my_treatment", 20
            )
        )
