"""Model factories for every app's tests."""

import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image as PILImage

from articles import services
from articles.models import (
    Article,
    Author,
    Byline,
    EmbedBlock,
    Gallery,
    GalleryBlock,
    GalleryImage,
    HeadingBlock,
    Image,
    ImageBlock,
    LeadImage,
    ListBlock,
    LiveEntry,
    LiveTextBlock,
    MoreBlock,
    QuoteBlock,
    Section,
    Tag,
    TextBlock,
)
from comments import services as comment_services
from comments.models import Comment, Discussion, ModerationRule
from newsroom import services as newsroom_services
from newsroom.models import ApiToken, User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["handle"]

    handle = factory.Sequence(lambda n: f"reader{n}")
    display_name = factory.LazyAttribute(lambda o: o.handle.title())
    email = factory.LazyAttribute(lambda o: f"{o.handle}@example.com")
    # Confirmed, as every account was before confirmation existed; the confirmation tests make unconfirmed ones.
    email_confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password("correct horse battery staple")


class SectionFactory(DjangoModelFactory[Section]):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class AuthorFactory(DjangoModelFactory[Author]):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Reporter {n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ArticleFactory(DjangoModelFactory[Article]):
    """A live story by one author; `status`/`publish_at` make drafts and scheduled ones."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Story number {n} makes the news")
    deck = "A short summary of what happened and why it matters."
    slug = factory.Sequence(lambda n: f"story-{n}")
    section = factory.SubFactory(SectionFactory)
    body = "First paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n\nFourth paragraph."
    status = Article.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        for order, author in enumerate(extracted or [AuthorFactory()]):
            Byline.objects.create(article=self, author=author, order=order)

    @factory.post_generation
    def paragraphs(self, create, extracted, **kwargs):
        """`body` (paragraphs separated by blank lines) as the story's first text block, cleaned as an editor's
        save is; the body column then holds its words, as it does for every story."""
        if create and self.body:
            html = "".join(f"<p>{paragraph.strip()}</p>" for paragraph in self.body.split("\n\n") if paragraph.strip())
            services.article_add_block(article=self, block=TextBlock(text=html))

    @factory.post_generation
    def discussion_mode(self, create, extracted, **kwargs):
        """`discussion_mode=Discussion.Mode.CLOSED` (or PREMODERATED): the story's discussion row in that mode."""
        if create and extracted:
            Discussion.objects.create(article=self, mode=extracted)


class LiveBlogFactory(ArticleFactory):
    """A live story that is a live blog."""

    is_live_blog = True


def live_entry(blog: Article, *, authors=None, body="<p>Something happened.</p>", blocks=None, **fields) -> LiveEntry:
    """An entry of `blog`, written as the admin writes one (services.live_entry_save: the blog's version moves). Its
    body is `blocks` (unsaved blocks of LIVE_BLOCKS' kinds), or one text block of the HTML in `body`."""
    blocks = [LiveTextBlock(text=body)] if blocks is None else blocks
    return services.live_entry_save(entry=LiveEntry(article=blog, **fields), authors=authors, blocks=blocks)


def png_file(width=64, height=48, color="#336699", name="picture.png") -> ContentFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=name)


class ImageFactory(DjangoModelFactory[Image]):
    """A library image made through the real upload service (cleaning and renditions)."""

    class Meta:
        model = Image

    alt_text = "A blue rectangle"
    credit = ""

    @classmethod
    def _create(cls, model_class, *args, width=1000, height=600, **kwargs):
        return services.image_create(file=png_file(width, height), renditions_now=True, **kwargs)


class LeadImageFactory(DjangoModelFactory[LeadImage]):
    class Meta:
        model = LeadImage

    article = factory.SubFactory(ArticleFactory)
    image = factory.SubFactory(ImageFactory)
    caption = "Boats in the harbour at dawn."


class MoreBlockFactory(DjangoModelFactory[MoreBlock]):
    """A MORE link at the end of `parent`'s body (or at `ordering`), added as the admin adds one."""

    class Meta:
        model = MoreBlock

    parent = factory.SubFactory(ArticleFactory)
    target = factory.SubFactory(ArticleFactory)

    @classmethod
    def _create(cls, model_class, *args, parent, ordering=None, **kwargs):
        return services.article_add_block(article=parent, block=model_class(**kwargs), ordering=ordering)


