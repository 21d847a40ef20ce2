"""A small but complete site for the validators: every kind of block each checked page can show."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from articles import services as article_services
from articles.models import (
    Article,
    Gallery,
    GalleryImage,
    LiveEmbedBlock,
    LiveGalleryBlock,
    LiveHeadingBlock,
    LiveImageBlock,
    LiveListBlock,
    LiveQuoteBlock,
    LiveTextBlock,
)
from comments import services as comment_services
from newsroom.confirmation import confirmation_token
from newsroom.models import ImportedAccount
from newsroom.services import moderators_group
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    ImageFactory,
    LeadImageFactory,
    LiveBlogFactory,
    MoreBlockFactory,
    SectionFactory,
    TagFactory,
    UserFactory,
    api_token,
    live_entry,
    story_with_every_block,
)


@dataclass
class Page:
    name: str
    url: str
    signed_in: bool = False
    user: object = None  # signed in as this user rather than the site's reader


@dataclass
class Site:
    reader: object
    pages: list[Page]


def build_site(*, threads_per_page: int) -> Site:
    """Stories with lead images, MORE links, tags and a correction; a discussion with replies deep enough to be
    continued, a mention, a link, likes, an edit, a tombstone, the story author's badge and a second page."""
    world = SectionFactory(name="World", slug="world", order=1)
    SectionFactory(name="Sport", slug="sport", order=2)
    reporter = UserFactory(handle="ana_reyes", display_name="Ana Reyes")
    byline = AuthorFactory(name="Ana Reyes", slug="ana-reyes", user=reporter)
    # Every kind of block, so that the validator and axe-core read each as readers get it.
    story = story_with_every_block(
        headline="Harbour reopens after the storm",
        deck="Boats return to the quay a week after the flood; repairs will take the summer.",
        section=world,
        authors=[byline, AuthorFactory(name="Bo Li")],
        correction="An earlier version gave the wrong date for the flood.",
        updated_at=timezone.now(),
    )
    story.tags.add(TagFactory(name="Weather"), TagFactory(name="Ports"))
    LeadImageFactory(article=story, caption="The quay at first light.", image__credit="Wire / J. Doe")
    for n in range(3):
        other = ArticleFactory(section=world, headline=f"Harbour story {n}: the tide and the town")
        LeadImageFactory(article=other)
    MoreBlockFactory(parent=story, target=other, ordering=15)
    MoreBlockFactory(parent=story, target=ArticleFactory(section=world, headline="How the storm was forecast"))
    MoreBlockFactory(parent=story, target=None, url="https://example.org/report", label="The flood report")
    ArticleFactory(headline="A draft nobody sees", status=Article.Status.DRAFT, section=world)

    reader = UserFactory(handle="mira", display_name="Mira Kovač")
    alex = UserFactory(handle="alex", display_name="Alex Doe")
    first = CommentFactory(article=story, author=alex, body="Good piece. The port's own figures: example.org/figures")
    reply = CommentFactory(parent=first, author=reader, body="@alex agreed, and\nthanks for the link.")
    comment_services.comment_like(comment=first, user=reader)
    CommentFactory(parent=first, author=reporter, body="Author here: we will follow up.")
    deep = reply
    for depth in range(8):  # past the indentation cap: "Continue this thread"
        deep = CommentFactory(parent=deep, author=alex if depth % 2 else reader, body=f"Level {depth + 2}.")
    gone = CommentFactory(article=story, author=reader, body="I take this back.")
    CommentFactory(parent=gone, author=alex, body="Replying to a comment that was deleted.")
    comment_services.comment_delete(comment=gone, user=reader)
    edited = CommentFactory(article=story, author=reader, body="Fist draft.")
    comment_services.comment_edit(comment=edited, user=reader, body="First draft.")
    for n in range(threads_per_page):
        CommentFactory(article=story, author=alex, body=f"Thread {n} for the second page.")
    article_services.saved_article_add(user=reader, article=story)
    article_services.saved_article_add(user=reader, article=other)

    blog = live_blog(world, byline)
    # A moderator's view of the story in a surge: the discussion controls and the comments-per-minute chart.
    moderator = UserFactory(handle="moderator", display_name="Mo Derator", is_staff=True)
    moderator.groups.add(moderators_group())
    comment_services.discussion_set_controls(article=story, by=moderator, surge_mode=True, slow_mode_seconds=30)
    # An editors' pick (the Picks view and the marks), and a reader the signed-in reader muted (collapsed comments,
    # the muted readers' page).
    comment_services.comment_pick(comment=first, by=moderator)
    shouty = UserFactory(handle="shouty", display_name="Shouty")
    CommentFactory(parent=edited, author=shouty, body="Nobody reads the comments anyway.")
    comment_services.reader_mute(muter=reader, muted=shouty)
    # An API token of the reader's (their tokens page lists it).
    api_token(reader, name="Phone app")

    # A new reader who has not confirmed their address yet (the account page asks them to), and a commenter
    # imported from Disqus who never claimed the account (a profile marked so).
    newcomer = UserFactory(handle="newcomer", display_name="New Comer", email_confirmed_at=None)
    oldtimer = UserFactory(handle="oldtimer", display_name="Old Timer", is_active=False, email_confirmed_at=None)
    ImportedAccount.objects.create(user=oldtimer, source=ImportedAccount.Source.DISQUS, username="oldtimer")
    CommentFactory(article=story, author=oldtimer, body="From the old comment system, @alex.")

    # A decision told to its author (the notification, the appeal page), and a reported comment: the moderator's
    # controls in place (approve, remove, the reader's history) show on the story page.
    removed = CommentFactory(article=story, author=reader, body="Cheap watches at example.org/watches")
    comment_services.comment_remove(comments=[removed], moderator=moderator, reason="Spam", note="No advertising.")
    comment_services.comment_report(comment=first, user=reader, reason="off_topic")

    # An illegal-content notice: the form under a comment, and the acknowledgement with its reference.
    notice = comment_services.notice_create(
        target=first, category="defamation", explanation="It is false.", location="x", good_faith=True, sender_key="x"
    )

    story_url = story.get_absolute_url()
    return Site(
        reader=reader,
        pages=[
            Page("home", "/"),
            Page("section", "/world/"),
            Page("story", story_url),
            Page("story-signed-in", story_url, signed_in=True),
            Page("story-moderator", story_url, signed_in=True, user=moderator),
            Page("story-page-2", f"{story_url}?page=2"),
            Page("story-picks", f"{story_url}?sort=picks"),
            Page("story-newsroom-replies", f"{story_url}?sort=newsroom"),
            Page("story-picks-moderator", f"{story_url}?sort=picks", signed_in=True, user=moderator),
            Page("muted-readers", "/accounts/muted/", signed_in=True),
            Page("api-tokens", "/accounts/tokens/", signed_in=True),
            Page("thread", f"{deep.get_ancestors().get(level=6).get_absolute_url()}thread/"),
            Page("profile", "/@alex/"),
            Page("live-blog", blog.get_absolute_url()),
            Page("live-blog-key-events", f"{blog.get_absolute_url()}?key=1"),
            Page("sign-in", "/accounts/login/?next=/"),
            Page("sign-up", "/accounts/signup/"),
            Page("search", "/search/?q=harbour"),
            Page("saved", "/saved/", signed_in=True),
            Page("notifications", "/notifications/", signed_in=True),
            Page("account", "/accounts/settings/", signed_in=True),
            Page("account-unconfirmed", "/accounts/settings/", signed_in=True, user=newcomer),
            Page("confirm-email", f"/accounts/confirm/{confirmation_token(newcomer, newcomer.email)}/"),
            Page("profile-imported", "/@oldtimer/"),
            Page("appeal", f"/comments/{removed.pk}/appeal/", signed_in=True),
            Page("remove-comment", f"/comments/{first.pk}/remove/", signed_in=True, user=moderator),
            Page("reader-history", f"/comments/member/{alex.pk}/history/", signed_in=True, user=moderator),
            Page("illegal-notice", reverse("comments:notice_comment", args=[first.pk])),
            Page("illegal-notice-story", reverse("comments:notice_story", args=[story.pk])),
            Page("illegal-notice-received", reverse("comments:notice_done", args=[notice.reference])),
        ],
    )


