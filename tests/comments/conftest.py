import pytest
from django.core.cache import cache

from comments.models import Comment
from comments.trees import Row, tree_problems


@pytest.fixture(autouse=True)
def fresh_cache():
    """The rate limit counts in the cache; every test starts with none of another test's posts."""
    cache.clear()
    yield
    cache.clear()


def assert_trees_sound() -> None:
    rows = Comment.objects.order_by().values_list("id", "parent_id", "tree_id", "lft", "rght", "level")
    assert tree_problems(Row(*row) for row in rows) == {}
