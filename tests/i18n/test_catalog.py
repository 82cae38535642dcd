"""The Spanish catalog is complete, well-formed, and the committed .mo is compiled from it.

Neither GNU gettext nor polib is needed: the .po is read by tests/support/po.py and the .mo by
Python's own gettext module."""

import gettext

import pytest
from django.utils import translation

from tests.support import po
from treatments.rules import RULES
from treatments.rules import summary as engine_summary

ENTRIES = po.parse()
MESSAGES = [e for e in ENTRIES if e.msgid and not e.obsolete]


def _label(entry) -> str:
    return f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid[:70]!r}"


def test_catalog_has_the_patient_text():
    assert len(MESSAGES) > 1000
    header = ENTRIES[0]
    assert header.msgid == "" and "Language: es" in header.msgstr
    assert "Plural-Forms: nplurals=3;" in header.msgstr  # Django's own Spanish plural rule


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [_label(e) for e in MESSAGES if not e.is_translated]
    fuzzy = [_label(e) for e in ENTRIES if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_plural_entries_have_all_three_spanish_forms():
    for entry in MESSAGES:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr_plural) == [0, 1, 2], _label(entry)


def test_placeholders_and_markup_are_kept_in_every_translation():
    problems = []
    for entry in MESSAGES:
        wanted = po.placeholders(entry.msgid) | po.placeholders(entry.msgid_plural or "")
        for i, text in enumerate(entry.translations):
            got = po.placeholders(text)
            # The singular of a plural may leave the number out ("una sesión por semana").
            ok = got <= wanted if entry.msgid_plural and i == 0 else got == wanted
            if not ok:
                problems.append(f"{_label(entry)}: {sorted(wanted)} vs {sorted(got)}")
            if po.tags(text) != po.tags(entry.msgid):
                problems.append(f"{_label(entry)}: markup {po.tags(entry.msgid)} changed")
            if entry.msgid.endswith("\n") != text.endswith("\n"):
                problems.append(f"{_label(entry)}: trailing line break differs")
    assert not problems, "\n".join(problems)


def _mo_catalog() -> dict:
    with po.MO_PATH.open("rb") as fh:
        catalog = dict(gettext.GNUTranslations(fh)._catalog)
    catalog.pop("", None)  # the header
    return catalog


def _po_catalog() -> dict:
    catalog = {}
    for entry in MESSAGES:
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural is None:
            catalog[key] = entry.msgstr
        else:
            for n, text in entry.msgstr_plural.items():
                catalog[(key, n)] = text
    return catalog


def test_the_committed_mo_is_compiled_from_the_current_po():
    """A fresh machine may have no gettext to compile: the .mo in git must match the .po.
    After editing the .po, run `make compile-messages` and commit both."""
    mo, source = _mo_catalog(), _po_catalog()
    stale = sorted(str(k)[:80] for k in source if mo.get(k) != source[k])
    extra = sorted(str(k)[:80] for k in mo if k not in source)
    assert not stale and not extra, (
        f"locale/es/LC_MESSAGES/django.mo is out of date (run `make compile-messages`): "
        f"{len(stale)} differ or are missing, e.g. {stale[:5]}; "
        f"{len(extra)} extra, e.g. {extra[:5]}"
    )


# The engine's patient-facing words: every rule's explanation and the summary's own sentences.
ENGINE_TEXTS = sorted(
    {r.patient_text for r in RULES}
    | {
        value
        for name, value in vars(engine_summary).items()
        if name.startswith(("_HEADLINE", "_NOTE", "_AREA", "_ION")) and isinstance(value, str)
    }
)


@pytest.mark.parametrize("text", ENGINE_TEXTS, ids=lambda t: t[:40])
def test_each_engine_explanation_for_patients_reads_in_spanish(text):
    with translation.override("es"):
        spanish = translation.gettext(text)
    assert spanish != text, f"no Spanish for the engine's patient text {text!r}"
