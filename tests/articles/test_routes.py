"""Section slugs live at the top of the URL space: the fixed addresses must be reserved from them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver

from articles.models import RESERVED_SECTION_SLUGS, Section


def top_level_prefixes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from top_level_prefixes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route.lstrip("^").split("/")[0]


def test_every_fixed_top_level_address_is_a_reserved_section_slug():
    fixed = {
        segment
        for segment in top_level_prefixes(get_resolver().url_patterns)
        # Dynamic segments, profile handles and files (robots.txt, sitemap.xml) cannot clash with a slug.
        if segment and not any(char in segment for char in "<(@.[\\")
    }
    assert fixed <= RESERVED_SECTION_SLUGS, fixed - RESERVED_SECTION_SLUGS


@pytest.mark.parametrize("slug", ["feeds", "search"])
def test_section_cannot_take_the_discovery_prefixes(slug):
    with pytest.raises(ValidationError) as error:
        Section(name="Anything", slug=slug).clean_fields()
    assert "slug" in error.value.message_dict
