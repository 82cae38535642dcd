"""Checks run on every page a browser journey visits: axe-core (accessibility), labelled form
fields, and for patient pages the phone-first checks at 390x844 and at desktop width (no
horizontal scrolling, tap targets of at least 44 px). Each visited page is also saved as a
screenshot in test-artifacts/screenshots/.

Problems are collected, not raised at once, so one run reports every page's problems;
``PageChecks.assert_clean()`` fails the test with the whole list at the end.

The tap-target rule: in ``<main>``, every visible button, link styled as a button or standing
on its own, ``select`` and ``[role=button]`` is at least 44x44 CSS px (WCAG 2.5.5). Exempt,
as WCAG exempts them: a link inside a sentence (its parent element holds other text than the
link's own), and controls hidden from sight (``visually-hidden``, zero size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
AXE_JS = BASE_DIR / "tests" / "browser" / "vendor" / "axe.min.js"
SCREENSHOTS = BASE_DIR / "test-artifacts" / "screenshots"
AXE_REPORT = BASE_DIR / "test-artifacts" / "axe"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MIN_TAP = 44
FAILING_IMPACTS = ("serious", "critical")

# WCAG 2.0-2.2 A and AA, plus axe's best practices (landmarks, heading order, regions).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}

_UNLABELLED_FIELDS_JS = """
() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const named = (el) => {
    if (el.getAttribute('aria-label')?.trim()) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some((id) => document.getElementById(id)?.textContent.trim()))
      return true;
    return [...(el.labels || [])].some((l) => l.textContent.trim());
  };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
    .filter(visible)
    .filter((el) => !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}
"""

_SMALL_TARGETS_JS = """
(min) => {
  const main = document.querySelector('main') || document.body;
  const inSentence = (el) => {
    if (el.tagName !== 'A' || el.classList.contains('btn')) return false;
    const parent = el.parentElement;
    const own = el.textContent.replace(/\\s+/g, ' ').trim();
    const around = parent.textContent.replace(/\\s+/g, ' ').trim();
    return around.length > own.length;
  };
  const hidden = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width === 0 || r.height === 0 || s.visibility === 'hidden'
      || el.closest('.visually-hidden, .visually-hidden-focusable, [hidden]');
  };
  return [...main.querySelectorAll('a[href], button, select, [role=button], input[type=submit]')]
    .filter((el) => !hidden(el) && !inSentence(el))
    .map((el) => ({el, r: el.getBoundingClientRect()}))
    .filter(({r}) => r.height < min - 0.5 || r.width < min - 0.5)
    .map(({el, r}) => `${el.tagName.toLowerCase()} "${(el.textContent || el.value || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
}
"""


@dataclass
class PageChecks:
    """Bound to one Playwright page and one role (used in screenshot names)."""

    page: object
    role: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)  # page -> axe results below "serious"

    # --- one page -------------------------------------------------------------------------
    def check(self, name: str, *, patient_page: bool = False, docs: bool = False) -> None:
        """Check the page now shown. Patient pages are checked (and shot) at phone and at
        desktop width, leaving the phone size on; others at the current size. ``docs`` also
        saves what the screen shows (not the whole page) under screenshots/docs/, the
        candidates for docs/screenshots/."""
        self.page.wait_for_load_state("load")
        self.visited.append(name)
        if not patient_page:
            self._axe(name)
            self._labels(name)
            self._shot(f"{self.role}-{name}", docs=docs)
            return
        start = self.page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            where = f"{name} ({label})"
            self._axe(where)
            self._labels(where)
            self._phone_first(where)
            self._shot(f"{self.role}-{name}-{label}", docs=docs)
        self.page.set_viewport_size(start or PHONE)

    def _axe(self, where: str) -> None:
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            # The clinic's CSP forbids inline scripts, so a <script> tag would be blocked:
            # evaluate the vendored file through the DevTools protocol instead.
            self.page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        violations = self.page.evaluate(
            "(options) => axe.run(document, options).then((r) => r.violations)", AXE_OPTIONS
        )
        for v in violations:
            targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
            line = f"{where}: axe {v['impact']} {v['id']}: {v['help']} [{targets}]"
            if v["impact"] in FAILING_IMPACTS:
                self.problems.append(line)
            else:
                self.notes.setdefault(where, []).append(line)

    def _labels(self, where: str) -> None:
        for html in self.page.evaluate(_UNLABELLED_FIELDS_JS):
            self.problems.append(f"{where}: form field without a label: {html}")

    def _phone_first(self, where: str) -> None:
        scroll, inner = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            self.problems.append(f"{where}: scrolls sideways ({scroll} px wide in {inner} px)")
        for small in self.page.evaluate(_SMALL_TARGETS_JS, MIN_TAP):
            self.problems.append(f"{where}: tap target under {MIN_TAP} px: {small}")

    def _shot(self, name: str, *, docs: bool) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        if docs:
            (SCREENSHOTS / "docs").mkdir(exist_ok=True)
            self.page.evaluate("() => window.scrollTo(0, 0)")
            self.page.screenshot(path=str(SCREENSHOTS / "docs" / f"{name}.png"))

    # --- the end of a journey -------------------------------------------------------------
    def assert_clean(self) -> None:
        AXE_REPORT.mkdir(parents=True, exist_ok=True)
        report = {"visited": self.visited, "problems": self.problems, "minor": self.notes}
        (AXE_REPORT / f"{self.role}.json").write_text(json.dumps(report, indent=2))
        assert not self.problems, f"{len(self.problems)} problem(s) on {self.role} pages:\n" + (
            "\n".join(self.problems)
        )
