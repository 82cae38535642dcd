from django.urls import path

from . import views
from .views import appointments, intake, records

app_name = "patients"

urlpatterns = [
    path("", views.patient_home, name="home"),
    # The intake questionnaire (patients and guardians).
    path("intake/", intake.intake_overview_page, name="intake"),
    path("intake/start/<int:patient_id>/", intake.intake_start_page, name="intake_start"),
    path("intake/<int:intake_id>/review/", intake.intake_review_page, name="intake_review"),
    path("intake/<int:intake_id>/summary/", intake.intake_result_page, name="intake_result"),
    path("intake/<int:intake_id>/<slug:step>/", intake.intake_step_page, name="intake_step"),
    # Booking (issue 3): the patient's own appointments, profile and dependants.
    path("appointments/", appointments.appointment_list, name="appointments"),
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment"),
    path(
        "appointments/<int:pk>/calendar.ics",
        appointments.appointment_ics_download,
        name="appointment_ics",
    ),
    path(
        "appointments/<int:pk>/reschedule/",
        appointments.appointment_reschedule_pick,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<int:pk>/reschedule/confirm/",
        appointments.appointment_reschedule_confirm,
        name="appointment_reschedule_confirm",
    ),
    path(
        "appointments/<int:pk>/cancel/",
        appointments.appointment_cancel_view,
        name="appointment_cancel",
    ),
    path("profile/", appointments.profile_edit, name="profile"),
    path("dependants/", appointments.dependants, name="dependants"),
    # Download my data (FHIR) and closing the account.
    path("data/", records.my_data_page, name="my_data"),
    path("data/<int:patient_id>/record.fhir.json", records.my_data_download, name="my_data_file"),
    path("close/", records.account_close_page, name="close_account"),
]
