"""Reader account forms: sign-up, sign-in with throttling, account settings."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from newsroom import ratelimit
from newsroom.confirmation import email_taken
from newsroom.models import ApiToken, User
from newsroom.names import (
    has_refused_characters,
    is_reserved_handle,
    name_skeleton,
    one_line,
    without_refused_characters,
)

HANDLE_TAKEN = _("That handle is taken. Please choose another.")
EMAIL_TAKEN = _(
    "That address is already on an account. If it is yours, sign in, or reset your password (which also claims "
    "an account brought over from our old comment system)."
)


def _handle_taken(handle: str, *, instance: User | None = None) -> bool:
    return User.objects.filter(handle__iexact=handle).exclude(pk=getattr(instance, "pk", None)).exists()


def clean_handle(handle: str, *, instance: User | None = None) -> str:
    handle = handle.strip().lstrip("@")
    if is_reserved_handle(handle):
        raise forms.ValidationError(_("That handle is reserved for the site. Please choose another."))
    if _handle_taken(handle, instance=instance):
        raise forms.ValidationError(HANDLE_TAKEN)
    return handle


def clean_email(email: str, *, instance: User | None = None) -> str:
    email = User.objects.normalize_email(email.strip())
    if email_taken(email, instance=instance):
        raise forms.ValidationError(EMAIL_TAKEN)
    return email


def save_account(form: forms.ModelForm) -> User | None:
    """Save a valid sign-up or settings form. None, with the form's "handle taken" error and everything typed kept,
    when a simultaneous sign-up or change took the handle between the form's check and this write: the database's
    unique index decides, and the loser hears what any later comer would."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        if not _handle_taken(form.cleaned_data["handle"], instance=form.instance):
            raise
        form.add_error("handle", HANDLE_TAKEN)
        return None


def clean_display_name(name: str, *, instance: User | None = None) -> str:
    """A display name on one line, NFKC-normalised with single spaces, that no reader can take for staff or the site."""
    if has_refused_characters(name):
        raise forms.ValidationError(
            _("A name may not hold line breaks, invisible characters or text-direction controls.")
        )
    name = one_line(name)
    if not name:
        raise forms.ValidationError(_("Please enter the name to show beside your comments."))
    skeleton = name_skeleton(name)
    staff = User.objects.filter(is_staff=True).exclude(pk=getattr(instance, "pk", None))
    if skeleton == name_skeleton(settings.SITE_NAME) or any(
        skeleton == name_skeleton(other) for other in staff.values_list("display_name", flat=True)
    ):
        raise forms.ValidationError(_("That name belongs to the site or a member of its staff. Please choose another."))
    return name


