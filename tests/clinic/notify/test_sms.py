"""SMS: E.164 numbers, the console/file backends, and the HTTP backend against a local fake
provider (transient vs permanent failures, timeout), wired into the outbox."""

import io
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.notify import services
from clinic.notify.models import Message, MessageAttempt
from clinic.notify.sms import (
    ConsoleSMSBackend,
    FileSMSBackend,
    HTTPSMSBackend,
    InvalidPhoneNumber,
    SMSPermanentError,
    SMSTransientError,
    phone_normalize,
    validate_e164,
)
from tests.conftest import free_port
from tests.support.fake_sms import FakeSMSProvider


@pytest.fixture
def provider():
    fake = FakeSMSProvider().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+14155550123"),
        (" +44 20 7946 0958 ", "+442079460958"),
        ("+34 612 345 678", "+34612345678"),
    ],
)
def test_valid_numbers_are_normalized_to_e164(raw, e164):
    assert phone_normalize(raw) == e164


@pytest.mark.parametrize(
    "raw", ["", "4155550123", "+1 555", "+999 1234567", "call me", "+1415555012345678"]
)
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        phone_normalize(raw)


def test_the_field_validator_wants_the_compact_form():
    validate_e164("+14155550123")
    with pytest.raises(ValidationError, match=r"\+14155550123"):
        validate_e164("+1 415 555 0123")
    with pytest.raises(ValidationError):
        validate_e164("555-0123")


def test_console_backend_prints_the_text():
    out = io.StringIO()
    ConsoleSMSBackend(stream=out).send("+14155550123", "See you at 10:00", reference="r1")
    assert "SMS to +14155550123" in out.getvalue()
    assert "See you at 10:00" in out.getvalue()


def test_file_backend_appends_a_json_line(tmp_path):
    path = tmp_path / "sms.jsonl"
    backend = FileSMSBackend(path=path)
    backend.send("+14155550123", "one", reference="a")
    backend.send("+14155550124", "two", reference="b")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(x["to"], x["text"], x["ref"]) for x in lines] == [
        ("+14155550123", "one", "a"),
        ("+14155550124", "two", "b"),
    ]


def test_http_backend_posts_json_with_token_and_idempotency_key(provider):
    backend = HTTPSMSBackend(url=provider.url, token="s3cret", timeout=2)
    assert backend.send("+14155550123", "Hello", reference="uuid-1") == "sms-1"
    (request,) = provider.requests
    assert request["path"] == "/v1/messages"
    assert request["json"] == {"to": "+14155550123", "text": "Hello", "reference": "uuid-1"}
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Idempotency-Key"] == "uuid-1"
    assert request["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_http_backend_server_errors_and_throttling_are_transient(provider, status):
    provider.replies.append((status, {"error": "try later"}))
    with pytest.raises(SMSTransientError, match=str(status)):
        HTTPSMSBackend(url=provider.url, token="t", timeout=2).send("+14155550123", "x")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_http_backend_client_errors_are_permanent(provider, status):
    provider.replies.append((status, {"error": "bad number"}))
    with pytest.raises(SMSPermanentError, match=str(status)):
        HTTPSMSBackend(url=provider.url, token="t", timeout=2).send("+14155550123", "x")


def test_http_backend_times_out(provider):
    """R7: a provider that does not answer costs at most the timeout."""
    provider.delay = 3
    started = time.monotonic()
    with pytest.raises(SMSTransientError):
        HTTPSMSBackend(url=provider.url, token="t", timeout=0.5).send("+14155550123", "x")
    assert time.monotonic() - started < 2


def test_http_backend_unreachable_provider_is_transient():
    backend = HTTPSMSBackend(url=f"http://127.0.0.1:{free_port()}/", token="t", timeout=1)
    with pytest.raises(SMSTransientError, match="unreachable"):
        backend.send("+14155550123", "x")


def test_http_backend_needs_a_url(settings):
    settings.SMS_HTTP_URL = ""
    with pytest.raises(SMSPermanentError):
        HTTPSMSBackend()


# --- Through the outbox ---------------------------------------------------------------------
@pytest.fixture
def http_sms(settings, provider):
    settings.SMS_BACKEND = "clinic.notify.sms.HTTPSMSBackend"
    settings.SMS_HTTP_URL = provider.url
    settings.SMS_HTTP_TOKEN = "tok"
    settings.SMS_HTTP_TIMEOUT = 2
    settings.NOTIFY_RETRY_BACKOFF_SECONDS = 0
    return provider


def sms_message(to="+14155550123") -> Message:
    with transaction.atomic():
        return services.message_queue(
            purpose="test", channel="sms", recipient=to, body_text="Visit tomorrow 10:00"
        )


@pytest.mark.django_db
def test_an_sms_message_is_sent_through_the_configured_backend(http_sms):
    message = sms_message()
    assert services.message_send(message_id=message.pk).outcome == "sent"
    (request,) = http_sms.requests
    assert request["json"]["text"] == "Visit tomorrow 10:00"
    assert request["json"]["reference"] == str(message.uuid)


@pytest.mark.django_db
def test_a_provider_outage_is_retried_then_sent(http_sms):
    http_sms.replies.append((503, {"error": "maintenance"}))
    message = sms_message()
    assert services.message_send(message_id=message.pk).outcome == "retry"
    assert services.message_send(message_id=message.pk).outcome == "sent"
    outcomes = list(MessageAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == ["transient", "sent"]
    # the same reference both times, so the provider can drop a repeat
    assert {r["headers"]["Idempotency-Key"] for r in http_sms.requests} == {str(message.uuid)}


@pytest.mark.django_db
def test_a_refused_sms_is_failed_without_retry(http_sms):
    http_sms.replies.append((400, {"error": "number not mobile"}))
    message = sms_message()
    assert services.message_send(message_id=message.pk).outcome == "failed"
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "400" in message.last_error


@pytest.mark.django_db
def test_an_sms_to_an_invalid_number_fails_without_calling_the_provider(http_sms):
    message = sms_message(to="12345")
    assert services.message_send(message_id=message.pk).outcome == "failed"
    assert http_sms.requests == []
