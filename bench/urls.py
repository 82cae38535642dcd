"""The clinic's URLs plus the two reference views of the benchmark (never in production).

- ``bench_bare``: a bare ``HttpResponse``, public (the floor of any Django page here).
- ``bench_bare_user``: needs login and reads only ``request.user``: the floor of any
  authenticated page (session, user, roles, two-factor and timeout middleware all run).
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from clinic.urls import handler400, handler403, handler404, handler500  # noqa: F401


@login_not_required
def bench_bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


def bench_bare_user(request):
    return HttpResponse(str(request.user.pk).encode(), content_type="text/plain")


urlpatterns = [
    path("__bench__/bare/", bench_bare, name="bench_bare"),
    path("__bench__/bare-user/", bench_bare_user, name="bench_bare_user"),
    path("", include("clinic.urls")),
]
