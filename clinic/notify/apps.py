from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "clinic.notify"
    label = "notify"
    verbose_name = "Messages and reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import navigation

        from . import services
        from .registry import register_renderer

        # Reminder messages are rendered by the worker when it sends (the "manage reminders"
        # token is never stored, and a target that moved in between is not announced).
        register_renderer(services.REMINDER_RENDERER, services.render_reminder_message)
        navigation.register(
            navigation.NavEntry(
                "accounts.manage_calendar", _("Deliveries"), "notify:deliveries", 90
            )
        )
