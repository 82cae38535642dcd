"""Seeded questionnaires, consents and eligibility screens.

Every patient has filled in the intake questionnaire. The answers are generated in the shape
the questionnaire's forms save (``patients.demo_intake._answers``) and the screen is made as
``intake_submit`` makes it: the real profile builder (``build_profile``) and the real rules
engine (``recommend``) give the profile, the "not sure" flags and the result JSON. Then:

- ``pending_screens`` screens wait for review (the staff queue), most recent last;
- the others were reviewed: mostly cleared, some for physician work-up, a few where staff
  asked for more information (the questionnaire reopened: a draft with the staff message);
- about 1% are half-way through a first questionnaire (a draft, no screen yet), among them the
  principal patient's child (the "intake step" page).

Leaves in ``ctx.shared``: ``screens`` (patient pk → (screen pk, outcome, profile, age,
reviewed_at)) for the reviewed cleared/work-up screens a plan can be made on, ``draft_intakes``
(patient pk → intake pk) and ``principal_child``."""

import datetime
import json

from patients.consent import INTAKE_CONSENT_VERSION, intake_consent_sha256
from patients.demo_intake import _answers
from patients.models import Consent, Intake, Screen
from patients.questionnaire import build_profile
from treatments.rules import recommend, validate_profile
from treatments.rules.vocab import AREAS, METAL_SITES, RED_FLAGS

from . import SeedContext, copy_rows, reserve_ids, seed_step
from .patient_profiles import age_on, patient_rows

DRAFT_STEPS = ("about", "areas", "history")
REVIEW_NOTES = {
    Screen.Outcome.CLEARED: "Reviewed: cleared for the first consultation.",
    Screen.Outcome.WORKUP: "Red flags or not-sure answers: physician work-up first.",
    Screen.Outcome.INFO_REQUESTED: "Needs the name of a medicine.",
}


def _random_answers(rng, dob: datetime.date, age: int) -> dict:
    areas = {}
    for area in rng.sample(AREAS, rng.choice((1, 1, 2, 2, 2, 3))):
        areas[area] = rng.choice((2, 3, 3, 3, 4, 4, 1))
    onset = rng.randint(min(age, 5), min(age, 30)) if age > 5 else age
    years = max(0, age - onset)
    options = {
        "areas": areas,
        "onset": onset,
        "years": years,
        "family": rng.choice(("yes", "yes", "no", "unsure")),
        "both": "yes" if rng.random() < 0.93 else rng.choice(("no", "unsure")),
        "weekly": "yes" if rng.random() < 0.9 else "no",
        "sleep": "yes" if rng.random() < 0.05 else "no",
    }
    if rng.random() < 0.04:
        options["red_flags"] = rng.sample(RED_FLAGS, rng.randint(1, 2))
    if rng.random() < 0.05:
        options["metal"] = "yes"
        options["metal_sites"] = rng.sample(METAL_SITES, 1)
    if rng.random() < 0.02:
        options["electronic"] = ["pacemaker"]
    if 14 <= age <= 50 and rng.random() < 0.08:
        options["iud"] = rng.choice(("copper", "hormonal", "unsure"))
    if rng.random() < 0.25:
        options["tried"] = {"aluminium_chloride": (rng.choice(("failed", "helped")), None, 6)}
    return _answers(dob=dob, **options)


