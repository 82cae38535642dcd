from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(AllauthSignupForm):
    """Patient sign-up: names plus allauth's email and password fields."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def save(self, request):
        user = super().save(request)
        return user
