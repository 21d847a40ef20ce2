"""Load the benchmark discussion (bench.shape) into our models fast: bulk inserts with the MPTT fields computed
here, bodies rendered by comments.text as comment_create renders them, then the story's count (every comment is
visible) and version."""

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from articles import services as article_services
from articles.models import Article, Author, Byline, Section, TextBlock
from bench import shape
from comments import services, text
from comments.models import Comment, CommentLike
from comments.trees import Row, expected_positions
from newsroom.models import User

__all__ = [
    "commenters",
    "busy_story",
    "unsaved_discussion",
    "insert_discussions",
    "member_links",
    "build_story",
    "analyze",
]


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


def busy_story(slug: str, hours_ago: float, *, section: Section | None = None) -> Article:
    """A published story with a byline, for a discussion of thousands of comments (in the "bench" section unless
    another is given)."""
    if section is None:
        section, _ = Section.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    author, _ = Author.objects.get_or_create(slug="bench-reporter", defaults={"name": "Bench Reporter"})
    article = Article.objects.create(
        slug=slug,
        section=section,
        headline=f"A busy story: {slug}",
        deck="A story that draws thousands of comments.",
        status=Article.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(hours=hours_ago),
    )
    Byline.objects.create(article=article, author=author, order=0)
    sentence = "Paragraph {} of the story, long enough to read like news. "
    paragraphs = "".join(f"<p>{sentence.format(n) * 3}</p>" for n in range(8))
    article_services.article_add_block(article=article, block=TextBlock(text=paragraphs))
    return article


def unsaved_discussion(
    article: Article, shaped: list[shape.Shaped], *, users: list[User], links: dict[str, str], first_tree: int
) -> tuple[list[tuple[int, Comment, int | None]], int]:
    """The shaped discussion as unsaved comments with their tree fields, numbered as django-mptt numbers them (one
    tree per top-level comment from `first_tree`, children in posting order): (level, comment, parent's index in
    the list) per comment, and the next free tree id. Bodies are rendered by comments.text as comment_create does."""
    root_of: dict[int, int] = {}
    tree_of: dict[int, int] = {}
    next_tree = first_tree
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
    rows = []
    for item in shaped:
        comment = Comment(
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
        rows.append((item.level, comment, item.parent))
    return rows, next_tree


def insert_discussions(discussions: list[list[tuple[int, Comment, int | None]]], *, batch_size: int = 2000) -> None:
    """Bulk-insert unsaved_discussion() rows of one or many stories, level by level, so each reply's parent already
    has its primary key; siblings keep their posting order."""
    deepest = max((level for rows in discussions for level, _, _ in rows), default=-1)
    for level in range(deepest + 1):
        batch = []
        for rows in discussions:
            for row_level, comment, parent in rows:
                if row_level == level:
                    comment.parent_id = rows[parent][1].pk if parent is not None else None
                    batch.append(comment)
        Comment.objects.bulk_create(batch, batch_size=batch_size)


def member_links(users: list[User]) -> dict[str, str]:
    """The profile link of each commenter, by lower-case handle, as comments.text links @mentions."""
    return {user.handle.lower(): reverse("comments:member", kwargs={"pk": user.pk}) for user in users}


@transaction.atomic
def build_story(
    n: int, *, slug: str | None = None, single_thread: bool = False, seed: int = 6, liker: User | None = None
) -> Article:
    """A published story with the shaped discussion of `n` comments; `liker` likes about 2% of them."""
    users = commenters()
    article = busy_story(slug or f"bench-{n}{'-thread' if single_thread else ''}", hours_ago=49)
    shaped = shape.discussion(n, seed=seed, single_thread=single_thread)
    first_tree = (Comment.objects.aggregate(top=Max("tree_id"))["top"] or 0) + 1
    rows, _ = unsaved_discussion(article, shaped, users=users, links=member_links(users), first_tree=first_tree)
    insert_discussions([rows])
    comments = [comment for _, comment, _ in rows]
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
