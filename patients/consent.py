"""The consent text accepted before the questionnaire is sent. Versioned: change the text →
give it a new version, so every stored consent says exactly which text was accepted (its
fingerprint is stored too)."""

import hashlib

from django.utils.translation import gettext_lazy as _

INTAKE_CONSENT_VERSION = "intake-2026-01"

INTAKE_CONSENT_TITLE = _("Consent to use your answers")

INTAKE_CONSENT_PARAGRAPHS = (
    _(
        "The clinic's staff and specialists will read your answers to prepare your "
        "consultation and to suggest which treatments may suit you."
    ),
    _(
        "A computer checks your answers against the clinic's treatment guidelines. It only "
        "makes suggestions: a specialist always reviews them and decides with you."
    ),
    _(
        "Staff may correct an answer after talking with you. Your original answers are kept, "
        "and every change is recorded with who made it and why."
    ),
    _(
        "Your answers are part of your health record. Only people who need them for your "
        "care can see them, and every time someone opens them it is recorded."
    ),
    _(
        "Your answers are true to the best of your knowledge. If you are filling this in for "
        "a child or a person you care for, you are their parent or legal guardian."
    ),
)


def intake_consent_text() -> str:
    """The full text as shown (in the active language)."""
    return "\n\n".join(str(p) for p in (INTAKE_CONSENT_TITLE, *INTAKE_CONSENT_PARAGRAPHS))


def intake_consent_sha256() -> str:
    return hashlib.sha256(intake_consent_text().encode()).hexdigest()
