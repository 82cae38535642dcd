"""Staff and specialist pages for eligibility screens (mounted at /staff/screens/)."""

from django.urls import path

from .views import screens

app_name = "screens"

urlpatterns = [
    path("", screens.screen_queue_page, name="queue"),
    path("<int:screen_id>/", screens.screen_detail_page, name="detail"),
    path("<int:screen_id>/review/", screens.screen_review_page, name="review"),
    path("<int:screen_id>/correct/<slug:field>/", screens.screen_correct_page, name="correct"),
]
