from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from clinic import views

# The Django admin logs in through allauth (two-step login), never through its own form.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "Clinic administration"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("me/", include("patients.urls")),
    path("staff/deliveries/", include("clinic.notify.urls")),
]

handler400 = "clinic.views.error_400"
handler403 = "clinic.views.error_403"
handler404 = "clinic.views.error_404"
handler500 = "clinic.views.error_500"
