"""Spanish end to end: every patient page and every patient email, rendered for Spanish-speaking
patients of the demo clinic, contains no English from the project's own catalog.

How English is found: every run of three or more English words in locale/es/.../django.po (the
text between placeholders and tags of each msgid) is looked for in the visible text of the page
(text nodes and the labels screen readers announce) and in each email. Names and other data do
not trip it; an untranslated template string, form label, message or engine explanation does.

Which pages: a crawler logs in as each demo patient and follows every link it sees (GET only,
safe by S5), starting at the landing page and the patient's home, plus the pages only reached
from an email or an error. A guard fails when a patient URL or template is never rendered, so
a new patient page cannot escape this test.
"""

import contextlib
import datetime
import re
import time
from collections import Counter, deque
from unittest import mock
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import psycopg.errors
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import OperationalError
from django.test import Client
from django.test.signals import template_rendered
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from clinic.accounts.models import User
from clinic.accounts.roles import GROUP_NAMES, Role
from clinic.demo import builders
from clinic.notify import reminders as reminder_kinds
from clinic.notify.models import Message
from clinic.notify.registry import Rendered, get_renderer
from clinic.notify.services import reminder_render
from clinic.notify.tokens import manage_reminders_url
from patients import demo_intake
from patients.forms.booking import format_start, parse_start
from patients.models import Appointment, AppointmentStatus, Patient
from patients.notifications import appointment_notify
from patients.reminders import PERSON_LABEL
from patients.services.intake import intake_submit
from patients.services.profile import patient_claim_invite, patient_register_by_staff
from tests.factories import UserFactory
from tests.i18n.test_catalog import ENGINE_TEXTS
from tests.support import po
from tests.support.urlwalk import walk

pytestmark = pytest.mark.django_db

FRAGMENTS = po.english_fragments(po.parse())

# Patient-facing pages live under these prefixes (plus the landing page and account pages).
PATIENT_PREFIXES = ("/me/", "/book/", "/treatment/", "/reminders/")
# Routes that answer with a file, not a page (their text is checked through the emails/ICS).
NOT_PAGES = {"patients:appointment_ics", "treatments:my_sessions_ics", "treatments:feed"}
# Never followed: leaving the site's pages, switching language, Django admin, static files.
SKIP_PREFIXES = ("/static/", "/admin/", "/i18n/", "/healthz")
# How many different URLs of one route to render (slot pages link to every day of the week).
PER_ROUTE = {"patients:intake_step": 30}
PER_ROUTE_DEFAULT = 3
# Forms that only lead somewhere (starting or resuming the questionnaire): posted and followed.
FOLLOW_POSTS = {"patients:intake_start"}


@pytest.fixture
def spanish_clinic():
    """The demo clinic, with every patient preferring Spanish from the moment they exist, so
    the emails the demo's bookings and reviews queue are written in Spanish."""
    for _order, _name, build in builders():
        build(lambda message: None)
        Patient.objects.exclude(preferred_language="es").update(preferred_language="es")
    assert Patient.objects.filter(user__isnull=False).count() >= 10


@pytest.fixture
def rendered_templates():
    names = set()

    def record(sender, template, **kwargs):
        if template.origin and template.origin.template_name:
            names.add(template.origin.template_name)

    template_rendered.connect(record, dispatch_uid="i18n-templates")
    yield names
    template_rendered.disconnect(dispatch_uid="i18n-templates")


def spanish_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