def live_blog(section, author) -> Article:
    """A live blog past its first page of entries, with a pinned entry, key events, a correction, lists and links,
    and an entry promoted to a published story (both links show)."""
    blog = LiveBlogFactory(
        headline="Storm live: the flood as it happens", section=section, authors=[author], slug="storm-live"
    )
    start = timezone.now() - timezone.timedelta(hours=3)
    for n in range(24):
        live_entry(
            blog,
            headline=f"Update {n}: the water level" if n % 3 else "",
            body=f"<p>The river stands at {n} metres. <a href='https://example.org/levels'>Levels</a>.</p>"
            + ("<ul><li>Road closed</li><li>School shut</li></ul>" if n == 5 else ""),
            published_at=start + timezone.timedelta(minutes=7 * n),
            is_key_event=n in (4, 20),
            is_pinned=n == 22,
            correction="An earlier version gave the wrong level." if n == 10 else "",
            authors=[author] if n % 2 else [],
        )
    # The newest entry, on the first page: a story's kinds of block inside an entry, under its headline.
    gallery = Gallery.objects.create(title="The flood in pictures")
    GalleryImage.objects.create(gallery=gallery, image=ImageFactory(), caption="Sandbags on the quay.", order=0)
    live_entry(
        blog,
        headline="What we know so far",
        blocks=[
            LiveTextBlock(text="<p>The river is falling.</p>"),
            LiveHeadingBlock(text="Roads"),
            LiveListBlock(items="<ul><li><p>The bridge is shut.</p></li></ul>"),
            LiveQuoteBlock(text="<p>The worst is over.</p>", attribution="The mayor", style="pull"),
            LiveImageBlock(image=ImageFactory(alt_text="A flooded street"), caption="Mill Street at noon."),
            LiveGalleryBlock(gallery=gallery),
            LiveEmbedBlock(url="https://vimeo.com/1084537", title="The flood, filmed"),
        ],
    )
    promoted = live_entry(blog, headline="The dam holds", body="<p>Engineers say the dam holds.</p>")
    story = article_services.live_entry_promote(entry=promoted)
    story.status, story.publish_at = Article.Status.PUBLISHED, timezone.now()
    story.save()
    return blog
