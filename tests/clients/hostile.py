"""Posting the hostile-text corpora (tests/corpora.py) as comments in bulk, through the service."""

from django.core.exceptions import ValidationError

from comments import services


def post_all(payloads, *, article, authors, parent=None) -> tuple[dict[int, str], list[str]]:
    """Post each (source, payload) through the service; returns {comment pk: payload} and the payloads refused."""
    stored, refused = {}, []
    for n, (_, payload) in enumerate(payloads):
        try:
            comment = services.comment_create(
                article=article, author=authors[n % len(authors)], body=payload, parent=parent
            )
        except ValidationError:
            refused.append(payload)  # empty once control characters are gone: the form says so
        else:
            stored[comment.pk] = payload
    return stored, refused