class Crawl:
    """Renders pages in Spanish and remembers what English it found where."""

    def __init__(self):
        self.english: dict[str, list[str]] = {}
        self.routes: Counter = Counter()
        self.bad_status: list[str] = []
        self.pages = 0

    def check_text(self, where: str, text: str) -> None:
        found = po.english_found(text, FRAGMENTS)
        if found:
            self.english[where] = found

    def page(self, client: Client, url: str, *, expect=(200,)):
        with contextlib.suppress(Resolver404):
            self.routes[resolve(urlsplit(url).path).view_name] += 1
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            return response
        if response.status_code not in expect:
            self.bad_status.append(f"{url} → {response.status_code}")
        if "text/html" in response.get("Content-Type", ""):
            markup = response.content.decode()
            self.pages += 1
            assert re.search(r'<html lang="es"', markup), f"{url} is not marked Spanish"
            self.check_text(url, po.visible_text(markup))
        return response

    def follow_links(self, client: Client, starts: list[str], who: str) -> None:
        seen, per_route = set(), Counter()
        queue = deque(starts)
        while queue:
            url = queue.popleft()
            parts = urlsplit(url)
            if url in seen or parts.path.startswith(SKIP_PREFIXES):
                continue
            seen.add(url)
            try:
                name = resolve(parts.path).view_name
            except Resolver404:
                self.bad_status.append(f"{who}: broken link {url}")
                continue
            if name in NOT_PAGES or per_route[name] >= PER_ROUTE.get(name, PER_ROUTE_DEFAULT):
                continue
            per_route[name] += 1
            response = self.page(client, url)
            if response.status_code in (301, 302, 303):
                queue.appendleft(urljoin(url, response["Location"]))
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            markup = response.content.decode()
            for action in re.findall(r'<form method="post" action="([^"]+)"', markup):
                if action not in seen and resolve(action).view_name in FOLLOW_POSTS:
                    seen.add(action)
                    self.routes[resolve(action).view_name] += 1
                    posted = client.post(action)
                    if posted.status_code == 302:
                        queue.appendleft(urljoin(action, posted["Location"]))
            for href in re.findall(r'<a\b[^>]*\bhref="([^"#]+)', markup):
                target = urlsplit(urljoin(url, href.replace("&amp;", "&")))
                if target.scheme in ("", "http") and target.netloc in ("", "testserver"):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))


def _patient_users():
    return list(
        User.objects.filter(
            groups__name=GROUP_NAMES[Role.PATIENT], email__endswith="@demo.clinic.example"
        )
        .distinct()
        .order_by("email")
    )


def _unslot(url: str) -> str:
    """The same confirm link one minute off the slot grid: a time that cannot be booked."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    start = parse_start(query["start"])
    query["start"] = format_start(start.replace(minute=(start.minute + 1) % 60))
    return f"{parts.path}?{urlencode(query)}"


def _first_link(markup: str, pattern: str) -> str | None:
    m = re.search(r'href="(' + pattern + r')"', markup)
    return m.group(1).replace("&amp;", "&") if m else None


@pytest.fixture
def many_rules_intake(spanish_clinic):
    """A Spanish patient whose answers fire many of the engine's rules, sent to the clinic."""
    user = UserFactory(role=Role.PATIENT, email="varias.reglas@example.com")
    patient = Patient.objects.create(
        user=user,
        legal_name="Elena Varias Reglas",
        date_of_birth=datetime.date(1980, 3, 1),
        preferred_language="es",
    )
    answers = demo_intake._answers(
        dob=patient.date_of_birth,
        areas={"palmar": 3, "plantar": 4, "axillary": 3, "craniofacial": 2},
        breastfeeding="yes",
        metal="yes",
        metal_sites=["knee"],
        heart=["heart_disease", "hypertension"],
        glaucoma="glaucoma_open_angle",
        other=["immunocompromised", "fitzpatrick_vi"],
        skin={
            "palmar": "small_fissures",
            "plantar": "intact",
            "axillary": "intact",
            "craniofacial": "intact",
        },
        medications=["aminoglycoside", "cyp2d6_inhibitor"],
        tried={"iontophoresis": ("failed", 3, None)},
    )
    intake = demo_intake._fill(patient, user, answers)
    intake_submit(intake_id=intake.pk, user=user, signed_name=patient.legal_name)
    return intake


@pytest.fixture
def many_rules_client(many_rules_intake):
    client = spanish_client()
    client.force_login(many_rules_intake.patient.user)
    return client


