"""The "manage reminders" link: a signed token good for one thing only.

Every reminder carries a link that opens that patient's reminder preferences without a login
(S14). The token names the person (model label + id), is signed with a salt used for nothing
else, and expires after 30 days. The page itself belongs to the app that owns the preferences
(``patients``); it mounts a view at ``MANAGE_REMINDERS_PATH`` under the URL name
``reminder_preferences`` and calls ``manage_token_verify``. ``clinic.logging`` scrubs the
token from every log line.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, reverse

SALT = "clinic.notify.manage-reminders.v1"
PURPOSE = "mr"  # inside the payload too, so a token signed for anything else never fits
MAX_AGE = timedelta(days=30)
URL_NAME = "reminder_preferences"
MANAGE_REMINDERS_PATH = "/reminders/manage/{token}/"


class InvalidManageToken(Exception):
    """Expired, tampered with, or made for something else."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def manage_token_make(*, person_label: str, person_id) -> str:
    # Compact (a list, not a dict): the link also goes out by SMS.
    return signing.dumps([PURPOSE, person_label, str(person_id)], salt=SALT)


def manage_token_verify(token: str, *, max_age: timedelta = MAX_AGE) -> tuple[str, str]:
    """(person label, person id) of a valid token; ``InvalidManageToken`` otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidManageToken("This link has expired.", expired=True) from exc
    except signing.BadSignature as exc:
        raise InvalidManageToken("This link is not valid.") from exc
    if not (isinstance(data, list) and len(data) == 3 and data[0] == PURPOSE and data[1]):
        raise InvalidManageToken("This link is not valid.")
    return data[1], data[2]


def manage_reminders_url(*, person_label: str, person_id) -> str:
    """Absolute URL of the preferences page for this person, with a fresh token."""
    token = manage_token_make(person_label=person_label, person_id=person_id)
    try:
        path = reverse(URL_NAME, kwargs={"token": token})
    except NoReverseMatch:  # the owning app has not mounted its page (yet): the agreed path
        path = MANAGE_REMINDERS_PATH.format(token=token)
    return settings.SITE_URL + path
