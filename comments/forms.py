from django import forms
from django.conf import settings

from comments.models import CommentReport


class CommentForm(forms.Form):
    """The text box of every comment form. Its length is checked once, on the cleaned text, by the model's
    validator (comments.services); the box only carries the limit for the counter. No maxlength: a browser would
    cut a pasted text silently, where the counter warns and the server explains and keeps the text."""

    body = forms.CharField(
        label="Your comment",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write something first: the comment is empty."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["data-counter"] = settings.COMMENTS_MAX_LENGTH


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=CommentReport.Reason.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
