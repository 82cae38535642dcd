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
