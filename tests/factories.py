import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.accounts.roles import GROUP_NAMES, Role

TEST_PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=GROUP_NAMES[Role(extracted)]))
            obj.__dict__.pop("roles", None)
            obj.__dict__.pop("_perm_cache", None)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


# --- Patients and booking (issue 3) ---------------------------------------------------------
import datetime as _dt  # noqa: E402

from patients.models import (  # noqa: E402
    ConsultationType,
    Patient,
    Specialist,
    WorkingHours,
)


class PatientFactory(factory.django.DjangoModelFactory):
    """A patient with their own login (patient role)."""

    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    legal_name = factory.LazyAttribute(lambda o: f"{o.user.first_name} {o.user.last_name}")
    date_of_birth = _dt.date(1990, 5, 17)
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")


class SpecialistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialist

    user = factory.SubFactory(UserFactory, role=Role.SPECIALIST)
    display_name = factory.LazyAttribute(lambda o: f"Dr. {o.user.first_name} {o.user.last_name}")


class ConsultationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationType

    name = factory.Sequence(lambda n: f"Consultation {n}")
    duration_minutes = 30
    buffer_after_minutes = 0


def working_week(
    specialist,
    ranges=((_dt.time(9), _dt.time(12)), (_dt.time(13), _dt.time(17))),
    weekdays=range(7),
):
    """Give ``specialist`` the same ranges on each of ``weekdays`` (default: every day)."""
    return WorkingHours.objects.bulk_create(
        WorkingHours(specialist=specialist, weekday=w, start=s, end=e)
        for w in weekdays
        for s, e in ranges
    )


# --- Treatment plans (treatments app) -------------------------------------------------------
from patients.models import Intake, Patient, Screen  # noqa: E402
from treatments.rules import recommend  # noqa: E402

PRIMARY_FOCAL = {"onset_age": 14, "duration_months": 60, "family_history": True}


def make_screen(
    patient: Patient,
    *,
    areas: dict,
    status: str = Screen.Status.REVIEWED,
    outcome: str = Screen.Outcome.CLEARED,
    **profile,
) -> Screen:
    """A screen made by the real engine from a profile (age from the birth date)."""
    age = patient.age_on(_dt.date.today()) if patient.date_of_birth else 30
    full = {"age": age, "areas": areas, **PRIMARY_FOCAL, **profile}
    result = recommend(full)
    author = patient.user or patient.guardian or UserFactory(role=Role.STAFF)
    intake = Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        started_by=author,
        last_edited_by=author,
    )
    return Screen.objects.create(
        patient=patient,
        intake=intake,
        status=status,
        outcome=outcome if status == Screen.Status.REVIEWED else "",
        screen_date=_dt.date.today(),
        profile=full,
        result=result,
        rules_version=result["rules_version"],
        refer=bool(result["refer"]),
        created_by=author,
    )
