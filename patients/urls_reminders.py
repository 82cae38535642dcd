"""The "manage reminders" page (mounted at /reminders/; public: the signed token is the key).
Not namespaced: ``clinic.notify.tokens`` reverses it as ``reminder_preferences``."""

from django.urls import path

from .views import reminders

urlpatterns = [
    path("manage/<str:token>/", reminders.reminder_preferences_page, name="reminder_preferences"),
]
