"""Plain-language, non-final messages for the patient about an engine result.

The patient never sees a rule id, a status or a ranking: only that a doctor would like to check
something first, or that a specialist will confirm which option suits them, plus whether
iontophoresis looks possible for each area. The strings are marked with `gettext_noop`; the
Django layer translates them when it renders.
"""

from .table import RULES, RULES_BY_ID, gettext_noop

__all__ = ["patient_summary"]

SEE_PHYSICIAN_FIRST = "see_physician_first"
SPECIALIST_WILL_CONFIRM = "specialist_will_confirm"
AFTER_PHYSICIAN_VISIT = "after_physician_visit"
MILD = "mild"

_HEADLINE_REFER = gettext_noop(
    "Thank you for your answers. Before choosing a treatment, a doctor would like to check a "
    "few things with you."
)
_HEADLINE_CONFIRM = gettext_noop(
    "Thank you for your answers. A specialist will go through them with you and confirm which "
    "option suits you."
)
_NOTE = gettext_noop(
    "This is not a diagnosis or a final decision. Your specialist makes the decision together "
    "with you."
)
_AREA_AFTER_VISIT = gettext_noop(
    "The treatment options for this area will be discussed after that check."
)
_AREA_CONFIRM = gettext_noop("A specialist will confirm which option suits you.")
_AREA_MILD = gettext_noop(
    "A specialist will talk with you about whether this area needs treatment."
)
_ION_POSSIBLE = gettext_noop("Tap-water iontophoresis may be one of your options here.")
_ION_NOT_LIKELY = gettext_noop(
    "Iontophoresis may not be the best fit here, but there are other options."
)

_TABLE_ORDER = {r.id: i for i, r in enumerate(RULES)}


def _texts(rule_ids) -> list[str]:
    """Patient texts of the known rules among `rule_ids`, in table order, each once."""
    known = sorted((i for i in set(rule_ids) if i in RULES_BY_ID), key=_TABLE_ORDER.__getitem__)
    texts: list[str] = []
    for rule_id in known:
        text = RULES_BY_ID[rule_id].patient_text
        if text not in texts:
            texts.append(text)
    return texts


def patient_summary(result: dict) -> dict:
    """Turn a `recommend()` result into messages a patient can read (never final, no rule ids).

    Returns `{"key", "final", "headline", "reasons", "areas", "note"}`:

    - `key` is `see_physician_first` when the result refers, else `specialist_will_confirm`;
      `final` is always False;
    - `reasons`: when referring, the patient texts of the refer rules that fired, else `[]`;
    - `areas`: per area `{"key", "messages", "iontophoresis_possible", "iontophoresis_notes"}`.
      When referring, `key` is `after_physician_visit` and `iontophoresis_possible` is None (not
      discussed yet). Otherwise `key` is `specialist_will_confirm` (or `mild` for an HDSS 1
      area), `iontophoresis_possible` says whether iontophoresis is among the ok/caution options,
      and `iontophoresis_notes` are the patient texts of the rules about it there.

    Rule ids that the current table does not know (a result from an older table) are skipped.
    """
    refer = bool(result["refer"])
    areas = {}
    for area, entry in result["areas"].items():
        if refer:
            areas[area] = {
                "key": AFTER_PHYSICIAN_VISIT,
                "messages": [_AREA_AFTER_VISIT],
                "iontophoresis_possible": None,
                "iontophoresis_notes": [],
            }
            continue
        ion = next(
            (o for o in entry["options"] if o["treatment"] == "iontophoresis"),
            None,
        )
        possible = ion is not None and ion["status"] in ("ok", "caution")
        mild = any(
            rule_id in RULES_BY_ID and RULES_BY_ID[rule_id].effect == "no_treatment"
            for rule_id in entry["rules"]
        )
        messages = [*_texts(entry["rules"]), _AREA_MILD if mild else _AREA_CONFIRM]
        messages.append(_ION_POSSIBLE if possible else _ION_NOT_LIKELY)
        areas[area] = {
            "key": MILD if mild else SPECIALIST_WILL_CONFIRM,
            "messages": messages,
            "iontophoresis_possible": possible,
            "iontophoresis_notes": _texts(ion["rules"]) if ion is not None else [],
        }
    return {
        "key": SEE_PHYSICIAN_FIRST if refer else SPECIALIST_WILL_CONFIRM,
        "final": False,
        "headline": _HEADLINE_REFER if refer else _HEADLINE_CONFIRM,
        "reasons": _texts(result["refer_rules"]) if refer else [],
        "areas": areas,
        "note": _NOTE,
    }