def test_every_patient_page_reads_in_spanish(
    spanish_clinic, rendered_templates, many_rules_intake, many_rules_client
):
    crawl = Crawl()

    # Visitors: the landing page, booking up to "almost there", log in, sign up, reset.
    visitor = spanish_client()
    crawl.follow_links(
        visitor,
        ["/", reverse("account_login"), reverse("account_signup"), "/accounts/password/reset/"],
        "visitor",
    )

    # Every demo patient (and a guardian), everything linked from their pages.
    for user in _patient_users():
        client = spanish_client()
        client.force_login(user)
        crawl.follow_links(client, ["/", reverse("patients:home")], user.email)

    # Pages reached only from an error or an unusual moment.
    kenji = User.objects.get(email="kenji@demo.clinic.example")
    client = spanish_client()
    client.force_login(kenji)
    slots = client.get(reverse("booking:start")).content.decode()
    specialist_page = client.get(_first_link(slots, r"/book/\d+/")).content.decode()
    slot_page = client.get(_first_link(specialist_page, r"/book/\d+/\w+/")).content.decode()
    confirm = _first_link(slot_page, r'/book/confirm/\?[^"]+')
    assert confirm, "no free slot offered to kenji"
    crawl.page(client, _unslot(confirm))  # "that time cannot be booked" + nearest times
    crawl.page(client, reverse("booking:confirm") + "?type=x", expect=(400,))  # a bad link
    # The database too busy to confirm (a deadlock, a timeout): "please try again".
    query = {k: v[0] for k, v in parse_qs(urlsplit(confirm).query).items()}
    kenji_patient = Patient.objects.get(user=kenji)
    busy_error = OperationalError("deadlock")
    busy_error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    with mock.patch("patients.views.booking.appointment_book_locked", side_effect=busy_error):
        busy = client.post(reverse("booking:confirm"), {**query, "patient": kenji_patient.pk})
    assert busy.status_code == 503, busy.status_code
    crawl.check_text("booking POST (busy)", po.visible_text(busy.content.decode()))
    appt = Appointment.objects.filter(
        patient__user=kenji, status=AppointmentStatus.BOOKED, start__gt="2000-01-01"
    ).first()
    resched = client.get(reverse("patients:appointment_reschedule", args=[appt.pk]))
    moved = _first_link(resched.content.decode(), r'/me/appointments/\d+/reschedule/confirm/[^"]+')
    assert moved, "no time offered to move kenji's appointment"
    crawl.page(client, _unslot(moved))  # that time is not free: the nearest ones
    done = Appointment.objects.exclude(status=AppointmentStatus.BOOKED).first()
    owner = done.patient.user or done.patient.guardian
    client.force_login(owner)
    crawl.page(client, reverse("patients:appointment_reschedule", args=[done.pk]))  # too late
    crawl.page(client, "/me/appointments/999999/", expect=(404,))
    crawl.page(client, reverse("calendar:day"), expect=(403,))

    # The phone-only patient's invitation: the link in the email, and a dead one.
    staff = User.objects.get(email="frontdesk@demo.clinic.example")
    invited = patient_register_by_staff(
        registered_by=staff, legal_name="Rosa Díaz", phone="+14155550999", preferred_language="es"
    )
    patient_claim_invite(patient=invited, email="rosa@example.com")
    message = Message.objects.get(purpose="patient.claim_invitation", recipient="rosa@example.com")
    rendered = get_renderer(message.renderer)(message.render_params, message.recipient)
    claim = re.search(r"https?://\S+/book/claim/t/\S+/", rendered.text).group(0)
    crawl.page(spanish_client(), urlsplit(claim).path)
    crawl.page(spanish_client(), reverse("booking:claim", args=["not-a-token"]), expect=(400,))

    # The reminder preferences page, opened from the link in a reminder (no login): in Spanish
    # also in a browser that never chose a language (the patient's own), saved, and the pages
    # of a link that is expired or not valid.
    maria = Patient.objects.get(user__email="maria@demo.clinic.example")
    link = urlsplit(manage_reminders_url(person_label=PERSON_LABEL, person_id=maria.pk)).path
    crawl.page(spanish_client(), link)
    crawl.page(Client(HTTP_ACCEPT_LANGUAGE="en"), link)
    saved = spanish_client().post(link, _reminder_choices(maria))
    assert saved.status_code == 200, saved.content.decode()[:2000]
    crawl.check_text(f"{link} (saved)", po.visible_text(saved.content.decode()))
    assert "Guardado." in saved.content.decode()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
        old = manage_reminders_url(person_label=PERSON_LABEL, person_id=maria.pk)
    expired = crawl.page(spanish_client(), urlsplit(old).path, expect=(400,))
    assert "30 días" in expired.content.decode()
    crawl.page(
        spanish_client(), reverse("reminder_preferences", args=["not-a-token"]), expect=(400,)
    )

    # The engine's explanations: a questionnaire that fires many rules, its summary in Spanish.
    crawl.page(many_rules_client, reverse("patients:intake_result", args=[many_rules_intake.pk]))
    summary = po.visible_text(
        many_rules_client.get(
            reverse("patients:intake_result", args=[many_rules_intake.pk])
        ).content.decode()
    )
    with translation.override("es"):
        shown = [t for t in ENGINE_TEXTS if translation.gettext(t) in summary]
    assert len(shown) >= 8, f"only {len(shown)} engine explanations on the summary: {shown}"

    assert not crawl.bad_status, "pages that failed:\n" + "\n".join(crawl.bad_status)
    assert not crawl.english, "English left on Spanish pages:\n" + "\n".join(
        f"{url}: {found}" for url, found in sorted(crawl.english.items())
    )

    # The guard: every patient URL and every patient template was rendered above.
    patient_routes = {
        r.name
        for r in walk()
        if r.name and r.path.startswith(PATIENT_PREFIXES) and r.name not in NOT_PAGES
    }
    missed = sorted(patient_routes - set(crawl.routes))
    assert not missed, f"patient pages this test never rendered (link them or add them): {missed}"
    templates_dir = settings.BASE_DIR / "templates"
    patient_templates = {
        str(p.relative_to(templates_dir))
        for folder in ("patients", "treatments/patient")
        for p in (templates_dir / folder).rglob("*.html")
    }
    unrendered = sorted(t for t in patient_templates - rendered_templates if "/email/" not in t)
    assert not unrendered, f"patient templates never rendered in Spanish: {unrendered}"
    assert crawl.pages > 100, crawl.routes


