"""A real SMTP server for tests (aiosmtpd), keeping every message it accepts."""

import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        return await self.server.on_data(envelope)


class SMTPServer:
    """``failures``: answer this many DATA commands with ``failure_reply`` (a 451, transient,
    unless given) first.
    ``hang``: accept the connection, then never answer DATA (for timeout tests).
    ``delay``: wait this many seconds before accepting each message (a slow server, so a
    worker can be killed in the middle of a batch)."""

    def __init__(
        self,
        port: int,
        failures: int = 0,
        hang: bool = False,
        delay: float = 0.0,
        failure_reply: str = "451 Temporary failure, try again later",
    ):
        self.port = port
        self.failures = failures
        self.failure_reply = failure_reply
        self.hang = hang
        self.delay = delay
        self.messages: list[email.message.EmailMessage] = []
        self.attempts = 0
        self._lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)

    async def on_data(self, envelope):
        import asyncio

        with self._lock:
            self.attempts += 1
            if self.hang:
                pass
            elif self.failures > 0:
                self.failures -= 1
                return self.failure_reply
        if self.hang:
            await asyncio.sleep(3600)
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def reset(self, *, failures: int = 0) -> None:
        with self._lock:
            self.messages.clear()
            self.attempts = 0
            self.failures = failures

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")

    @staticmethod
    def text_of(msg) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""