def add_blocks(article: Article, *blocks) -> Article:
    """Append `blocks` (unsaved blocks of any kind) to the story's body, as the editor adds them."""
    for block in blocks:
        services.article_add_block(article=article, block=block)
    return article


def story_with_every_block(**story) -> Article:
    """A live story whose body uses every kind of block, each with content a reader would recognise."""
    article = ArticleFactory(body="", **story)
    target = ArticleFactory(headline="The sea wall vote, explained")
    gallery = Gallery.objects.create(title="The harbour in pictures")
    for order, caption in enumerate(["Boats at the quay.", "The old lighthouse.", "Nets drying in the sun."]):
        GalleryImage.objects.create(gallery=gallery, image=ImageFactory(), caption=caption, order=order)
    return add_blocks(
        article,
        TextBlock(
            text='<p>The harbour reopened on <em>Monday</em> after <a href="https://example.org/">repairs</a>.</p>'
        ),
        HeadingBlock(text="What changes for fishermen"),
        QuoteBlock(
            text="<p>We lost a whole season.</p>", attribution="Ana Reyes, skipper", style=QuoteBlock.Style.PULL
        ),
        QuoteBlock(text="<p>The quay is safe.</p>", attribution="The harbour master", style=QuoteBlock.Style.BLOCK),
        ListBlock(items="<ul><li><p>New moorings.</p></li><li><p>A longer pier.</p></li></ul>"),
        ListBlock(items="<ol><li><p>Apply for a berth.</p></li><li><p>Pay the fee.</p></li></ol>"),
        ImageBlock(image=ImageFactory(alt_text="A crane lifts a block of stone"), caption="Work on the pier."),
        GalleryBlock(gallery=gallery),
        MoreBlock(target=target),
        EmbedBlock(url="https://www.youtube.com/watch?v=aqz-KE-bpKQ", title="The reopening, filmed from the pier"),
        TextBlock(text="<p>Boats were back by evening.</p>"),
    )


class CommentFactory(DjangoModelFactory[Comment]):
    """A comment posted through comments.services.comment_create (locks, rendering, mentions); `parent` replies."""

    class Meta:
        model = Comment

    article = factory.LazyAttribute(lambda o: o.parent.article if o.parent else ArticleFactory())
    author = factory.SubFactory(UserFactory)
    parent = None
    body = factory.Sequence(lambda n: f"Comment number {n}.")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return comment_services.comment_create(**kwargs)


def report(comment: Comment, reason: str = "spam", user: User | None = None):
    """A reader's report through comments.services, as the site files one (the comment's report count moves)."""
    return comment_services.comment_report(comment=comment, user=user or UserFactory(), reason=reason)


class ModerationRuleFactory(DjangoModelFactory[ModerationRule]):
    """A words rule that holds, unless told otherwise (kind, outcome and the kind's parameters)."""

    class Meta:
        model = ModerationRule

    name = factory.Sequence(lambda n: f"rule {n}")
    kind = ModerationRule.Kind.WORDS
    outcome = ModerationRule.Outcome.HOLD
    order = factory.Sequence(lambda n: 100 + n)


def reports_rule(count: int) -> ModerationRule:
    """The reports rule (the migration makes one at 3; a transactional test starts without it) set to `count`."""
    rule, _ = ModerationRule.objects.update_or_create(
        kind=ModerationRule.Kind.REPORTS,
        defaults={"name": "reported", "count": count, "enabled": True, "outcome": ModerationRule.Outcome.HOLD},
    )
    return rule


def api_token(user: User | None = None, *scopes: str, name: str = "My app") -> tuple[ApiToken, str]:
    """A reader's API token made as the tokens page makes one (every scope unless told): the token and its secret."""
    return newsroom_services.token_create(
        user=user or UserFactory(), name=name, scopes=list(scopes or ApiToken.Scope.values)
    )
