"""The benchmark's discussion, as plain data shared by our bench and the peer's: no Django, no database.

One story, N comments: 30% top-level, the rest replies to a random earlier comment (levels 0-8), written by
200 commenters, bodies of 200-600 characters with the odd @mention and link, posted in time order.
"""

import random
from dataclasses import dataclass

__all__ = ["COMMENTERS", "MAX_LEVEL", "Shaped", "commenter_handle", "discussion"]

COMMENTERS = 200
MAX_LEVEL = 8
TOP_LEVEL_SHARE = 0.3

_VOCABULARY = (
    "the council said budget water rail strike minister report figures police election weather port school "
    "hospital court ruling vote river bridge housing prices energy market fishing season harbour reporters "
    "readers story source quote data evidence agree disagree think because however although clearly really "
    "question answer point argument local national tax spending road transport climate flood drought village"
)
_WORDS = _VOCABULARY.split()


@dataclass(frozen=True)
class Shaped:
    index: int
    parent: int | None  # index of the comment it replies to
    level: int
    author: int  # 0 .. COMMENTERS - 1
    body: str
    minutes: float  # after the story went live


def commenter_handle(number: int) -> str:
    return f"bench_reader_{number:03d}"


def _body(rng: random.Random) -> str:
    target = rng.randint(200, 600)
    words: list[str] = []
    length = 0
    while length < target:
        roll = rng.random()
        if roll < 0.01:
            word = f"@{commenter_handle(rng.randrange(COMMENTERS))}"
        elif roll < 0.015:
            word = f"https://example.org/news/{rng.randrange(10_000)}"
        else:
            word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    text = " ".join(words)[:target].rstrip()
    # Two paragraphs now and then, as readers write them.
    if len(text) > 300 and rng.random() < 0.3:
        cut = text.find(" ", len(text) // 2)
        text = text[:cut] + ".\n\n" + text[cut + 1 :].capitalize()
    return text.capitalize() + "."


def discussion(n: int, *, seed: int = 6, single_thread: bool = False) -> list[Shaped]:
    """`n` comments in posting order. `single_thread`: one top-level comment and n - 1 replies under it."""
    rng = random.Random(f"{seed}-{n}-{single_thread}")
    comments: list[Shaped] = []
    minutes = 0.0
    for index in range(n):
        minutes += rng.expovariate(n / (48 * 60))  # spread over two days, whatever n
        top = index == 0 or (not single_thread and rng.random() < TOP_LEVEL_SHARE)
        parent = None
        if not top:
            parent = rng.randrange(index)
            while comments[parent].level >= MAX_LEVEL:
                parent = comments[parent].parent  # reply one level up instead
        level = 0 if parent is None else comments[parent].level + 1
        comments.append(Shaped(index, parent, level, rng.randrange(COMMENTERS), _body(rng), minutes))
    return comments
