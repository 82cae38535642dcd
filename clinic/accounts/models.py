from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.audit.history import track_patient_data

from .roles import PERMISSIONS, ROLE_MARKERS, TWO_FACTOR_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


@track_patient_data(exclude=("password", "last_login"))
class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Email is the login, unique whatever its case.

    ``is_staff`` here keeps Django's meaning (may open the Django admin: the clinic admin);
    the clinic's own roles are groups (see ``roles.py``).
    """

    email = models.EmailField(_("email address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("clinic admin"),
        default=False,
        help_text=_("May open the Django admin."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        permissions = list(PERMISSIONS.items())

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email

    @cached_property
    def roles(self) -> frozenset[str]:
        """The user's roles, read off their permissions (one cached query per request)."""
        if not self.is_active:
            return frozenset()
        perms = self.get_all_permissions()
        return frozenset(
            role for role, marker in ROLE_MARKERS.items() if f"accounts.{marker}" in perms
        )

    @property
    def is_patient(self) -> bool:
        return Role.PATIENT in self.roles

    @property
    def is_clinic_staff(self) -> bool:
        return Role.STAFF in self.roles

    @property
    def is_specialist(self) -> bool:
        return Role.SPECIALIST in self.roles

    @property
    def is_privacy_officer(self) -> bool:
        return Role.PRIVACY_OFFICER in self.roles

    @property
    def is_clinician(self) -> bool:
        """Staff or specialist: sees patients' records."""
        return bool(self.roles & {Role.STAFF, Role.SPECIALIST})

    @property
    def requires_two_factor(self) -> bool:
        return self.is_superuser or self.is_staff or bool(self.roles & TWO_FACTOR_ROLES)
