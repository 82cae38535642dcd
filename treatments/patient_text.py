"""The plan in plain language for the patient's "My treatment" page: what it is, how often,
how long, where, what to expect, common side effects and when to call the clinic."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from patients.labels import AREA_IN_SENTENCE, TREATMENT_LABELS

from . import defaults
from .schedule import initial_phase_end

WEEKDAYS = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]

WHAT = {
    "iontophoresis": gettext_lazy(
        "You rest your {areas} in shallow trays of tap water while the device sends a weak "
        "electric current through the water. It calms the sweat glands for a while."
    ),
    "aluminium_chloride": gettext_lazy(
        "A strong antiperspirant you put on at bedtime. It blocks the sweat ducts of your {areas}."
    ),
    "botulinum_toxin": gettext_lazy(
        "Small injections into the skin of your {areas} in the clinic. They stop the nerve "
        "signal that switches sweating on, for several months."
    ),
    "topical_anticholinergic": gettext_lazy(
        "A medicated wipe or gel for your {areas} that blocks the signal that switches sweating on."
    ),
    "oral_glycopyrrolate": gettext_lazy(
        "Tablets that reduce sweating all over the body, including your {areas}."
    ),
    "oral_oxybutynin": gettext_lazy(
        "Tablets that reduce sweating all over the body, including your {areas}."
    ),
    "microwave_thermolysis": gettext_lazy(
        "We are referring you to a team that treats the {areas} with microwave energy "
        "(miraDry), which removes sweat glands for good."
    ),
    "local_surgery": gettext_lazy(
        "We are referring you to a surgeon who can remove sweat glands from your {areas}."
    ),
    "sympathectomy": gettext_lazy(
        "We are referring you to a surgeon to talk about nerve surgery (sympathectomy) for "
        "your {areas}."
    ),
}

EXPECT = {
    "iontophoresis": gettext_lazy(
        "Most people notice less sweating after 6 to 10 sessions. Keep going through the "
        "first weeks even if you see no change yet. Turn the current up slowly to the "
        "highest level that is still comfortable. Remove rings and jewellery first and cover "
        "small cuts with a little petroleum jelly."
    ),
    "aluminium_chloride": gettext_lazy(
        "Put it on completely dry skin at night and wash it off in the morning. Most people "
        "see a difference within 1 to 2 weeks; then once or twice a week is usually enough."
    ),
    "botulinum_toxin": gettext_lazy(
        "Sweating drops within about a week and usually stays down for 4 to 6 months. The "
        "injections sting briefly; we use numbing cream."
    ),
    "topical_anticholinergic": gettext_lazy(
        "Use it once a day on clean, dry skin and wash your hands straight after. Do not "
        "touch your eyes with it."
    ),
    "oral_glycopyrrolate": gettext_lazy(
        "We start with a low dose and increase it slowly. Take the tablets as your "
        "prescription says."
    ),
    "oral_oxybutynin": gettext_lazy(
        "We start with a low dose and increase it slowly. Take the tablets as your "
        "prescription says."
    ),
    "microwave_thermolysis": gettext_lazy(
        "The other team will contact you with an appointment. We will see you afterwards to "
        "check how it went."
    ),
    "local_surgery": gettext_lazy(
        "The surgical team will contact you with an appointment. We will see you afterwards "
        "to check how it went."
    ),
    "sympathectomy": gettext_lazy(
        "The surgical team will explain the benefits and risks, including sweating that can "
        "increase elsewhere on the body. We will see you afterwards."
    ),
}

SIDE_EFFECTS = {
    "iontophoresis": gettext_lazy(
        "Tingling or a pins-and-needles feeling during the session, dry or slightly red "
        "skin afterwards, and now and then a small blister. A moisturiser helps dryness."
    ),
    "aluminium_chloride": gettext_lazy(
        "Itching, stinging or redness. Skip a night and use a mild moisturiser if it happens."
    ),
    "botulinum_toxin": gettext_lazy(
        "Bruising or soreness where the needle went in; after injections in the hands, "
        "some weakness of grip for a few weeks."
    ),
    "topical_anticholinergic": gettext_lazy(
        "A dry mouth, blurred vision if it gets into the eyes, and redness where you use it."
    ),
    "oral_glycopyrrolate": gettext_lazy(
        "A dry mouth and eyes, constipation, and feeling hot in warm weather (you sweat less "
        "to cool down)."
    ),
    "oral_oxybutynin": gettext_lazy(
        "A dry mouth and eyes, constipation, drowsiness, and feeling hot in warm weather."
    ),
}

CALL = {
    "iontophoresis": gettext_lazy(
        "Call us if you get blisters or burns, skin that stays red for more than a day, or if "
        "you become pregnant or get a pacemaker or other implant."
    ),
    "botulinum_toxin": gettext_lazy(
        "Call us straight away if you have trouble swallowing, speaking or breathing, or "
        "muscle weakness away from the injection sites."
    ),
    "oral_glycopyrrolate": gettext_lazy(
        "Call us if you cannot pass urine, have eye pain or blurred vision, a fast heartbeat, "
        "or feel overheated or confused."
    ),
    "oral_oxybutynin": gettext_lazy(
        "Call us if you cannot pass urine, have eye pain or blurred vision, a fast heartbeat, "
        "or feel overheated or confused."
    ),
    "topical_anticholinergic": gettext_lazy(
        "Call us if your vision blurs, you cannot pass urine or your skin reacts badly."
    ),
}
CALL_DEFAULT = gettext_lazy(
    "Call us if your skin reacts badly or if anything worries you about your treatment."
)

WATER = {
    "tap": gettext_lazy("Use ordinary tap water, never distilled water."),
    "tap_baking_soda": gettext_lazy(
        "Use tap water with a pinch of baking soda stirred in (your water is soft). Never use "
        "distilled water."
    ),
}


def _areas(areas) -> str:
    return _(" and ").join(str(AREA_IN_SENTENCE.get(a, a)) for a in areas)


def _days(weekdays) -> str:
    names = [str(WEEKDAYS[int(d)]) for d in sorted(int(d) for d in weekdays)]
    return ", ".join(names)


def how_often(item) -> str:
    if item.is_iontophoresis:
        per_week = ngettext(
            "%(n)s session a week", "%(n)s sessions a week", item.sessions_per_week
        ) % {"n": item.sessions_per_week}
        weeks = ngettext("for %(w)s week", "for %(w)s weeks", item.initial_weeks) % {
            "w": item.initial_weeks
        }
        first = f"{per_week} ({_days(item.weekdays)}) {weeks}"
        then = ngettext(
            "then one session every week to keep the sweating down",
            "then one session every %(n)s weeks to keep the sweating down",
            item.maintenance_interval_weeks,
        ) % {"n": item.maintenance_interval_weeks}
        return f"{first}, {then}."
    needs = defaults.NEEDS[item.treatment]
    if needs == defaults.TOPICAL:
        return _("Every night at first, then once or twice a week.")
    if needs == defaults.PRESCRIPTION:
        return _("Every day, as your prescription says.")
    if needs == defaults.PROCEDURE:
        return _("One visit to the clinic; repeated when the sweating comes back.")
    return _("Once, by the team we refer you to.")


def plain_item(item) -> dict:
    """One item of the plan, in words the patient understands (translated)."""
    needs = defaults.NEEDS[item.treatment]
    areas = _areas(item.areas)
    where = (
        _("At home, with your own device")
        if item.is_iontophoresis and item.setting == "home"
        else _("In the clinic")
        if needs in (defaults.IONTOPHORESIS, defaults.PROCEDURE)
        else _("At home")
        if needs in (defaults.TOPICAL, defaults.PRESCRIPTION)
        else _("With the team we refer you to")
    )
    row = {
        "name": str(TREATMENT_LABELS.get(item.treatment, item.treatment)),
        "areas": areas,
        "what": str(WHAT[item.treatment]).format(areas=areas),
        "how_often": how_often(item),
        "how_long": "",
        "where": where,
        "expect": str(EXPECT[item.treatment]),
        "side_effects": str(SIDE_EFFECTS.get(item.treatment, "")),
        "call": str(CALL.get(item.treatment, CALL_DEFAULT)),
        "water": str(WATER.get(item.water, "")) if item.is_iontophoresis else "",
        "instructions": item.instructions if needs in (defaults.TOPICAL,) else "",
        "review_date": item.review_date,
        "procedure_date": item.procedure_date,
        "start_date": item.start_date,
    }
    if item.is_iontophoresis:
        from .services.plans import _schedule

        row["how_long"] = _("%(minutes)s minutes a session, at up to %(ma)s mA%(pulsed)s.") % {
            "minutes": item.session_minutes,
            "ma": format(item.current_ma.normalize(), "f"),
            "pulsed": _(" (pulsed current)") if item.pulsed else "",
        }
        row["maintenance_from"] = initial_phase_end(_schedule(item))
    return row
