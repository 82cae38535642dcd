from django import forms
from django.utils.translation import gettext_lazy as _


class CloseAccountForm(forms.Form):
    """The password again (it is the account's last act), and for a guardian the explicit
    agreement to close the records they look after as well."""

    password = forms.CharField(
        label=_("Your password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    close_dependants = forms.BooleanField(
        label=_("Also close the records listed above"),
        required=False,
    )

    def __init__(self, *args, dependants=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not dependants:
            del self.fields["close_dependants"]
