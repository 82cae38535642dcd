from django.shortcuts import render
from django.views.decorators.http import require_safe

from clinic.accounts.permissions import patient_required


@require_safe
@patient_required
def patient_home(request):
    return render(request, "patients/home.html")
