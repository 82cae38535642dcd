"""A person's language choice sticks.

Visitors get the language of the switcher's cookie, else of their browser (Accept-Language,
through Django's LocaleMiddleware). A signed-in person who switches has the choice saved on
their profile, and it is switched back on whenever they log in, from any browser; messages
rendered for them outside a request use the saved language too.

Where the choice is saved is up to an app (patients keep it on their profile), registered here
so that clinic imports no app.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.utils import translation
from django.views.i18n import set_language as django_set_language

_readers: list[Callable] = []
_writers: list[Callable] = []


def register_language_store(*, read: Callable, write: Callable) -> None:
    """``read(user) -> code | None`` and ``write(user=, language=)``; an app registers them
    in its AppConfig.ready()."""
    if read not in _readers:
        _readers.append(read)
    if write not in _writers:
        _writers.append(write)


def is_supported(code) -> bool:
    return code in dict(settings.LANGUAGES)


def user_language(user) -> str | None:
    """The language a signed-in person chose and saved, or None."""
    if user is None or not user.is_authenticated:
        return None
    for read in _readers:
        code = read(user)
        if is_supported(code):
            return code
    return None


def remember_language(request, code: str) -> None:
    """Use ``code`` for the rest of this request and have the browser keep it (the cookie)."""
    if not is_supported(code):
        return
    translation.activate(code)
    request.LANGUAGE_CODE = code
    request._remember_language = code


class LanguageCookieMiddleware:
    """Sets the language cookie when a request chose a language (see ``remember_language``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        code = getattr(request, "_remember_language", None)
        if code:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


@login_not_required
def set_language(request):
    """The footer's language switcher (anyone may use it): Django's view sets the cookie and
    goes back; for a signed-in person the choice is also saved. Like Django's, a GET only
    goes back and changes nothing."""
    response = django_set_language(request)
    code = request.POST.get("language")
    if request.method == "POST" and is_supported(code) and request.user.is_authenticated:
        for write in _writers:
            write(user=request.user, language=code)
    return response


def use_saved_language_at_login(request, user) -> None:
    """Called at login: switch to the language the person saved (if any)."""
    code = user_language(user)
    if code and request is not None:
        remember_language(request, code)
