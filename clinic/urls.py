from django.contrib import admin
from django.urls import include, path

from clinic import views
from clinic.language import set_language

# The Django admin logs in through allauth (two-step login), never through its own form.
admin.site.login = views.admin_login
admin.site.site_header = "Clinic administration"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("accounts/", include("allauth.urls")),
    # Anyone may choose the language, visitors included (a POST that sets a cookie; a
    # signed-in person's choice is also saved on their profile).
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("me/", include("patients.urls")),
    path("privacy/", include("patients.urls_privacy")),
    path("staff/screens/", include("patients.staff_urls")),
    path("book/", include("patients.urls_booking")),
    path("staff/calendar/", include("patients.urls_calendar")),
    path("staff/records/", include("patients.urls_records")),
    path("", include("treatments.urls")),
    path("staff/deliveries/", include("clinic.notify.urls")),
    path("reminders/", include("patients.urls_reminders")),
]

handler400 = "clinic.views.error_400"
handler403 = "clinic.views.error_403"
handler404 = "clinic.views.error_404"
handler500 = "clinic.views.error_500"
