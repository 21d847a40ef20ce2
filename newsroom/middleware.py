"""Site-wide middleware."""

import re

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import BadRequest
from django.urls import reverse

__all__ = ["ContentSecurityPolicyMiddleware", "refuse_control_characters"]

# NUL and the other C0 control characters (tab, newline and carriage return aside) mean nothing in an address, and
# PostgreSQL refuses NUL in any text parameter: such a request ends here as a 400 instead of a database error.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters(get_response):
    """Refuse a request whose path or query string holds a control character, before any view or query sees it."""

    def middleware(request):
        query = request.GET
        if CONTROL_CHARACTERS.search(request.path) or any(
            CONTROL_CHARACTERS.search(text) for key in query for text in (key, *query.getlist(key))
        ):
            raise BadRequest("The address holds a character that is not allowed there (NUL or a control character).")
        return get_response(request)

    return middleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy, with inline styles allowed in the admin only (its widgets set style attributes)."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(reverse("admin:index")):
            parts.update = {**(parts.update or {}), "style-src": [SELF, UNSAFE_INLINE]}
        return parts
