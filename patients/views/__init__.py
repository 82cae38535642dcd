from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.accounts.permissions import patient_required

from .. import home_steps
from ._common import clinic_time


@require_safe
@patient_required
@clinic_time
def patient_home(request):
    from ..selectors.booking import upcoming_appointments
    from ..selectors.intake import intake_overview
    from ..services.intake import clinic_today
    from .booking import pending_booking

    # With an active plan the steps lead to "My treatment" (the treatments app's provider adds
    # what it needs to the query of the people, so the home's query count stays the same).
    today = clinic_today()
    rows = intake_overview(
        request.user, annotate=lambda people: home_steps.annotate(people, today=today)
    )
    own = next((row for row in rows if row["is_self"]), None)
    profile = own["patient"] if own else None
    context = {
        "plan_steps": home_steps.steps_for(profile, today=today),
        "intake_row": own,
        "upcoming": upcoming_appointments(request.user, limit=3),
        "pending_booking": pending_booking(request),
        "profile": profile,
    }
    return render(request, "patients/home.html", context)
