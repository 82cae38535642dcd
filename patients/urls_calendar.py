"""The clinic calendar for staff and specialists (mounted at /staff/calendar/)."""

from django.urls import path

from .views import staff

app_name = "calendar"

urlpatterns = [
    path("", staff.calendar_day, name="day"),
    path("week/", staff.calendar_week, name="week"),
    path("appointments/<int:pk>/", staff.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/cancel/", staff.appointment_cancel_view, name="cancel"),
    path("appointments/<int:pk>/outcome/", staff.appointment_outcome, name="outcome"),
    path("appointments/<int:pk>/reschedule/", staff.appointment_reschedule_pick, name="reschedule"),
    path(
        "appointments/<int:pk>/reschedule/confirm/",
        staff.appointment_reschedule_confirm,
        name="reschedule_confirm",
    ),
    path("patients/", staff.patient_search, name="patient_search"),
    path("patients/new/", staff.patient_new, name="patient_new"),
    path("patients/<int:pk>/", staff.patient_card, name="patient"),
    path("patients/<int:pk>/invite/", staff.patient_invite, name="patient_invite"),
    path("patients/<int:pk>/book/", staff.book_for_patient, name="book"),
    path("patients/<int:pk>/book/confirm/", staff.book_for_patient_confirm, name="book_confirm"),
    path("specialists/", staff.specialist_list, name="specialists"),
    path("specialists/<int:pk>/hours/", staff.working_hours_edit, name="hours"),
    path("specialists/<int:pk>/time-off/", staff.time_off, name="time_off"),
    path(
        "specialists/<int:pk>/time-off/<int:time_off_pk>/delete/",
        staff.time_off_remove,
        name="time_off_delete",
    ),
    path("specialists/<int:pk>/affected/", staff.affected_appointments, name="affected"),
]
