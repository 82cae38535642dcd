from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "clinic.notify"
    label = "notify"
    verbose_name = "Messages and reminders"
    default_auto_field = "django.db.models.BigAutoField"