class SignUpForm(forms.ModelForm):
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    class Meta:
        model = User
        fields = ["display_name", "handle", "email"]
        help_texts = {
            "display_name": _("The name shown beside your comments."),
            "handle": _("3 to 30 letters, digits or underscores. Others mention you as @handle."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["handle"].widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["email"].widget.attrs.update(autocomplete="email")

    def clean_display_name(self):
        return clean_display_name(self.cleaned_data["display_name"])

    def clean_handle(self):
        return clean_handle(self.cleaned_data["handle"])

    def clean_email(self):
        return clean_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


def login_limits(request, handle: str) -> list[tuple[str, str, int, int]]:
    """Sign-in failures count per account from one address, and per address: (scope, key, limit, window)."""
    ip = ratelimit.client_ip(request) if request else ""
    window = settings.LOGIN_FAILURE_WINDOW
    return [
        ("login-account-ip", f"{handle.lower()}|{ip}", settings.LOGIN_FAILURES_PER_ACCOUNT, window),
        ("login-ip", ip, settings.LOGIN_FAILURES_PER_IP, window),
    ]


def forget_login_failures(request, handle: str) -> None:
    """The owner proved who they are (signed in, or set a new password): their failures from here stop counting."""
    scope, key, _, window = login_limits(request, handle)[0]
    ratelimit.reset(scope, key, window=window)


class ThrottledAuthenticationForm(auth_forms.AuthenticationForm):
    """Sign-in that slows guessing and says the same whether the account exists.

    Failures count per address, and per account from that address: a guesser elsewhere can never lock the owner out
    of their own account (the throttled page offers a reset link instead of a wait alone). Limits are checked before
    the password hasher runs, so a flood of attempts costs no hashing.
    """

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("That handle and password do not match. Check them and try again."),
        "throttled": _(
            "Too many failed sign-in attempts from here. Please wait %(minutes)s minutes and try again, "
            "or reset your password."
        ),
        "unavailable": _("Signing in is unavailable for a moment on our side. Please try again in a minute."),
    }

    throttled: ratelimit.Limit | None = None

    def clean(self):
        handle = (self.cleaned_data.get("username") or "").strip().lstrip("@")
        self.cleaned_data["username"] = handle
        limits = login_limits(self.request, handle)
        for scope, key, limit, window in limits:
            state = ratelimit.peek(scope, key, limit=limit, window=window)
            if not state.allowed:
                self.throttled = state
                if state.unavailable:
                    raise forms.ValidationError(self.error_messages["unavailable"], code="unavailable")
                raise forms.ValidationError(
                    self.error_messages["throttled"], code="throttled", params={"minutes": state.retry_after_minutes}
                )
        try:
            return super().clean()
        except forms.ValidationError:
            for scope, key, limit, window in limits:
                ratelimit.hit(scope, key, limit=limit, window=window)
            raise


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Also reaches accounts imported from another platform and not yet claimed: setting a password claims them."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        """The link in its reader's language: the account's when set, else the page's they asked from."""
        with translation.override(context["user"].language or translation.get_language()):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)

    def get_users(self, email):
        yield from super().get_users(email)
        yield from User.objects.filter(
            email__iexact=email,
            is_active=False,
            imported_account__isnull=False,
            imported_account__claimed_at__isnull=True,
        ).exclude(email="")


class AccountForm(forms.ModelForm):
    """The reader's settings. The address is not written by the form: a new one waits for its confirmation
    (newsroom.services.email_change_request), so it is a plain field the view hands on."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("A new address replaces this one once you follow the link we send it."),
    )
    field_order = ["display_name", "handle", "email", "language", "email_on_reply", "email_on_mention"]

    class Meta:
        model = User
        fields = [
            "display_name",
            "handle",
            "language",
            "email_on_reply",
            "email_on_mention",
            "email_on_pick",
            "email_on_decision",
        ]
        help_texts = {
            "display_name": _("The name shown beside your comments."),
            "handle": _("Changing it keeps your old mentions pointing at you."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new address that waits for its link shows here, so saving other settings does not undo the change.
        self.fields["email"].initial = self.instance.pending_email or self.instance.email
        self.fields["email"].widget.attrs.update(autocomplete="email")
        self.fields["language"].choices = language_choices()

    def clean_email(self):
        return clean_email(self.cleaned_data["email"], instance=self.instance)

    def clean_display_name(self):
        return clean_display_name(self.cleaned_data["display_name"], instance=self.instance)

    def clean_handle(self):
        return clean_handle(self.cleaned_data["handle"], instance=self.instance)


class ApiTokenForm(forms.Form):
    """A new API token on the reader's tokens page: a name to know it by and what it may do."""

    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("What the token is for, e.g. the app or the device that uses it."),
        error_messages={"required": _("Give the token a name, so that you know it again.")},
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what the token may do.")},
    )

    def clean_name(self):
        name = without_refused_characters(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Give the token a name, so that you know it again."), code="required")
        return name


def language_choices() -> list[tuple[str, str]]:
    """The offered languages, each named in itself (a reader who cannot read the page's language finds theirs), after
    the choice to follow the browser."""
    return [("", _("As my browser asks")), *settings.LANGUAGES]


class LanguageForm(forms.Form):
    """The language chooser (/accounts/language/): the site's pages in this language, and, when signed in, the
    account's e-mail too."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The language of the site and of the e-mail we send you."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
