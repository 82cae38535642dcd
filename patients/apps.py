from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import navigation, views

        views.HOME_BY_PERMISSION.append(("accounts.act_as_patient", "patients:home"))
        navigation.register(
            navigation.NavEntry("accounts.act_as_patient", _("My home"), "patients:home", 10)
        )
