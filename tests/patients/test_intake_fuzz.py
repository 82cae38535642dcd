"""S15: random input on every step and on the staff forms never causes a 500; anything that
is refused leaves the saved answers (or the screen) exactly as they were."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.models import Intake, Screen, ScreenCorrection
from patients.questionnaire import STEP_NAMES, STEPS, affected_areas
from patients.services.intake import intake_start
from tests.patients.intake_support import answers, submitted_screen

pytestmark = pytest.mark.django_db

SCALARS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "0", "3", "-1", "yes", "no", "unsure", "1e9", "<b>x</b>", "null"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _clean(value):
    # A browser cannot send NUL characters; Django's test client refuses them too.
    if isinstance(value, list):
        return [v.replace("\x00", "") for v in value]
    return value.replace("\x00", "")


@pytest.fixture
def started(patient, patient_user):
    intake = intake_start(patient=patient, user=patient_user)
    Intake.objects.filter(pk=intake.pk).update(answers=answers())
    return intake


@pytest.mark.parametrize("step", STEP_NAMES)
def test_random_posts_to_a_step_never_500_and_refusals_change_nothing(
    patient_client, started, step
):
    field_names = list(STEPS[step](areas=affected_areas(answers())).fields) + ["extra"]

    @FUZZ
    @given(data=st.dictionaries(st.sampled_from(field_names), VALUES, max_size=6))
    def check(data):
        before = Intake.objects.get(pk=started.pk).answers
        response = patient_client.post(
            reverse("patients:intake_step", args=[started.pk, step]),
            {k: _clean(v) for k, v in data.items()},
        )
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert Intake.objects.get(pk=started.pk).answers == before
        # Keep the other steps valid for the next example.
        Intake.objects.filter(pk=started.pk).update(answers=answers())

    check()


def test_random_staff_posts_never_500(staff_client, patient, patient_user):
    screen = submitted_screen(patient, patient_user)
    fields = ["outcome", "note", "message_to_patient", "value", "reason", "area_palmar"]

    @FUZZ
    @given(
        target=st.sampled_from(["review", "iud", "tried", "areas", "conditions", "age"]),
        data=st.dictionaries(st.sampled_from(fields), VALUES, max_size=4),
    )
    def check(target, data):
        if target == "review":
            url = reverse("screens:review", args=[screen.pk])
        else:
            url = reverse("screens:correct", args=[screen.pk, target])
        response = staff_client.post(url, {k: _clean(v) for k, v in data.items()})
        assert response.status_code in (200, 302)
        # Put the world back: one current, unreviewed screen of a submitted intake.
        ScreenCorrection.objects.all().delete()
        Screen.objects.exclude(pk=screen.pk).update(supersedes=None)
        Screen.objects.exclude(pk=screen.pk).delete()
        Screen.objects.filter(pk=screen.pk).update(
            status="submitted", outcome="", reviewed_by=None, reviewed_at=None
        )
        Intake.objects.filter(pk=screen.intake_id).update(status="submitted")

    check()
