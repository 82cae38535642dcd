"""Demo patient profiles for the demo patient accounts."""

import datetime

from clinic.accounts.models import User

from .models import Patient

BIRTH_DATES = {
    "maria": datetime.date(1991, 4, 12),
    "james": datetime.date(1985, 9, 3),
    "aisha": datetime.date(1998, 1, 27),
    "kenji": datetime.date(1979, 11, 8),
    "sofia": datetime.date(2001, 6, 30),
    "liam": datetime.date(1994, 2, 14),
    "chloe": datetime.date(1988, 8, 21),
    "omar": datetime.date(1975, 5, 5),
    "grace": datetime.date(2003, 10, 2),
    "noah": datetime.date(1996, 12, 17),
}


def build(log):
    for user in User.objects.filter(
        groups__name="Patients", email__endswith="@demo.clinic.example"
    ):
        local = user.email.split("@")[0]
        _, created = Patient.objects.get_or_create(
            user=user,
            defaults={
                "legal_name": user.get_full_name(),
                "date_of_birth": BIRTH_DATES.get(local),
                "phone": f"+1415555{1000 + len(local) * 37 % 9000:04d}",
            },
        )
        if created:
            log(f"profile for {user.email}")
    return []