@seed_step(40, "intake")
def intake(ctx: SeedContext) -> int:
    rng = ctx.rng
    rows = patient_rows(ctx)
    staff = ctx.ids["staff_users"]
    principal_user = ctx.ids["patient_users"][0]
    principal = next(r[0] for r in rows if r[1] == principal_user)
    child = next((r[0] for r in rows if r[2] == principal_user), None)
    ctx.shared["principal_child"] = child
    others = [r[0] for r in rows if r[0] not in (principal, child)]
    pending = set(rng.sample(others, min(len(others), ctx.sizes.pending_screens)))
    rest = [pk for pk in others if pk not in pending]
    drafts = set(rng.sample(rest, len(rest) // 100))
    if child is not None:
        drafts.add(child)
    pending_times = sorted(rng.random() for _ in pending)  # oldest first in the queue
    intake_pks = reserve_ids(Intake, len(rows))
    submitted = len(rows) - len(drafts)
    consent_pks = iter(reserve_ids(Consent, submitted))
    screen_pks = iter(reserve_ids(Screen, submitted))
    sha = intake_consent_sha256()
    intakes, consents, screens = [], [], []
    ctx.shared["screens"] = {}
    ctx.shared["draft_intakes"] = {}
    pending_index = 0
    for (pk, user, guardian, dob, *_rest, legal_name), intake_pk in zip(
        rows, intake_pks, strict=True
    ):
        actor = user or guardian
        age = age_on(dob, ctx.anchor)
        if pk == principal:
            answers = _answers(dob=dob, areas={"palmar": 3, "plantar": 2})
        else:
            answers = _random_answers(rng, dob, age)
        if pk in drafts:
            answers = {k: v for k, v in answers.items() if k in DRAFT_STEPS}
            started = ctx.now - datetime.timedelta(minutes=rng.randrange(10, 20 * 24 * 60))
            edited = started + datetime.timedelta(minutes=rng.randrange(5, 60))
            intakes.append(
                (intake_pk, pk, "draft", json.dumps(answers), actor, actor, "", None, None)
                + (started, edited)
            )
            ctx.shared["draft_intakes"][pk] = intake_pk
            continue
        build = build_profile(answers, age=age)
        validate_profile(build.profile)
        result = recommend(build.profile)
        if pk in pending:
            # Waiting for review: submitted over the last six weeks.
            at = ctx.now - datetime.timedelta(days=42 * (1 - pending_times[pending_index]))
            pending_index += 1
            status, outcome, reviewer, reviewed_at = "submitted", "", None, None
        else:
            at = ctx.now - datetime.timedelta(minutes=rng.randrange(50, 500) * 24 * 60)
            if pk == principal:
                outcome = Screen.Outcome.CLEARED
            else:
                roll = rng.random()
                outcome = (
                    Screen.Outcome.INFO_REQUESTED
                    if roll < 0.04
                    else Screen.Outcome.WORKUP
                    if roll < 0.2 or result["refer"]
                    else Screen.Outcome.CLEARED
                )
            status, reviewer = "reviewed", rng.choice(staff)
            reviewed_at = at + datetime.timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
        started = at - datetime.timedelta(minutes=rng.randrange(10, 3 * 24 * 60))
        reopened = outcome == Screen.Outcome.INFO_REQUESTED
        intakes.append(
            (
                intake_pk,
                pk,
                "draft" if reopened else "submitted",
                json.dumps(answers),
                actor,
                actor,
                "Could you tell us the name of the medicine you take?" if reopened else "",
                reviewed_at if reopened else None,
                at,
                started,
                reviewed_at if reopened else at,
            )
        )
        consent_pk, screen_pk = next(consent_pks), next(screen_pks)
        consents.append(
            (consent_pk, pk, intake_pk, INTAKE_CONSENT_VERSION, sha, legal_name, actor)
            + (actor != user, at)
        )
        flags = build.flags
        screens.append(
            (
                screen_pk,
                pk,
                intake_pk,
                consent_pk,
                status,
                outcome,
                "patient",
                (at - datetime.timedelta(hours=8)).date(),
                json.dumps(build.profile),
                json.dumps(flags),
                json.dumps(build.notes),
                json.dumps(result),
                result["rules_version"],
                bool(result["refer"]),
                bool(flags) or bool(build.profile.get("red_flags")),
                None,
                actor,
                at,
                reviewer,
                reviewed_at,
                REVIEW_NOTES.get(outcome, ""),
            )
        )
        if outcome in (Screen.Outcome.CLEARED, Screen.Outcome.WORKUP):
            ctx.shared["screens"][pk] = (screen_pk, outcome, build.profile, age, reviewed_at)
    written = copy_rows(
        Intake,
        [
            "id",
            "patient",
            "status",
            "answers",
            "started_by",
            "last_edited_by",
            "staff_message",
            "reopened_at",
            "submitted_at",
            "created_at",
            "updated_at",
        ],
        intakes,
    )
    written += copy_rows(
        Consent,
        [
            "id",
            "patient",
            "intake",
            "version",
            "text_sha256",
            "signed_name",
            "signed_by",
            "signed_as_guardian",
            "signed_at",
        ],
        consents,
    )
    written += copy_rows(
        Screen,
        [
            "id",
            "patient",
            "intake",
            "consent",
            "status",
            "outcome",
            "source",
            "screen_date",
            "profile",
            "flags",
            "notes",
            "result",
            "rules_version",
            "refer",
            "needs_attention",
            "supersedes",
            "created_by",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ],
        screens,
    )
    return written
