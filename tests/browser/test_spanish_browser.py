"""Spanish in a real browser on a phone: a visitor switches the landing page to Spanish with the
footer's switcher; a patient who chose Spanish logs in from an English browser and gets Spanish
everywhere (home, questionnaire summary, "My treatment", appointments, booking). Screenshots at
390×844 go to test-artifacts/screenshots/es-*.png; no page scrolls sideways."""

import re

import pytest
from playwright.sync_api import expect

from clinic.demo import DEMO_PASSWORD, builders
from patients.models import Patient
from tests.browser.conftest import PHONE, SCREENSHOTS


def _build_spanish_demo():
    for _order, _name, build in builders():
        build(lambda message: None)
        Patient.objects.exclude(preferred_language="es").update(preferred_language="es")


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide on a 390px phone"


@pytest.mark.django_db(transaction=True)
def test_a_spanish_speaking_patient_gets_spanish_on_a_phone(browser, live_site):
    _build_spanish_demo()

    # A visitor with an English browser switches the landing page to Spanish.
    visitor = browser.new_context(viewport=PHONE, base_url=live_site, locale="en-US")
    page = visitor.new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Podemos ayudarle")
    shot(page, "es-landing-phone")
    _no_sideways_scroll(page, "landing")
    visitor.close()

    # Kenji chose Spanish; he logs in from an English browser with no cookie.
    context = browser.new_context(viewport=PHONE, base_url=live_site, locale="en-US")
    page = context.new_page()
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Email").fill("kenji@demo.clinic.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In|Log in", re.I)).click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_text("Sus próximos pasos")).to_be_visible()
    shot(page, "es-home-phone")
    _no_sideways_scroll(page, "home")

    pages = [
        ("/treatment/", "Mi tratamiento", "es-my-treatment-phone"),
        ("/me/appointments/", "Mis citas", "es-appointments-phone"),
        ("/me/intake/", "Su cuestionario", "es-questionnaire-phone"),
        ("/book/", "¿Qué quiere reservar?", "es-booking-phone"),
        ("/me/profile/", "Mis datos", "es-profile-phone"),
    ]
    for url, heading, name in pages:
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        shot(page, name)
        _no_sideways_scroll(page, name)

    # The questionnaire summary, with the engine's explanations in Spanish.
    page.goto("/me/intake/")
    page.get_by_role("link", name="Ver su resumen").first.click()
    expect(page.get_by_text("Esto no es un diagnóstico ni una decisión final.")).to_be_visible()
    shot(page, "es-summary-phone")
    _no_sideways_scroll(page, "summary")

    # Booking: a specialist, the week of free times, the confirmation step.
    page.goto("/book/")
    page.get_by_role("link", name=re.compile("Primera consulta|Segunda opinión")).first.click()
    page.get_by_role("link", name=re.compile("Cualquier especialista")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Elija una hora")
    shot(page, "es-slots-phone")
    _no_sideways_scroll(page, "slots")
    context.close()

    # James's summary: a doctor checks first, with the reasons in plain Spanish.
    context = browser.new_context(viewport=PHONE, base_url=live_site, locale="en-US")
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("james@demo.clinic.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In|Log in", re.I)).click()
    page.goto("/me/intake/")
    page.get_by_role("link", name="Ver su resumen").first.click()
    expect(page.get_by_text("Consulte primero con su médico, porque:")).to_be_visible()
    shot(page, "es-summary-refer-phone")
    _no_sideways_scroll(page, "refer summary")
    context.close()
