"""Schema-driven tests of the whole API: for every operation the served OpenAPI schema lists (whichever app adds it),
schemathesis generates requests from the schema and checks that none is a 5xx and that every answer, errors
included, is what the schema says (status, content type, headers, body)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from newsroom.wsgi import application
from tests.factories import ArticleFactory, CommentFactory, LeadImageFactory, TagFactory, story_with_every_block

# Loaded as the test module is collected (the schema's view reads no database), so that each operation is a test
# of its own. schemathesis.pytest.from_fixture would load it per test, but breaks on pytest 9 (Node._nodeid is gone).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture(autouse=True)
def published_stories(db, settings):
    """A few published stories with comments, tags, a lead image and every kind of block, so that the operations
    answer with real data as well as refusals."""
    # Hundreds of requests from one address in one test: the per-client limit has its own tests (test_api.py).
    settings.API_RATE_PER_MINUTE = 1_000_000
    tag = TagFactory(slug="harbour")
    stories = [story_with_every_block(), ArticleFactory(), ArticleFactory()]
    for n, story in enumerate(stories):
        story.tags.add(tag)
        LeadImageFactory(article=story)
        parent = CommentFactory(article=story, body=f"First comment on story {n}.")
        CommentFactory(article=story, parent=parent, body="A reply.")
    # As Django's test client does: a request must not close the test's connection, whose transaction holds the data.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield stories
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case):
    # Not `positive_data_acceptance`: a schema cannot say which ids, slugs and cursors exist, so a well-formed one
    # that names nothing is rightly refused (a 404, a 400 for a cursor we never signed).
    case.call_and_validate(headers={"Accept-Encoding": "identity"}, excluded_checks=[positive_data_acceptance])


def test_the_schema_lists_the_stories_operations(client):
    paths = client.get("/api/v1/schema/").json()["paths"]
    assert {"/api/v1/stories/", "/api/v1/stories/{story_id}/", "/api/v1/sections/", "/api/v1/authors/"} <= set(paths)
