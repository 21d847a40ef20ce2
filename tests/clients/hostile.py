"""The shared hostile-input corpora, and posting them as comments in bulk through the service."""

import json

from django.core.exceptions import ValidationError

from comments import services
from tests.tools import CORPORA


def corpora() -> list[tuple[str, str]]:
    # A missing corpus must fail loudly: skipping would let the hostile-input coverage vanish unnoticed.
    assert CORPORA.is_dir(), f"the shared corpora are missing at {CORPORA}"
    xss = (CORPORA / "xss_alert.txt").read_text(encoding="utf-8").splitlines()
    blns = json.loads((CORPORA / "blns.json").read_text(encoding="utf-8"))
    return [("xss_alert.txt", payload) for payload in xss] + [("blns.json", payload) for payload in blns]


def post_all(payloads, *, article, authors, parent=None) -> tuple[dict[int, str], list[str]]:
    """Post each payload through the service; returns {comment pk: payload} and the payloads refused."""
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
