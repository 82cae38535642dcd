"""Booking, open to visitors until the confirm step (mounted at /book/)."""

from django.urls import path

from .views import booking

app_name = "booking"

urlpatterns = [
    path("", booking.booking_start, name="start"),
    path("confirm/", booking.booking_confirm, name="confirm"),
    # The token is single-use, expiring and revocable; "/t/" paths are scrubbed from logs.
    path("claim/t/<str:token>/", booking.claim_account, name="claim"),
    path("<int:type_id>/", booking.booking_specialist, name="specialist"),
    path("<int:type_id>/<str:who>/", booking.booking_slots, name="slots"),
]
