import logging
import re

# Tokens that grant something must never reach the logs (S14): password-reset and
# email-confirmation keys, calendar-feed and reminder-preference tokens.
_PATTERNS = [
    (re.compile(r"(/accounts/password/reset/key/)[^/\s\"]+"), r"\1[scrubbed]"),
    (re.compile(r"(/accounts/confirm-email/)[^/\s\"]+"), r"\1[scrubbed]"),
    (re.compile(r"(/t/)[A-Za-z0-9_\-:.]+"), r"\1[scrubbed]"),
    (re.compile(r"(/reminders/manage/)[^/\s\"'?#]+"), r"\1[scrubbed]"),
    (re.compile(r"([?&](?:token|key)=)[^&\s\"]+"), r"\1[scrubbed]"),
]


def scrub(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class ScrubTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
