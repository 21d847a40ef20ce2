"""Finding @handles: a pure function, tested without a database."""

import pytest

from comments.mentions import MAX_MENTIONS, find_mentions


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("@alex hello", ["alex"]),
        ("@alex @Publication @PublicationWorld read it", ["alex", "Publication", "PublicationWorld"]),
        ("@alex and @ALEX again", ["alex"]),
        ("hi @al, too short", []),
        ("@" + "a" * 30 + " is the longest", ["a" * 30]),
        ("@" + "a" * 31 + " is too long", []),
        ("write to alex@example.com", []),
        ("first.last@example.com", []),
        ("@alex@example.com", []),
        ("https://medium.com/@alex/post", []),
        ("medium.com/@alex", []),
        ('(@alex) and "@bob_1".', ["alex", "bob_1"]),
        ("line one\n@carol on line two", ["carol"]),
        ("Alex: no at sign", []),
        ("@über is not ascii", []),
        ("a@b @c_d_e", ["c_d_e"]),
    ],
)
def test_find_mentions(text, handles):
    assert find_mentions(text) == handles


def test_at_most_five_distinct_handles():
    text = " ".join(f"@reader{n}" for n in range(8))
    assert MAX_MENTIONS == 5
    assert find_mentions(text) == [f"reader{n}" for n in range(5)]
