"""Load the benchmark discussion (bench.shape) into our models fast: bulk inserts with the MPTT fields computed
here, bodies rendered by comments.text as comment_create renders them, then the story's count (every comment is
visible) and version."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Author, Byline, Section
from bench import shape
from comments import services, text
from comments.models import Comment, CommentLike
from comments.trees import Row, expected_positions
from newsroom.models import User

__all__ = ["commenters", "build_story", "analyze"]


def commenters() -> list[User]:
    """The 200 commenters (created once; their password is unusable: the bench signs in with force_login)."""
    handles = [shape.commenter_handle(number) for number in range(shape.COMMENTERS)]
    existing = {user.handle for user in User.objects.filter(handle__in=handles)}
    password = make_password(None)
    User.objects.bulk_create(
        User(
            handle=handle,
            display_name=handle.replace("_", " ").title(),
            email=f"{handle}@example.com",
            password=password,
        )
        for handle in handles
        if handle not in existing
    )
    by_handle = {user.handle: user for user in User.objects.filter(handle__in=handles)}
    return [by_handle[handle] for handle in handles]


def _story(slug: str, hours_ago: float) -> Article:
    section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    author, _ = Author.objects.get_or_create(slug="bench-reporter", defaults={"name": "Bench Reporter"})
    article = Article.objects.create(
        slug=slug,
        section=section,
        headline=f"A busy story: {slug}",
        deck="A story that draws thousands of comments.",
        body="\n\n".join(f"Paragraph {n} of the story, long enough to read like news." * 3 for n in range(8)),
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(hours=hours_ago),
    )
    Byline.objects.create(article=article, author=author, order=0)
    return article


@transaction.atomic
def build_story(
    n: int, *, slug: str | None = None, single_thread: bool = False, seed: int = 6, liker: User | None = None
) -> Article:
    """A published story with the shaped discussion of `n` comments; `liker` likes about 2% of them."""
    users = commenters()
    article = _story(slug or f"bench-{n}{'-thread' if single_thread else ''}", hours_ago=49)
    shaped = shape.discussion(n, seed=seed, single_thread=single_thread)
    links = {user.handle.lower(): reverse("comments:member", kwargs={"pk": user.pk}) for user in users}
    # Tree fields as django-mptt numbers them: one tree per top-level comment, children in posting order.
    next_tree = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
    root_of: dict[int, int] = {}
    tree_of: dict[int, int] = {}
    for item in shaped:
        if item.parent is None:
            root_of[item.index] = item.index
            tree_of[item.index] = next_tree
            next_tree += 1
        else:
            root_of[item.index] = root_of[item.parent]
    trees: dict[int, list[Row]] = {}
    for item in shaped:
        trees.setdefault(root_of[item.index], []).append(Row(item.index, item.parent, 0, 0, 0, 0))
    positions = {index: place for rows in trees.values() for index, place in expected_positions(rows).items()}
    start = article.publish_at
    comments = [
        Comment(
            article=article,
            author=users[item.author],
            body=item.body,
            body_html=text.render(item.body, links),
            status=Comment.Status.VISIBLE,
            like_count=(item.index * 7919) % 13 if item.index % 3 == 0 else 0,
            created_at=start + timedelta(minutes=item.minutes),
            tree_id=tree_of[root_of[item.index]],
            lft=positions[item.index][0],
            rght=positions[item.index][1],
            level=positions[item.index][2],
        )
        for item in shaped
    ]
    # Level by level, so each reply's parent already has its primary key; siblings keep their posting order.
    for level in range(shape.MAX_LEVEL + 1):
        batch = [comment for item, comment in zip(shaped, comments, strict=True) if item.level == level]
        for item, comment in zip([s for s in shaped if s.level == level], batch, strict=True):
            comment.parent_id = comments[item.parent].pk if item.parent is not None else None
        Comment.objects.bulk_create(batch, batch_size=2000)
    if liker is not None:
        liked = [c for i, c in enumerate(comments) if i % 50 == 7 and c.author_id != liker.pk]
        CommentLike.objects.bulk_create(CommentLike(comment=c, user=liker) for c in liked)
    services.discussion_changed(article.pk, visible_delta=len(comments))
    article.refresh_from_db()
    return article


def analyze() -> None:
    """Planner statistics after a bulk load, as autovacuum would gather them on a live PostgreSQL: without them the
    planner reads the tables as they were before the load (a story's page of threads took 4x longer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
