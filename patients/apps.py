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
        from . import demo_intake as intake_demo

        clinic_demo.register(20, "patients", demo.build)
        views.HOME_BY_PERMISSION.append(("accounts.act_as_patient", "patients:home"))
        navigation.register(
            navigation.NavEntry("accounts.act_as_patient", _("My home"), "patients:home", 10)
        )
        # Intake questionnaire and eligibility screens.
        clinic_demo.register(40, "intake", intake_demo.build)
        views.HOME_BY_PERMISSION.append(("accounts.review_screens", "screens:queue"))
        navigation.register(
            navigation.NavEntry(
                "accounts.act_as_patient", _("My questionnaire"), "patients:intake", 30
            )
        )
        navigation.register(
            navigation.NavEntry(
                "accounts.view_patient_records", _("Screens to review"), "screens:queue", 30
            )
        )
