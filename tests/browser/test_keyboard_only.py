"""Booking and the intake questionnaire completed with the keyboard alone (Tab, Shift+Tab,
arrows, Space, Enter, typing): no clicks, no ``fill``. Every control reached shows a visible
focus ring. The patient's session is handed to the browser (logging in is not the subject);
from there on only ``page.keyboard`` acts."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from patients.models import Appointment, Screen
from tests.support.pagecheck import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 60

# What the focused element is: its role-ish kind, its own text or label, the legend of its
# fieldset, and whether a focus ring is drawn (outline or box-shadow).
_FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const own = el.getAttribute('aria-label') || el.innerText || el.value || '';
  const legend = el.closest('fieldset')?.querySelector('legend')?.innerText || '';
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', checked: !!el.checked,
    text: (label || own).replace(/\\s+/g, ' ').trim(), legend: legend.replace(/\\s+/g, ' '),
    inSlots: !!el.closest('.slot-grid'),
    ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none',
  };
}
"""


def focused(page):
    return page.evaluate(_FOCUSED_JS)


def tab_to(page, test, what: str):
    """Press Tab until ``test(focused)`` holds; the control must show a focus ring."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        el = focused(page)
        if el and test(el):
            assert el["ring"], f"no visible focus on {what}: {el}"
            return el
    raise AssertionError(f"{what} cannot be reached with Tab ({MAX_TABS} presses)")


def named(pattern: str):
    regex = re.compile(pattern, re.I)
    return lambda el: bool(regex.search(el["text"]))


def activate(page, pattern: str):
    """Tab to a link or button and press Enter (each one here opens another page)."""
    tab_to(page, lambda el: el["tag"] in ("a", "button") and named(pattern)(el), pattern)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, label: str, text: str):
    tab_to(page, lambda el: el["tag"] in ("input", "textarea") and named(label)(el), label)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def tick(page, label: str):
    el = tab_to(page, lambda el: el["type"] == "checkbox" and named(label)(el), label)
    if not el["checked"]:
        page.keyboard.press("Space")


def choose(page, question: str, answer: str):
    """A radio group: Tab into it, then arrows (which move and select) to the answer."""
    q = re.compile(re.escape(question), re.I)
    el = tab_to(page, lambda el: el["type"] == "radio" and bool(q.search(el["legend"])), question)
    a = re.compile(answer, re.I)
    for _ in range(12):
        if a.search(el["text"]):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
        el = focused(page)
    raise AssertionError(f"no answer {answer!r} in {question!r}")


def next_step(page):
    activate(page, "^Save and continue$")


def heading(page):
    return expect(page.get_by_role("heading", level=1))


@pytest.fixture
def patient_page(page, live_site, booking_world):
    """Ann (complete profile) logged in, on a phone-sized screen."""
    client = Client()
    client.force_login(booking_world.patient.user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_site,
            }
        ]
    )
    page.set_viewport_size(PHONE)
    return page


def test_booking_with_the_keyboard_only(patient_page, live_site, booking_world):
    page = patient_page
    page.goto(live_site + "/book/")
    activate(page, re.escape(booking_world.ctype.name))
    heading(page).to_have_text("Who would you like to see?")
    activate(page, re.escape(booking_world.specialist.display_name))
    page.wait_for_selector(".slot-grid a")
    tab_to(page, lambda el: el["inSlots"], "the first free time")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    heading(page).to_contain_text("Confirm")
    activate(page, "^Confirm booking$")
    expect(page.get_by_text("You're booked!")).to_be_visible()
    appointment = Appointment.objects.get()
    assert appointment.patient == booking_world.patient


def test_intake_with_the_keyboard_only(patient_page, live_site, booking_world):
    page = patient_page
    page.goto(live_site + "/me/intake/")
    activate(page, "^Start the questionnaire$")
    heading(page).to_have_text("About you")
    next_step(page)

    heading(page).to_have_text("Where do you sweat?")
    choose(page, "Hands (palms)", "barely tolerable")
    for area in ("Feet (soles)", "Underarms", "Face, scalp or head"):
        choose(page, area, "^Not a problem")
    choose(page, "all over your body", "^No$")
    next_step(page)

    heading(page).to_have_text("When it started and how it goes")
    type_into(page, "About how old were you", "13")
    type_into(page, "How long has it been going on", "18")
    choose(page, "both sides", "^Yes$")
    choose(page, "at least once a week", "^Yes$")
    choose(page, "while you are asleep", "^No$")
    choose(page, "anyone in your family", "^Yes$")
    next_step(page)

    heading(page).to_have_text("Other symptoms")
    next_step(page)
    choose(page, "pregnant", "^No$")
    choose(page, "breastfeeding", "^No$")
    next_step(page)
    heading(page).to_have_text("Implants and metal in the body")
    choose(page, "any metal inside your body", "^No$")
    next_step(page)
    choose(page, "IUD", "^No$")
    next_step(page)
    choose(page, "glaucoma", "^No$")
    next_step(page)
    heading(page).to_have_text("The skin where you sweat")
    choose(page, "Hands (palms)", "^Healthy skin")
    next_step(page)
    next_step(page)  # allergies: none
    next_step(page)  # medicines: none
    heading(page).to_have_text("Treatments you have tried")
    next_step(page)

    heading(page).to_have_text("Check your answers and send them")
    type_into(page, "Type your full name as your signature", "Ann Example")
    tick(page, "I have read the text above and I agree")
    activate(page, "^Sign and send my answers$")
    heading(page).to_have_text("Your questionnaire summary")
    screen = Screen.objects.get(patient=booking_world.patient)
    assert screen.profile["areas"] == {"palmar": 3}
    assert screen.profile["onset_age"] == 13
