from django.urls import path

from . import views
from .views import intake

app_name = "patients"

urlpatterns = [
    path("", views.patient_home, name="home"),
    # The intake questionnaire (patients and guardians).
    path("intake/", intake.intake_overview_page, name="intake"),
    path("intake/start/<int:patient_id>/", intake.intake_start_page, name="intake_start"),
    path("intake/<int:intake_id>/review/", intake.intake_review_page, name="intake_review"),
    path("intake/<int:intake_id>/summary/", intake.intake_result_page, name="intake_result"),
    path("intake/<int:intake_id>/<slug:step>/", intake.intake_step_page, name="intake_step"),
]
