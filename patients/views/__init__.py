from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.accounts.permissions import patient_required

from ._common import clinic_time


@require_safe
@patient_required
@clinic_time
def patient_home(request):
    from ..selectors.booking import my_appointments, patient_for_user
    from .booking import pending_booking

    context = {
        "upcoming": my_appointments(request.user)["upcoming"][:3],
        "pending_booking": pending_booking(request),
        "profile": patient_for_user(request.user),
    }
    return render(request, "patients/home.html", context)
