"""Turn a screen's profile and result into rows for the pages (no logic in templates).

Staff pages show the engine's result in full: per area the ranked options with status, and
for each fired rule its id and the clinician's explanation. Patient pages only ever get the
engine's plain-language summary (``patient_summary``), translated here.
"""

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from treatments.rules import RULES_BY_ID, patient_summary

from . import labels

PROFILE_FIELD_LABELS = {
    "age": _("Age (years, on the screen's date)"),
    "pregnant": _("Pregnant (or may be)"),
    "breastfeeding": _("Breastfeeding"),
    "areas": _("Areas and HDSS"),
    "generalized": _("Generalized sweating"),
    "onset_age": _("Age at onset"),
    "duration_months": _("Duration (months)"),
    "bilateral_symmetric": _("Bilateral and symmetric"),
    "weekly_episodes": _("At least one episode a week"),
    "family_history": _("Family history"),
    "sweats_during_sleep": _("Sweats during sleep"),
    "red_flags": _("Red flags"),
    "electronic_implants": _("Electronic implants"),
    "metal_implants": _("Metal implants (sites)"),
    "iud": _("IUD"),
    "conditions": _("Conditions"),
    "skin": _("Skin"),
    "allergies": _("Allergies"),
    "medications": _("Medications"),
    "tried": _("Treatments tried"),
}

_CODE_LABELS = {
    "red_flags": labels.RED_FLAG_LABELS,
    "electronic_implants": labels.ELECTRONIC_IMPLANT_LABELS,
    "metal_implants": labels.METAL_SITE_LABELS,
    "conditions": labels.CONDITION_LABELS,
    "allergies": labels.TREATMENT_SHORT,
    "medications": labels.MEDICATION_LABELS,
}


def _yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def profile_value_text(field: str, value) -> str:
    """A staff-readable rendering of one profile value."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _yes_no(value)
    if field == "areas":
        if not value:
            return gettext("none (generalized only)")
        return ", ".join(f"{labels.AREA_LABELS[a]}: HDSS {h}" for a, h in value.items())
    if field == "skin":
        return (
            ", ".join(f"{labels.AREA_LABELS[a]}: {labels.SKIN_LABELS[s]}" for a, s in value.items())
            or "—"
        )
    if field == "iud":
        return str(labels.IUD_LABELS.get(value, value))
    if field == "tried":
        return "; ".join(tried_text(entry) for entry in value) or gettext("none")
    if field == "duration_months":
        years, months = divmod(value, 12)
        return ngettext(
            "%(n)s month (%(y)s y %(m)s m)", "%(n)s months (%(y)s y %(m)s m)", value
        ) % {"n": value, "y": years, "m": months}
    if isinstance(value, list):
        names = _CODE_LABELS.get(field, {})
        return ", ".join(f"{names.get(c, c)} [{c}]" for c in value) or gettext("none")
    return str(value)


def tried_text(entry: dict) -> str:
    parts = [str(labels.OUTCOME_LABELS.get(entry["outcome"], entry["outcome"]))]
    if "sessions" in entry:
        parts.append(labels.sessions_text(entry["sessions"]))
    if "weeks" in entry:
        parts.append(labels.weeks_text(entry["weeks"]))
    if "area" in entry:
        parts.append(str(labels.AREA_LABELS.get(entry["area"], entry["area"])))
    name = labels.TREATMENT_SHORT.get(entry["treatment"], entry["treatment"])
    return f"{name}: {', '.join(parts)}"


def profile_rows(profile: dict, flags: list[str]) -> list[dict]:
    """One row per profile field: label, readable value, and the "not sure" flags on it."""
    flagged: dict[str, list[str]] = {}
    for code in flags:
        field = labels.flag_field(code)
        if field:
            flagged.setdefault(field, []).append(labels.flag_label(code))
    return [
        {
            "field": field,
            "label": label,
            "text": profile_value_text(field, profile.get(field)),
            "flags": flagged.get(field, []),
        }
        for field, label in PROFILE_FIELD_LABELS.items()
    ]


def _rules(rule_ids: list[str]) -> list[dict]:
    rows = []
    for rule_id in rule_ids:
        row = RULES_BY_ID.get(rule_id)
        rows.append(
            {
                "id": rule_id,
                "text": row.clinician_text if row else gettext("(rule no longer in the table)"),
            }
        )
    return rows


def result_view(result: dict) -> dict:
    """The engine result for staff: refer and its rules, then per area the ranked options."""
    areas = []
    for area, entry in result["areas"].items():
        options = [
            {
                "treatment": o["treatment"],
                "label": labels.TREATMENT_SHORT.get(o["treatment"], o["treatment"]),
                "status": o["status"],
                "status_label": labels.STATUS_LABELS.get(o["status"], o["status"]),
                "css": labels.STATUS_CLASSES.get(o["status"], "secondary"),
                "is_top": o["treatment"] == entry["top"],
                "rules": _rules(o["rules"]),
            }
            for o in entry["options"]
        ]
        areas.append(
            {
                "area": area,
                "label": labels.AREA_LABELS.get(area, area),
                "hdss": entry["hdss"],
                "top": labels.TREATMENT_SHORT.get(entry["top"], "") if entry["top"] else "",
                "options": options,
                "rules": _rules(entry["rules"]),
            }
        )
    return {
        "refer": result["refer"],
        "refer_rules": _rules(result["refer_rules"]),
        "areas": areas,
        "rules_version": result["rules_version"],
    }


def patient_summary_view(result: dict) -> dict:
    """The engine's plain-language summary, translated; no rule ids, no statuses, no verdict."""
    summary = patient_summary(result)
    return {
        "refer": summary["key"] == "see_physician_first",
        "headline": gettext(summary["headline"]),
        "reasons": [gettext(r) for r in summary["reasons"]],
        "areas": [
            {
                "label": labels.AREA_LABELS.get(area, area),
                "messages": [gettext(m) for m in entry["messages"]],
                "notes": [gettext(n) for n in entry["iontophoresis_notes"]],
            }
            for area, entry in summary["areas"].items()
        ],
        "note": gettext(summary["note"]),
    }