def _reminder_choices(patient: Patient) -> dict:
    """The preferences form posted back as it stands (every reminder on)."""
    hhmm = lambda t: t.strftime("%H:%M") if t else ""  # noqa: E731
    return {
        "reminder_channel": patient.reminder_channel,
        "topics": [key for key, _label in reminder_kinds.topics()],
        "home_session_time": hhmm(patient.home_session_time),
        "quiet_hours_start": hhmm(patient.quiet_hours_start),
        "quiet_hours_end": hhmm(patient.quiet_hours_end),
        "time_zone": patient.time_zone,
    }


def _email_text(rendered) -> str:
    return "\n".join([rendered.subject, rendered.text, po.visible_text(rendered.html or "")])


def test_every_patient_email_reads_in_spanish(spanish_clinic, client):
    """The demo queued booking confirmations and an info-requested email; a reschedule, a
    cancellation, a claim invitation and the account emails are added here. Each is rendered
    as the worker would send it."""
    appt = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, patient__guardian__isnull=True
    ).first()
    appointment_notify(appointment=appt, action="rescheduled")
    appointment_notify(appointment=appt, action="cancelled")
    child = Appointment.objects.filter(patient__guardian__isnull=False).first()
    if child is None:  # a guardian's copy ("the appointment for Lily…") from the demo or here
        child = appt
    appointment_notify(appointment=child, action="booked")
    staff = User.objects.get(email="frontdesk@demo.clinic.example")
    invited = patient_register_by_staff(
        registered_by=staff, legal_name="Rosa Díaz", phone="+14155550999", preferred_language="es"
    )
    patient_claim_invite(patient=invited, email="rosa@example.com")
    # Account emails, asked for in Spanish: sign-up confirmation and a password reset.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    client.post(
        reverse("account_signup"),
        {
            "first_name": "Lucía",
            "last_name": "Gómez",
            "email": "lucia@example.com",
            "password1": "un-buen-secreto-largo",
            "password2": "un-buen-secreto-largo",
        },
    )
    client.post("/accounts/password/reset/", {"email": "maria@demo.clinic.example"})

    messages = list(Message.objects.order_by("pk"))
    purposes = Counter(m.purpose for m in messages)
    for expected in (
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.cancelled",
        "intake_info_requested",
        "patient.claim_invitation",
        "account.email_confirmation",
        "account.password_reset",
    ):
        assert purposes[expected], f"no {expected} email was produced: {purposes}"

    english = {}
    for message in messages:
        if message.renderer:
            rendered = get_renderer(message.renderer)(message.render_params, message.recipient)
        else:
            rendered = Rendered(message.subject, message.body_text, message.body_html)
        text = _email_text(rendered)
        found = po.english_found(text, FRAGMENTS)
        if found:
            english[f"{message.purpose} to {message.recipient}"] = found
        for attachment in message.attachments:  # the .ics invitation's title and description
            found = po.english_found(attachment["content"].replace("\\n", " "), FRAGMENTS)
            if found:
                english[f"{message.purpose} calendar file"] = found
        if message.renderer == "account":
            # allauth's own wording (not in our catalog): Spanish, not its English original.
            with translation.override("en"):
                original = get_renderer(message.renderer)(
                    {**message.render_params, "language": "en"}, message.recipient
                )
            assert rendered.subject != original.subject, message.purpose
            assert rendered.text != original.text, message.purpose
    assert not english, "English left in Spanish emails:\n" + "\n".join(
        f"{k}: {v}" for k, v in english.items()
    )


