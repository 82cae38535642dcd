"""Demo accounts for every role (the people; apps add their records to them)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from clinic.demo import DEMO_DOMAIN, DEMO_PASSWORD, DemoLogin, demo_totp_secret

from .models import User
from .roles import Role
from .services import user_set_role

PEOPLE = [
    # role, local part, first, last
    ("Clinic admin", "admin", "Alex", "Morgan"),
    (Role.STAFF, "frontdesk", "Priya", "Shah"),
    (Role.STAFF, "nurse", "Tom", "Becker"),
    (Role.SPECIALIST, "dr.ng", "Helen", "Ng"),
    (Role.SPECIALIST, "dr.okafor", "Daniel", "Okafor"),
    (Role.SPECIALIST, "dr.silva", "Marta", "Silva"),
    (Role.PRIVACY_OFFICER, "privacy", "Ruth", "Adler"),
    (Role.PATIENT, "maria", "Maria", "Lopez"),
    (Role.PATIENT, "james", "James", "Carter"),
    (Role.PATIENT, "aisha", "Aisha", "Rahman"),
    (Role.PATIENT, "kenji", "Kenji", "Watanabe"),
    (Role.PATIENT, "sofia", "Sofia", "Rossi"),
    (Role.PATIENT, "liam", "Liam", "O'Brien"),
    (Role.PATIENT, "chloe", "Chloe", "Martin"),
    (Role.PATIENT, "omar", "Omar", "Haddad"),
    (Role.PATIENT, "grace", "Grace", "Kim"),
    (Role.PATIENT, "noah", "Noah", "Fischer"),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _ensure_two_factor(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, demo_totp_secret(user.email))
        RecoveryCodes.activate(user)


def build(log) -> list[DemoLogin]:
    logins = []
    for role, local, first, last in PEOPLE:
        email = demo_email(local)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
            )
            if role == "Clinic admin":
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            else:
                user_set_role(user=user, role=role)
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            log(f"created {email}")
        if user.requires_two_factor:
            _ensure_two_factor(user)
        logins.append(
            DemoLogin(
                role=str(getattr(role, "label", role)),
                email=email,
                name=f"{first} {last}",
                two_factor=user.requires_two_factor,
            )
        )
    return logins
