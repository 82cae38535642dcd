from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinic.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import demo as clinic_demo
        from clinic.notify.registry import register_renderer

        from . import demo, emails, receivers  # noqa: F401  (receivers: allauth events)

        register_renderer("account", emails.render_account_email)
        clinic_demo.register(10, "accounts", demo.build)
