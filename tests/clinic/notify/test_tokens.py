"""The "manage reminders" token: one purpose, 30 days, tamper-proof, never logged (S14)."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core import signing

from clinic.logging import ScrubTokensFilter, scrub
from clinic.notify.tokens import (
    SALT,
    InvalidManageToken,
    manage_reminders_url,
    manage_token_make,
    manage_token_verify,
)


def make():
    return manage_token_make(person_label="patients.patient", person_id=42)


def test_a_fresh_token_names_its_person():
    assert manage_token_verify(make()) == ("patients.patient", "42")


def test_a_token_is_good_for_30_days_and_not_a_day_more():
    start = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        token = make()
    with time_machine.travel(start + dt.timedelta(days=29, hours=23), tick=False):
        assert manage_token_verify(token) == ("patients.patient", "42")
    with (
        time_machine.travel(start + dt.timedelta(days=30, seconds=1), tick=False),
        pytest.raises(InvalidManageToken) as exc,
    ):
        manage_token_verify(token)
    assert exc.value.expired is True


@pytest.mark.parametrize("position", [0, 5, -1, -5])
def test_a_tampered_token_is_refused(position):
    token = make()
    index = position % len(token)
    swapped = "A" if token[index] != "A" else "B"
    tampered = token[:index] + swapped + token[index + 1 :]
    with pytest.raises(InvalidManageToken) as exc:
        manage_token_verify(tampered)
    assert exc.value.expired is False


def test_a_token_for_another_person_cannot_be_made_by_editing_the_payload():
    token = make()
    payload, rest = token.split(":", 1)
    other = signing.b64_encode(b'["mr","patients.patient","43"]').decode()
    with pytest.raises(InvalidManageToken):
        manage_token_verify(f"{other}:{rest}")
    assert payload != other


@pytest.mark.parametrize(
    "token",
    [
        # Same payload, signed for another purpose (another salt, or Django's default).
        signing.dumps(["mr", "patients.patient", "42"], salt="clinic.calendar-feed"),
        signing.dumps(["mr", "patients.patient", "42"]),
        # Signed with the right salt, but not a manage-reminders payload.
        signing.dumps(["reset", "patients.patient", "42"], salt=SALT),
        signing.dumps({"l": "patients.patient", "i": "42"}, salt=SALT),
        "",
        "not-a-token",
    ],
)
def test_a_token_made_for_anything_else_is_refused(token):
    with pytest.raises(InvalidManageToken):
        manage_token_verify(token)


def test_the_manage_url_is_absolute_and_carries_a_valid_token(settings):
    settings.SITE_URL = "https://clinic.example"
    url = manage_reminders_url(person_label="patients.patient", person_id=7)
    assert url.startswith("https://clinic.example/reminders/manage/")
    token = url.removeprefix("https://clinic.example/reminders/manage/").rstrip("/")
    assert manage_token_verify(token) == ("patients.patient", "7")
    assert "patients.patient" not in url  # not in clear, at least


# --- Never in the logs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        'GET /reminders/manage/{token}/ HTTP/1.1" 200 512',
        "Not Found: /reminders/manage/{token}/",
        "https://clinic.example/reminders/manage/{token}/?lang=es",
        "POST /reminders/manage/{token} 302",
    ],
)
def test_S14_scrub_removes_the_token_from_log_lines(line):
    token = make()
    cleaned = scrub(line.format(token=token))
    assert token not in cleaned
    assert "/reminders/manage/[scrubbed]" in cleaned


def configured(handlers):
    """The handlers the settings configured (pytest adds capture handlers of its own)."""
    return [h for h in handlers if not type(h).__module__.startswith("_pytest")]


def test_the_console_handler_of_the_root_logger_scrubs():
    handlers = configured(logging.getLogger().handlers)
    assert handlers and all(
        any(isinstance(f, ScrubTokensFilter) for f in h.filters) for h in handlers
    )


def test_djangos_own_loggers_go_through_the_scrubbing_handler():
    """Django's default 'django' console handler and the dev server's request log would
    print URLs unscrubbed: they are routed through the scrubbing handler instead."""
    for name in ("django", "django.request", "django.server"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in configured(logger.handlers):
                assert any(isinstance(f, ScrubTokensFilter) for f in handler.filters), (
                    f"{name}: handler {handler!r} does not scrub tokens"
                )
            logger = logger.parent if logger.propagate else None


@pytest.mark.django_db
def test_S14_a_request_for_the_manage_page_logs_no_token(client, caplog):
    token = make()
    caplog.handler.addFilter(ScrubTokensFilter())
    with caplog.at_level(logging.INFO):
        client.get(f"/reminders/manage/{token}/")  # no page yet: a logged 404 / login redirect
        logging.getLogger("django.request").warning("Not Found: /reminders/manage/%s/", token)
        logging.getLogger("django.server").info('"GET /reminders/manage/%s/ HTTP/1.1" 404', token)
    assert caplog.records
    assert token not in caplog.text
    assert "/reminders/manage/[scrubbed]" in caplog.text
