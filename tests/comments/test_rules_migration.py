"""Upgrading turns the banned words into the pipeline's starting rules, still holding what they held, and a
downgrade brings the words back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("comments", "0018_moderation_reasons_appeals")]
AFTER = [("comments", "0019_moderation_rules_and_illegal_content_notices")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_banned_words_become_a_holding_words_rule_beside_the_other_starting_rules_and_come_back():
    old = migrate(BEFORE)
    old.get_model("comments", "BannedWord").objects.bulk_create(
        [old.get_model("comments", "BannedWord")(word=word) for word in ("cheap pills", "casino")]
    )
    new = migrate(AFTER)
    rules = {
        rule.name: (rule.kind, rule.outcome, rule.enabled, rule.words, rule.days, rule.count, rule.percent)
        for rule in new.get_model("comments", "ModerationRule").objects.order_by("order")
    }
    assert rules == {
        "banned words": ("words", "reject", True, "", None, None, None),
        "suspect words": ("words", "hold", True, "casino\ncheap pills", None, None, None),
        "links from new accounts": ("links", "hold", False, "", 2, None, None),
        "often removed": ("history", "hold", False, "", None, 10, 30),
        "reported": ("reports", "hold", True, "", None, 3, None),
    }
    old = migrate(BEFORE)
    assert sorted(old.get_model("comments", "BannedWord").objects.values_list("word", flat=True)) == [
        "casino",
        "cheap pills",
    ]
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())
