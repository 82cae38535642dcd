from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.deliveries, name="deliveries"),
    path("<int:message_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
