"""Find the @handles a comment names: not inside addresses or e-mails, each once, at most MAX_MENTIONS."""

from comments.tokens import tokenize

__all__ = ["MAX_MENTIONS", "find_mentions"]

# Enough for "@A @Publication @PublicationWorld" and a name or two more; more than this is a mass ping.
MAX_MENTIONS = 5


def find_mentions(text: str, limit: int = MAX_MENTIONS) -> list[str]:
    """The distinct handles in order of first appearance (as first typed; compare them ignoring case)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        for token in tokenize(line):
            if token.kind == "mention" and token.value.lower() not in found:
                found[token.value.lower()] = token.value
                if len(found) == limit:
                    return list(found.values())
    return list(found.values())
