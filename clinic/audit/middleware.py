import uuid

import pghistory
from django.db import connection


class RequestIdMiddleware:
    """Gives each request an id (echoed in X-Request-ID) that ties its audit rows together."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = str(uuid.uuid4())
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class HistoryContextMiddleware:
    """Stamps every change made by a request with who made it, the URL and the request id.

    django-pghistory's triggers exist only on PostgreSQL; on SQLite nothing is recorded and
    the admin says so (see the audit admin)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.vendor != "postgresql" or request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        user = request.user if request.user.is_authenticated else None
        with pghistory.context(
            user=user.pk if user else None,
            url=request.path,
            request_id=getattr(request, "request_id", ""),
        ):
            return self.get_response(request)
