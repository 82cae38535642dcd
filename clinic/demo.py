"""Demo data: a small, believable clinic of fictitious people.

Each app registers a builder in its AppConfig.ready(); ``manage.py demo_data`` runs them in
order. Builders must be idempotent (get_or_create by a natural key): running the command twice
changes nothing."""

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

DEMO_PASSWORD = "sweat-less-2026"  # every demo account; printed by the command
DEMO_DOMAIN = "demo.clinic.example"


@dataclass
class DemoLogin:
    role: str
    email: str
    name: str
    two_factor: bool


Builder = Callable[[Callable[[str], None]], list[DemoLogin]]
_builders: list[tuple[int, str, Builder]] = []


def register(order: int, name: str, builder: Builder) -> None:
    if all(n != name for _, n, _ in _builders):
        _builders.append((order, name, builder))
        _builders.sort(key=lambda b: b[0])


def builders() -> list[tuple[int, str, Builder]]:
    return list(_builders)


def demo_totp_secret(email: str) -> str:
    """A fixed TOTP secret per demo account, so `demo_totp` can print the current code."""
    digest = hashlib.sha256(f"demo-totp:{email.lower()}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()
