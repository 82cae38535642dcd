"""View guards for the clinic's roles. A missing permission is a 403 (styled page)."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def permission_required(*perms: str):
    """Like Django's, but 403 for a logged-in user instead of a login loop."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_required = permission_required("accounts.act_as_patient")
clinician_required = permission_required("accounts.view_patient_records")
