"""Pages that belong to no app: landing, the role-aware home, health, error pages."""

import os

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from kombu import Connection


@login_not_required
@require_safe
def landing(request):
    return render(request, "landing.html")


@require_safe
def home(request):
    """Everyone lands here after login; each role is sent to its own start page."""
    user = request.user
    for perm, url_name in HOME_BY_PERMISSION:
        if user.has_perm(perm):
            return redirect(url_name)
    if user.is_superuser:
        return redirect("admin:index")
    return render(request, "home_no_role.html")


@login_not_required
def admin_login(request, extra_context=None):
    """Replaces the admin's own login form: everyone logs in through allauth's two-step login.
    A logged-in user who is not a clinic admin is refused."""
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied
    from django.urls import reverse

    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next", reverse("admin:index")))


@require_POST
def session_keepalive(request):
    """The "stay logged in" button: the request itself renews the idle timer."""
    return JsonResponse({"idle_seconds": getattr(request, "session_idle_limit", 0)})


# First match wins: (permission, URL name of that role's start page). Apps extend this
# list from their AppConfig.ready() so this module imports no app.
HOME_BY_PERMISSION: list[tuple[str, str]] = []


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "")
        return bool(folder) and os.path.isdir(folder)
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Database and broker reachability; public, no patient data. 503 if either is down."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "degraded"}
    body.update({name: "ok" if ok else "down" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    # No context processors: the database may be what failed.
    import sys

    from django.http import HttpResponse, HttpResponseServerError
    from django.template import loader

    from clinic.db import is_database_busy

    if is_database_busy(sys.exc_info()[1]):
        # The database is overloaded or out of connections (e.g. before any view ran, in the
        # session middleware): nothing was done; say so kindly, and when to come back.
        body = loader.get_template("503.html").render()
        return HttpResponse(body, status=503, headers={"Retry-After": "5"})
    return HttpResponseServerError(loader.get_template("500.html").render())


def error_400(request, exception=None):
    return render(request, "400.html", status=400)
