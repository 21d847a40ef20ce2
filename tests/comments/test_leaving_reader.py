"""A leaving reader's comments taken out set-based (comments.services.comments_of_leaving_reader): the same outcome
as taking them one at a time, sound trees, counts moved once per story, and statements that do not grow with the
number of comments."""

import random

import pytest
from django.db.models import Max

from articles.models import Article
from comments import services
from comments.models import Comment, CommentLike, Discussion, Mention
from comments.trees import number_forest
from tests.comments.conftest import assert_trees_sound
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

VISIBLE, PENDING, REMOVED, DELETED = (Comment.Status.VISIBLE, Comment.Status.PENDING, Comment.Status.REMOVED,
                                      Comment.Status.DELETED)  # fmt: skip


class Node:
    def __init__(self, author, status=VISIBLE, children=()):
        self.author, self.status, self.children = author, status, list(children)
        self.comment: Comment | None = None


def insert_forest(article: Article, roots: list[Node]) -> None:
    """The trees as comments, numbered as django-mptt numbers them, bulk-inserted level by level; the story's
    discussion counts its visible comments."""
    children = {node: node.children for node in _walk(roots)}
    first_tree = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
    places = number_forest(roots, children)
    by_level: dict[int, list[Node]] = {}
    for node, (index, lft, rght, level) in places.items():
        node.comment = Comment(
            article=article,
            author=node.author,
            body="" if node.status == DELETED else "Words",
            body_html="" if node.status == DELETED else "<p>Words</p>",
            status=node.status,
            tree_id=first_tree + index,
            lft=lft,
            rght=rght,
            level=level,
        )
        by_level.setdefault(level, []).append(node)
    for level in sorted(by_level):
        for node in by_level[level]:
            for child in node.children:
                child.parent_node = node
            parent = getattr(node, "parent_node", None)
            node.comment.parent_id = parent.comment.pk if parent else None
        Comment.objects.bulk_create([node.comment for node in by_level[level]])
    Discussion.objects.update_or_create(
        article=article, defaults={"comment_count": sum(node.status == VISIBLE for node in _walk(roots))}
    )


def _walk(roots):
    stack = list(roots)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def random_forest(rng: random.Random, leaver, others, *, trees: int, size: int) -> list[Node]:
    """Trees of `size` comments in all, by the leaver and others, with tombstones of both kinds among them."""
    roots = [Node(rng.choice([leaver, *others])) for _ in range(trees)]
    nodes = list(roots)
    for _ in range(size - trees):
        parent = rng.choice(nodes)
        node = Node(rng.choice([leaver, leaver, *others]), rng.choice([VISIBLE] * 6 + [PENDING, REMOVED, DELETED]))
        parent.children.append(node)
        nodes.append(node)
    return roots


def one_at_a_time(roots: list[Node], leaver) -> dict[int, str]:
    """What the former service left, a comment at a time (deepest first): pk -> status of every comment kept."""
    parent = {child: node for node in _walk(roots) for child in node.children}
    alive = set(_walk(roots))
    status = {node: node.status for node in alive}
    kids = {node: list(node.children) for node in alive}
    mine = sorted((n for n in alive if n.author == leaver), key=lambda n: (n.comment.tree_id, -n.comment.lft))
    for node in mine:
        if node not in alive:
            continue
        if kids[node]:
            status[node] = DELETED
            continue
        while node is not None:
            alive.discard(node)
            up = parent.get(node)
            if up is not None:
                kids[up].remove(node)
            node = up if up is not None and status[up] in (DELETED, REMOVED) and not kids[up] else None
    return {node.comment.pk: status[node] for node in alive}


@pytest.mark.parametrize("seed", range(6))
def test_set_based_leaving_matches_one_comment_at_a_time_and_keeps_trees_sound(seed):
    rng = random.Random(seed)
    leaver, others = UserFactory(handle="leaver"), [UserFactory(), UserFactory()]
    forests = {}
    for _ in range(4):
        article = ArticleFactory()
        forests[article] = random_forest(rng, leaver, others, trees=rng.randint(1, 5), size=rng.randint(5, 40))
        insert_forest(article, forests[article])
    liked = Comment.objects.exclude(author=leaver).filter(status=VISIBLE).order_by("pk")[:5]
    for comment in liked:
        CommentLike.objects.create(comment=comment, user=leaver)
        Comment.objects.filter(pk=comment.pk).update(like_count=1)
    Mention.objects.create(comment=Comment.objects.filter(author=leaver).first(), user=others[0])
    expected = {pk: status for roots in forests.values() for pk, status in one_at_a_time(roots, leaver).items()}
    versions = dict(Discussion.objects.values_list("pk", "version"))
    touched = set(Comment.objects.filter(author=leaver).values_list("article_id", flat=True)) | {
        c.article_id for c in liked
    }

    services.comments_of_leaving_reader(user=leaver, batch=rng.choice([7, 50, 5000]))

    assert dict(Comment.objects.values_list("pk", "status")) == expected
    assert not Comment.objects.filter(author=leaver).exists()
    assert set(Comment.objects.filter(author=None).values_list("status", flat=True)) <= {DELETED}
    assert_trees_sound()
    for discussion in Discussion.objects.all():
        assert discussion.comment_count == Comment.objects.filter(article=discussion.article, status=VISIBLE).count()
        assert (discussion.version > versions[discussion.pk]) == (discussion.pk in touched)
    assert not CommentLike.objects.exists() and not Mention.objects.filter(comment__author=None).exists()
    assert set(Comment.objects.filter(pk__in=[c.pk for c in liked]).values_list("like_count", flat=True)) <= {0}


def history(leaver, other, *, per_story: int, stories: int = 4) -> None:
    """`per_story` comments of the leaver in each of `stories` stories, of every kind: threads of their own with
    replies, replies in others' threads (some answered), leaves, a chain under a tombstone."""
    for _ in range(stories):
        roots = []
        for n in range(per_story // 5):
            mine = Node(leaver, children=[Node(other)] if n % 2 else [])
            roots.append(Node(other, children=[mine, Node(leaver), Node(other)]))
            roots.append(Node(leaver, children=[Node(other, children=[Node(leaver)])]))
            roots.append(Node(other, DELETED, children=[Node(leaver, PENDING)]))
        insert_forest(ArticleFactory(), roots)


def test_leaving_takes_the_same_statements_at_20_and_at_2000_comments(django_assert_max_num_queries):
    other = UserFactory()
    small, large = UserFactory(handle="small"), UserFactory(handle="large")
    history(small, other, per_story=5)
    history(large, other, per_story=500)
    assert Comment.objects.filter(author=small).count() == 20
    assert Comment.objects.filter(author=large).count() == 2000
    # 25 on PostgreSQL: two of them empty the audit log's and the illegal-content notices' links to deleted comments.
    with django_assert_max_num_queries(25) as at_20:
        services.comments_of_leaving_reader(user=small)
    with django_assert_max_num_queries(len(at_20.captured_queries)):
        services.comments_of_leaving_reader(user=large)
    assert not Comment.objects.filter(author__in=[small, large]).exists()
    assert_trees_sound()
    for discussion in Discussion.objects.all():
        assert discussion.comment_count == Comment.objects.filter(article=discussion.article, status=VISIBLE).count()
