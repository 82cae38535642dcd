from django.db import transaction

from clinic.accounts.adapter import AccountAdapter

from .services import patient_create_for_user


class PatientAccountAdapter(AccountAdapter):
    """Sign-up makes a patient: the account gets the patient role and a patient profile."""

    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                patient_create_for_user(user=user)
        return user
