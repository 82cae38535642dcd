from django.conf import settings

from clinic.navigation import entries_for


def clinic(request):
    user = getattr(request, "user", None)
    return {
        "CLINIC_NAME": settings.CLINIC_NAME,
        "CLINIC_PHONE": settings.CLINIC_PHONE,
        "CLINIC_ADDRESS": settings.CLINIC_ADDRESS,
        "nav_items": entries_for(user) if user is not None and user.is_authenticated else [],
    }
