"""Staff: a patient's record exported on request, and closed accounts (at /staff/records/)."""

from django.urls import path

from .views import records

app_name = "records"

urlpatterns = [
    path("patients/<int:patient_id>/record.fhir.json", records.staff_export, name="export"),
    path("closures/", records.closure_list, name="closures"),
]
