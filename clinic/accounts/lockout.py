"""django-axes wiring: which account a login attempt is for."""


def attempted_account(request, credentials) -> str | None:
    """The account an attempt targets, lower-cased so changing case buys no more attempts.

    allauth authenticates with ``email``; its form posts ``login``."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login") or request.POST.get("email")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None
