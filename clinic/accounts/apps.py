from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .roles import sync_roles


class AccountsConfig(AppConfig):
    name = "clinic.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic import demo as clinic_demo
        from clinic.notify.registry import register_renderer

        from . import demo, emails, receivers, security_log  # noqa: F401  (signal receivers)

        register_renderer("account", emails.render_account_email)
        # Roles are data the code relies on: recreate them after every migrate (and after
        # the flush of a transactional test), once Django has created the permissions.
        post_migrate.connect(sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
        clinic_demo.register(10, "accounts", demo.build)
