"""SMS: a backend interface (``send(to, text)``) and the backends behind it.

- ``ConsoleSMSBackend`` prints each text (development; like Django's console email backend,
  it shows links in full so a developer can click them).
- ``FileSMSBackend`` appends one JSON line per text to ``SMS_FILE_PATH``.
- ``HTTPSMSBackend`` POSTs JSON to a provider at ``SMS_HTTP_URL`` with a bearer token and a
  timeout (R7). 5xx, 429, timeouts and refused connections are transient (retried by the
  outbox with backoff); any other 4xx is permanent (marked failed, shown to staff).

Choose with ``SMS_BACKEND`` (a dotted path). Numbers are E.164 (``+14155550123``).
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string


class InvalidPhoneNumber(ValueError):
    pass


class SMSTransientError(ConnectionError):
    """Worth another try later (provider down, overloaded, slow)."""


class SMSPermanentError(Exception):
    """The provider refused this text for good (bad number, bad credentials, bad request)."""


def phone_normalize(value: str) -> str:
    """``value`` as an E.164 number (``+14155550123``); ``InvalidPhoneNumber`` if it is not a
    valid international number."""
    raw = (value or "").strip()
    if not raw.startswith("+"):
        raise InvalidPhoneNumber("Enter the number in international format, e.g. +14155550123.")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("This is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("This phone number is not valid.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """A Django field validator for forms and models."""
    try:
        normalized = phone_normalize(value)
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc), code="invalid_phone") from exc
    if normalized != value:
        raise ValidationError(
            "Write the number without spaces or dashes, e.g. %(normalized)s.",
            code="not_e164",
            params={"normalized": normalized},
        )


class BaseSMSBackend:
    def send(self, to: str, text: str, *, reference: str = "") -> str:
        """Send ``text`` to ``to`` (E.164). ``reference`` is the outbox row's id, passed to
        providers that drop a repeat of the same reference. Returns the provider's id."""
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, to: str, text: str, *, reference: str = "") -> str:
        with self._lock:
            self.stream.write(f"--- SMS to {to} (ref {reference}) ---\n{text}\n---\n")
            self.stream.flush()
        return reference


class FileSMSBackend(BaseSMSBackend):
    def __init__(self, path=None):
        self.path = path or settings.SMS_FILE_PATH

    def send(self, to: str, text: str, *, reference: str = "") -> str:
        line = {"at": datetime.now(UTC).isoformat(), "to": to, "text": text, "ref": reference}
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        return reference


class HTTPSMSBackend(BaseSMSBackend):
    """A generic JSON-over-HTTPS provider: ``POST {"to", "text", "reference"}`` with
    ``Authorization: Bearer <token>`` and ``Idempotency-Key: <reference>``; a 2xx answer may
    carry ``{"id": ...}``."""

    def __init__(self, url=None, token=None, timeout=None):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = timeout or settings.SMS_HTTP_TIMEOUT
        if not self.url:
            raise SMSPermanentError("SMS_HTTP_URL is not set")

    def send(self, to: str, text: str, *, reference: str = "") -> str:
        body = json.dumps({"to": to, "text": text, "reference": reference}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if reference:
            request.add_header("Idempotency-Key", reference)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            if exc.code >= 500 or exc.code in (408, 429):
                raise SMSTransientError(f"SMS provider HTTP {exc.code}: {detail}") from exc
            raise SMSPermanentError(f"SMS provider HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SMSTransientError(f"SMS provider unreachable: {reason}") from exc
        try:
            return str(json.loads(raw or b"{}").get("id", reference))
        except (ValueError, AttributeError):
            return reference


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
