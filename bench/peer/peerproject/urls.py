from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


def bench_bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def bench_bare_user(request):
    return HttpResponse(str(request.user.pk).encode(), content_type="text/plain")


urlpatterns = [
    path("__bench__/bare/", bench_bare, name="bench_bare"),
    path("__bench__/bare-user/", bench_bare_user, name="bench_bare_user"),
    path("appointment/", include("appointment.urls")),
]
