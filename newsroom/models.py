"""The site's user model: readers, editors and moderators, each with a display name and an @handle."""

import base64
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = ["User", "ImportedAccount", "ApiToken", "WebhookEndpoint", "WebhookDelivery"]

handle_validator = RegexValidator(
    r"^[A-Za-z0-9_]{3,30}\Z",
    _("A handle is 3 to 30 letters, digits or underscores."),
)


def language_choices():
    """The languages a reader may choose: the site's offered ones (a callable, so the migration does not copy them)."""
    return settings.LANGUAGES


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, handle):
        # Handles are unique regardless of case, so "@Alex" signs in as "alex".
        return self.get(handle__iexact=handle)

    def _create_user(self, handle, email, password, **extra_fields):
        user = self.model(handle=handle, email=self.normalize_email(email or ""), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, handle, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(handle, email, password, **extra_fields)

    def create_superuser(self, handle, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(handle, email, password, **extra_fields)

    def with_profile(self):
        """The accounts with a public profile that mentions link to: open ones, and commenters imported from another
        platform who have not claimed theirs yet (inactive, but their comments are theirs). Closed and disabled
        accounts have none."""
        unclaimed = models.Q(imported_account__isnull=False, imported_account__claimed_at__isnull=True)
        return self.filter(models.Q(is_active=True) | unclaimed)


class User(AbstractBaseUser, PermissionsMixin):
    handle = models.CharField(
        max_length=30,
        unique=True,
        validators=[handle_validator],
        help_text=_("Shown as @handle beside comments; 3-30 letters, digits or underscores."),
    )
    display_name = models.CharField(max_length=60, help_text=_("The name shown beside the reader's comments."))
    email = models.EmailField(blank=True, help_text=_("Used for password resets and notifications."))
    # Notification e-mail waits for this (newsroom.confirmation): an address typed at sign-up may be anyone's.
    email_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the reader followed the link sent to the address; empty until then.")
    )
    pending_email = models.EmailField(
        blank=True, help_text=_("A new address the reader asked for; it replaces the current one once confirmed.")
    )
    is_staff = models.BooleanField(default=False, help_text=_("Can sign in to the admin."))
    is_active = models.BooleanField(default=True, help_text=_("Unticked accounts cannot sign in."))
    date_joined = models.DateTimeField(default=timezone.now)
    email_on_reply = models.BooleanField(
        _("e-mail me replies"), default=True, help_text=_("When someone replies to you.")
    )
    email_on_mention = models.BooleanField(
        _("e-mail me mentions"), default=True, help_text=_("When someone mentions your @handle.")
    )
    email_on_pick = models.BooleanField(
        _("e-mail me editors' picks"), default=True, help_text=_("When an editor picks one of your comments.")
    )
    email_on_decision = models.BooleanField(
        _("e-mail me moderators' decisions"),
        default=True,
        help_text=_("When a moderator removes one of your comments, or decides your appeal."),
    )
    # The reader's language (one of settings.LANGUAGES): the site's pages once they sign in, and every e-mail sent to
    # them. Blank follows the browser (Accept-Language) on the site, and the site's LANGUAGE_CODE in e-mail.
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=language_choices,
        help_text=_("The language of the site and of the e-mail we send you; blank follows your browser."),
    )
    # Set when the reader deletes the account: it is closed at once, and a task erases it (newsroom.tasks).
    closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the reader deleted the account; erased soon after.")
    )

    objects = UserManager()

    USERNAME_FIELD = "handle"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "display_name"]

    class Meta:
        constraints = [
            # Exact uniqueness is the field's; this one also keeps "Alex" and "alex" apart.
            models.UniqueConstraint(
                Lower("handle"),
                name="user_handle_unique_ci",
                violation_error_message=_("That handle is taken."),
            ),
        ]

    def __str__(self):
        return f"{self.display_name} (@{self.handle})"

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("profile", kwargs={"handle": self.handle})

    @property
    def email_language(self) -> str:
        """The language of the e-mail the reader gets: theirs, else the site's (e-mail is sent outside any request)."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class ImportedAccount(models.Model):
    """Marks an account created for a commenter brought in from another platform (e.g. a Disqus export).

    Such accounts are inactive with an unusable password: their comments show under the imported name, and the
    person can claim the account later by proving the e-mail address on it. The source username is kept so a
    second import finds the same account instead of creating another.
    """

    class Source(models.TextChoices):
        DISQUS = "disqus", _("Disqus")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="imported_account")
    source = models.CharField(max_length=20, choices=Source, help_text=_("The platform the account was imported from."))
    username = models.CharField(max_length=255, help_text=_("The commenter's username on that platform."))
    imported_at = models.DateTimeField(default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When its owner took the account over; empty while unclaimed.")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "username"], name="imported_account_once")]

    def __str__(self):
        return gettext("%(source)s user %(username)s") % {
            "source": self.get_source_display(),
            "username": self.username,
        }


class ApiToken(models.Model):
    """A reader's key for writing through the API (newsroom.tokens), made and revoked on their account page. Only its
    SHA-256 is kept: the secret is shown once, when it is made; `prefix`, its first characters, tells tokens apart."""

    class Scope(models.TextChoices):
        COMMENTS_WRITE = "comments:write", _("Post, reply to, edit and delete your comments")
        COMMENTS_REACT = "comments:react", _("Like and report comments")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, help_text=_("What the token is for, e.g. the app using it."))
    scopes = models.JSONField(_("scopes"), default=list, help_text=_("What the token may do (ApiToken.Scope)."))
    prefix = models.CharField(max_length=12, editable=False, help_text=_("The token's first characters."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user_id}"

    @property
    def scope_labels(self) -> list[str]:
        return [str(ApiToken.Scope(scope).label) for scope in self.scopes if scope in ApiToken.Scope.values]


# The events an endpoint may subscribe to (newsroom.webhooks sends them); "webhook.test" is only ever sent by hand.
WEBHOOK_EVENTS = [
    ("story.published", _("A story is published")),
    ("story.updated", _("A published story is changed")),
    ("comment.created", _("A comment is posted")),
    ("comment.edited", _("A comment is edited")),
    ("comment.moderated", _("A comment is approved, held, removed or rejected")),
    ("comment.reported", _("A comment is reported")),
]
WEBHOOK_TEST_EVENT = "webhook.test"


def webhook_secret() -> str:
    """A signing secret as Standard Webhooks writes them: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A URL that staff registered to hear of events (newsroom.webhooks): each delivery is signed with its secret."""

    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where the events are posted: an http or https address on the internet.")
    )
    description = models.CharField(_("description"), max_length=200, blank=True, help_text=_("Whose it is, and why."))
    events = models.JSONField(_("events"), default=list, help_text=_("The events sent to it."))
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=webhook_secret,
        editable=False,
        help_text=_("The receiver checks each delivery's signature with it (docs/api.md, “Webhooks”)."),
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Untick to stop sending to it."))
    paused_at = models.DateTimeField(
        _("paused at"), null=True, blank=True, help_text=_("Set when it kept failing; resume it from the list.")
    )
    paused_reason = models.CharField(_("reason for the pause"), max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        _("failures in a row"), default=0, help_text=_("Failed attempts since the last one that succeeded.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self):
        return self.description or self.url

    @property
    def sending(self) -> bool:
        return self.is_active and self.paused_at is None


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with every attempt's outcome. Deliveries to an endpoint go in the order of
    their ids (newsroom.webhooks.deliver)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(_("event"), max_length=40)
    event_id = models.CharField(
        _("event id"), max_length=40, help_text=_("The webhook-id header: the same for every endpoint and attempt.")
    )
    payload = models.TextField(_("payload"), help_text=_("The JSON body, exactly as signed and sent."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["endpoint", "status", "id"], name="webhook_delivery_queue_idx")]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.get_status_display()})"
