import re
import secrets

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from comments.models import Appeal, CommentReport, Discussion, IllegalContentNotice, RemovalReason, Restriction

# What new_form_token() makes (22 characters), with room for a client's own; anything else is no token.
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    return secrets.token_urlsafe(16)


class CommentForm(forms.Form):
    """The text box of every comment form. Its length is checked once, on the cleaned text, by the model's
    validator (comments.services); the box only carries the limit for the counter. No maxlength: a browser would
    cut a pasted text silently, where the counter warns and the server explains and keeps the text."""

    body = forms.CharField(
        label=_("Your comment"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write something first: the comment is empty.")},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # One-time, fresh in each form shown (the callable); a form shown again after an error keeps the one it
    # brought, so that its retry is still the same post. comment_create stores one comment per token and text.
    token = forms.CharField(required=False, widget=forms.HiddenInput, initial=new_form_token)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["data-counter"] = settings.COMMENTS_MAX_LENGTH

    def clean_token(self) -> str:
        # Not the reader's input: a damaged token is no token (the post goes through), never an error.
        token = self.cleaned_data["token"]
        return token if FORM_TOKEN.fullmatch(token) else ""


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=CommentReport.Reason.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class DiscussionControlsForm(forms.Form):
    """The surge controls in a story's discussion header (editors and moderators, comments.views.controls)."""

    mode = forms.ChoiceField(label=_("Comments"), choices=Discussion.Mode.choices)
    slow_mode_seconds = forms.IntegerField(
        label=_("Slow mode (seconds between a reader's posts; 0 is off)"), min_value=0, max_value=3600
    )
    close_after_days = forms.IntegerField(
        label=_("Close after (days; empty: site default, 0: never)"), min_value=0, max_value=3650, required=False
    )
    ignore_night = forms.BooleanField(label=_("Open at night"), required=False)
    surge_mode = forms.BooleanField(label=_("Surge mode"), required=False)

    @classmethod
    def of(cls, discussion: Discussion) -> "DiscussionControlsForm":
        return cls(
            initial={
                name: getattr(discussion, name)
                for name in ("mode", "slow_mode_seconds", "close_after_days", "ignore_night", "surge_mode")
            }
        )


class RemoveForm(forms.Form):
    """A moderator takes a comment down from the story page: a reason from the list, and a note for its author."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *RemovalReason.choices],
        error_messages={"required": _("Choose a reason for the removal: its author is told it.")},
    )
    note = forms.CharField(
        label=_("Note to the author (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def reason_label(self) -> str:
        return RemovalReason(self.cleaned_data["reason"]).label


class AppealForm(forms.Form):
    note = forms.CharField(
        label=_("Why should the decision be looked at again?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say why you appeal: the moderator reads it with your comment.")},
    )


class AppealDecisionForm(forms.ModelForm):
    """A moderator decides an appeal in its queue (comments.admin.AppealAdmin), through services.appeal_decide."""

    class Meta:
        model = Appeal
        fields = ["outcome", "moderator_note"]
        widgets = {"outcome": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].required = True
        self.fields["outcome"].choices = Appeal.Outcome.choices


class RestrictForm(forms.Form):
    """A suspension with a length and a reason typed by the moderator, or a ban (the admin action and the reader's
    history page alike, through services.reader_restrict)."""

    kind = forms.ChoiceField(label=_("What"), choices=Restriction.Kind.choices, initial=Restriction.Kind.SUSPENSION)
    days = forms.IntegerField(
        label=_("Length in days (a suspension)"), min_value=1, max_value=365, required=False, initial=7
    )
    reason = forms.CharField(
        label=_("Reason (shown to the reader)"),
        max_length=200,
        error_messages={"required": _("Give a reason: the reader is shown it when refused.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == Restriction.Kind.SUSPENSION and not data.get("days"):
            self.add_error("days", gettext("Give the suspension's length in days (1 to 365)."))
        return data


class IllegalContentNoticeForm(forms.Form):
    """The DSA art. 16 notice: what, why, where, who (optional) and the good-faith statement."""

    category = forms.ChoiceField(
        label=_("What kind of illegal content is it?"),
        choices=IllegalContentNotice.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of illegal content.")},
    )
    explanation = forms.CharField(
        label=_("Why do you believe it is illegal?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Explain why you believe this is illegal.")},
    )
    location = forms.CharField(
        label=_("Where is it? (its exact address)"), max_length=500, widget=forms.TextInput(attrs={"readonly": True})
    )
    notifier_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    notifier_email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        help_text=_("Give it to receive the acknowledgement of your notice and our decision."),
    )
    good_faith = forms.BooleanField(
        label=_(
            "I confirm in good faith that the information and allegations in this notice are accurate and complete."
        ),
        error_messages={"required": _("Confirm that the notice is given in good faith.")},
    )
