"""Treatment plans: the specialist's patient pages (/specialist/patients/…) and the patient's
"My treatment" with its calendar files (/treatment/…). Included at the site root."""

from django.urls import path

from .views import patient, specialist, tracking

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
    path(P + "progress/", tracking.progress_specialist_page, name="progress_specialist"),
    path(P + "check-in/", tracking.consultation_checkin_page, name="checkin_consultation"),
    path(P + "flags/<int:flag_id>/", tracking.flag_ack_page, name="flag_ack"),
    path("specialist/dashboard/", tracking.dashboard_page, name="dashboard"),
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
    path("treatment/sessions/<int:session_id>/log/", tracking.session_log_page, name="log_session"),
    path("treatment/logs/<int:log_id>/", tracking.log_page, name="log"),
    path("treatment/<int:patient_id>/extra-session/", tracking.extra_log_page, name="log_extra"),
    path("treatment/<int:patient_id>/check-in/", tracking.checkin_page, name="checkin"),
    path("treatment/<int:patient_id>/progress/", tracking.progress_page, name="progress"),
    path("treatment/<int:patient_id>/progress.csv", tracking.export_csv, name="progress_export"),
    # Public: the secret token is the key (scrubbed from logs: "/t/<token>").
    path("treatment/feed/t/<str:token>.ics", patient.calendar_feed, name="feed"),
]
