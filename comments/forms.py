from django import forms
from django.conf import settings

from comments.models import CommentReport


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "data-counter": ""}),
        # The service counts the cleaned text and gives the precise message; the browser limit is a courtesy.
        max_length=settings.COMMENTS_MAX_LENGTH * 2,
        error_messages={"required": "Write something first: the comment is empty."},
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH


class ReportForm(forms.Form):
    reason = forms.ChoiceField(choices=CommentReport.Reason.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
