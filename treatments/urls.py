"""Treatment plans: the specialist's patient pages (/specialist/patients/…) and the patient's
"My treatment" with its calendar files (/treatment/…). Included at the site root."""

from django.urls import path

from .views import patient, specialist

app_name = "treatments"

P = "specialist/patients/<int:patient_id>/"

urlpatterns = [
    # Specialists (staff may read)
    path("specialist/patients/", specialist.patient_list_page, name="patients"),
    path(P, specialist.patient_chart_page, name="chart"),
    path(P + "take-on/", specialist.take_on_page, name="take_on"),
    path(P + "plan/", specialist.plan_choose_page, name="plan_choose"),
    path(P + "plan/details/", specialist.plan_details_page, name="plan_details"),
    path(P + "plan/maintenance/", specialist.plan_maintenance_page, name="plan_maintenance"),
    path(P + "plan/calendar/", specialist.plan_calendar_page, name="calendar"),
    path(P + "plan/versions/<int:number>/", specialist.plan_version_page, name="version"),
    path(P + "notes/new/", specialist.note_new_page, name="note_new"),
    path(P + "notes/<int:note_id>/", specialist.note_page, name="note"),
    # Patients and guardians
    path("treatment/", patient.my_treatment_page, name="my_treatment"),
    path(
        "treatment/<int:patient_id>/sessions.ics", patient.my_sessions_ics, name="my_sessions_ics"
    ),
    path(
        "treatment/<int:patient_id>/calendar-link/<slug:action>/",
        patient.feed_manage_page,
        name="feed_manage",
    ),
    # Public: the secret token is the key (scrubbed from logs: "/t/<token>").
    path("treatment/feed/t/<str:token>.ics", patient.calendar_feed, name="feed"),
]
