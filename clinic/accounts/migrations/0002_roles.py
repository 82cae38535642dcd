"""Create the clinic's roles as groups holding their permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    from clinic.accounts.roles import GROUP_NAMES, ROLE_PERMISSIONS

    # Custom permissions are normally created after migrate; the groups need them now.
    create_permissions(global_apps.get_app_config("accounts"), verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, group_name in GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(
            content_type__app_label="accounts", codename__in=ROLE_PERMISSIONS[role]
        )
        group.permissions.set(perms)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