def test_every_reminder_and_nudge_reads_in_spanish(spanish_clinic):
    """Every registered reminder kind (consultations, clinic visits, home sessions, the "not
    logged yet?" nudge), by email and by SMS, rendered as the worker sends it — from a process
    whose active language is English, so the patient's language must be switched on for it."""
    english, rendered_kinds = {}, Counter()
    for model in apps.get_models():
        for kind in reminder_kinds.kinds_for(model._meta.label_lower):
            targets = [
                t
                for t in model.objects.order_by("pk")
                if kind.when(t) is not None and kind.audience(t) is not None
            ]
            for target in targets[:3]:
                for channel in kind.channels:
                    with translation.override("en"):
                        rendered = reminder_render(kind=kind.name, target=target, channel=channel)
                    assert rendered.text.strip(), (kind.name, channel)
                    found = po.english_found(_email_text(rendered), FRAGMENTS)
                    if found:
                        english[f"{kind.name} by {channel} for {target.pk}"] = found
                    rendered_kinds[kind.name] += 1
    registered = {
        kind.name
        for model in apps.get_models()
        for kind in reminder_kinds.kinds_for(model._meta.label_lower)
    }
    assert {"consultation-24h", "home-session", "session-not-logged"} <= registered
    missed = sorted(registered - set(rendered_kinds))
    assert not missed, f"reminder kinds with nothing to remind of in the demo: {missed}"
    assert not english, "English left in Spanish reminders:\n" + "\n".join(
        f"{k}: {v}" for k, v in english.items()
    )


def test_the_reminder_check_finds_english_when_not_translated(spanish_clinic):
    """The check above can fail: the same nudge for a patient who reads English is reported."""
    from treatments import nudge

    session = next(
        s
        for s in apps.get_model("treatments", "plannedsession").objects.order_by("pk")
        if nudge.when(s) is not None and nudge.audience(s) is not None
    )
    patient = session.plan.patient
    patient.preferred_language = "en"
    patient.save(update_fields=["preferred_language"])
    with translation.override("es"):
        rendered = reminder_render(kind=nudge.KIND, target=session, channel="email")
    assert po.english_found(_email_text(rendered), FRAGMENTS)


def test_the_crawler_finds_english_when_a_page_is_not_translated(spanish_clinic):
    """The check above can fail: with the Spanish catalog switched off, the same pages are
    reported (the test does not pass by finding nothing)."""
    client = Client()  # English
    client.force_login(User.objects.get(email="kenji@demo.clinic.example"))
    for url in (reverse("patients:home"), reverse("treatments:my_treatment")):
        text = po.visible_text(client.get(url).content.decode())
        assert po.english_found(text, FRAGMENTS), url


@pytest.mark.parametrize("handler", ["error_400", "error_403", "error_404", "error_500"])
def test_error_pages_read_in_spanish(rf, handler):
    from clinic import views

    request = rf.get("/", HTTP_ACCEPT_LANGUAGE="es")
    request.user = AnonymousUser()
    with translation.override("es"):
        response = getattr(views, handler)(request)
    markup = response.content.decode()
    assert '<html lang="es"' in markup
    assert not po.english_found(po.visible_text(markup), FRAGMENTS)
    assert "Ir a la página de inicio" in markup
