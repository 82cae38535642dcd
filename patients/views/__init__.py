from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.accounts.permissions import patient_required

from ._common import clinic_time


@require_safe
@patient_required
@clinic_time
def patient_home(request):
    from ..selectors.booking import upcoming_appointments
    from ..selectors.intake import intake_overview
    from .booking import pending_booking

    own = next((row for row in intake_overview(request.user) if row["is_self"]), None)
    context = {
        "intake_row": own,
        "upcoming": upcoming_appointments(request.user, limit=3),
        "pending_booking": pending_booking(request),
        "profile": own["patient"] if own else None,
    }
    return render(request, "patients/home.html", context)
