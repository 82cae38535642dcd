from django.urls import path

from .views import privacy

app_name = "privacy"

urlpatterns = [
    path("", privacy.patient_search, name="search"),
    path("patients/<int:patient_id>/", privacy.patient_audit, name="patient"),
    path("patients/<int:patient_id>/audit.csv", privacy.patient_audit_export, name="export"),
]
