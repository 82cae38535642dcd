"""The clinic admin edits the booking policy, consultation types and specialists."""

import pytest
from django.urls import reverse

from patients.models import BookingPolicy


@pytest.mark.django_db
def test_the_booking_policy_is_one_editable_row(admin_client_2fa):
    BookingPolicy().save()
    page = admin_client_2fa.get(reverse("admin:patients_bookingpolicy_change", args=[1]))
    assert page.status_code == 200
    assert b"change_cutoff_hours" in page.content
    # A singleton: no second policy can be added, and it cannot be deleted.
    assert admin_client_2fa.get(reverse("admin:patients_bookingpolicy_add")).status_code == 403
    response = admin_client_2fa.get(reverse("admin:patients_bookingpolicy_delete", args=[1]))
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["consultationtype", "specialist"])
def test_types_and_specialists_are_listed(admin_client_2fa, model):
    assert admin_client_2fa.get(reverse(f"admin:patients_{model}_changelist")).status_code == 200


@pytest.mark.django_db
def test_staff_cannot_open_the_admin(staff_client):
    assert staff_client.get(reverse("admin:patients_bookingpolicy_changelist")).status_code in (
        302,
        403,
    )
