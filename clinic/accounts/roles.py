"""The clinic's roles. Each role is a Django group holding the permissions below.

Views ask for a permission (``user.has_perm("accounts.review_screens")``), never for a group
name, so a clinic can reshape roles in the admin without touching code.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    STAFF = "staff", _("Staff")
    SPECIALIST = "specialist", _("Specialist")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")


# Custom permissions, declared on the User model's Meta (accounts app).
PERMISSIONS = {
    "act_as_patient": "Can use the patient portal",
    "view_patient_records": "Can view patients' records",
    "manage_calendar": "Can manage the clinic calendar and availability",
    "review_screens": "Can review eligibility screens",
    "assign_plans": "Can assign and change treatment plans",
    "view_audit_log": "Can review the audit log",
}

ROLE_PERMISSIONS = {
    Role.PATIENT: ["act_as_patient"],
    Role.STAFF: ["view_patient_records", "manage_calendar", "review_screens"],
    Role.SPECIALIST: ["view_patient_records", "manage_calendar", "assign_plans"],
    Role.PRIVACY_OFFICER: ["view_audit_log"],
}

# The permission that marks each role (a user's roles are read off their permissions).
ROLE_MARKERS = {
    Role.PATIENT: "act_as_patient",
    Role.STAFF: "review_screens",
    Role.SPECIALIST: "assign_plans",
    Role.PRIVACY_OFFICER: "view_audit_log",
}

# Group names as shown in the admin.
GROUP_NAMES = {
    Role.PATIENT: "Patients",
    Role.STAFF: "Staff",
    Role.SPECIALIST: "Specialists",
    Role.PRIVACY_OFFICER: "Privacy officers",
}

# Roles whose every page needs a verified second factor (S7).
TWO_FACTOR_ROLES = frozenset({Role.STAFF, Role.SPECIALIST, Role.PRIVACY_OFFICER})


def sync_roles(**kwargs) -> None:
    """Create the role groups with exactly their permissions (after every migrate/flush)."""
    from django.contrib.auth.models import Group, Permission

    for role, group_name in GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="accounts", codename__in=ROLE_PERMISSIONS[role]
            )
        )
