"""Create the demo site: sections, authors, readers, the staff roles, stories with drawn lead images and bodies of
every kind of block (paragraphs, subheadings, quotes, lists, pictures, a gallery, MORE links, an embed).

Why a command and not fixtures: everything goes through the same services the site uses (image cleaning and
renditions, publishing), so the demo exercises the real code paths, and a second run adds only what is missing.
"""

import io
import random
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

from articles import services
from articles.models import (
    LIVE_BLOCKS,
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
    MoreBlock,
    QuoteBlock,
    Section,
    Tag,
    TextBlock,
)
from comments import services as comment_services
from comments.models import Comment, Notification
from newsroom import demo_data
from newsroom.services import editors_group, moderators_group, reporters_group

User = get_user_model()

DEMO_PASSWORDS = {
    "admin": "newsroom-admin",
    "editor": "newsroom-editor",
    "reporter": "newsroom-reporter",
    "moderator": "newsroom-moderator",
    "reader": "newsroom-reader",
}


def draw_picture(palette: list[str], seed: str, size=(1600, 900)) -> ContentFile:
    """An abstract picture drawn for the demo: layered bands and discs in the story's colours (no downloads)."""
    rng = random.Random(seed)
    picture = PILImage.new("RGB", size, palette[0])
    draw = ImageDraw.Draw(picture)
    width, height = size
    for band in range(6):
        top = int(height * (0.35 + band * 0.12 + rng.uniform(-0.05, 0.05)))
        draw.polygon(
            [(0, top), (width, top - rng.randint(-120, 120)), (width, height), (0, height)],
            fill=palette[1 + band % (len(palette) - 1)],
        )
    for _ in range(5):
        x, y, r = rng.randint(0, width), rng.randint(0, int(height * 0.6)), rng.randint(40, 180)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=palette[rng.randrange(len(palette))])
    buffer = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(2)).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=f"{seed}.png")


class Command(BaseCommand):
    help = "Create demo content (idempotent: a second run adds only what is missing). --reset deletes it first."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo stories and accounts, then reseed.")

    def handle(self, *args, reset=False, **options):
        if reset:
            self.reset()
        with transaction.atomic():
            passwords = self.seed_accounts()
            created = self.seed_stories()
            self.seed_live_blog()
            comments = self.seed_discussions()
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} new stories, {comments} new comments)."))
        self.report(passwords)

    def reset(self):
        slugs = [story["slug"] for story in demo_data.STORIES]
        handles = [handle for handle, _ in demo_data.READERS] + ["admin", "editor", "reporter", "moderator"]
        with transaction.atomic():
            galleries = list(GalleryBlock.objects.filter(parent__slug__in=slugs).values_list("gallery", flat=True))
            Article.objects.filter(slug__in=slugs).delete()
            Gallery.objects.filter(pk__in=galleries, galleryblock_uses__isnull=True).delete()
            unused = {
                "uses__isnull": True,
                "imageblock_uses__isnull": True,
                "liveimageblock_uses__isnull": True,
                "gallery_uses__isnull": True,
            }
            Image.objects.filter(**unused, file__startswith="images/").delete()
            Author.objects.filter(slug__in=[slug for _, slug, _ in demo_data.AUTHORS]).delete()
            User.objects.filter(handle__in=handles).delete()
        self.stdout.write("Deleted the demo content.")

    def password(self, role: str) -> str:
        # Known passwords only on a development machine; anywhere else nobody can guess them.
        return DEMO_PASSWORDS[role] if settings.DEBUG else secrets.token_urlsafe(18)

    def seed_accounts(self) -> dict[str, str]:
        passwords = {}
        existing = set(User.objects.values_list("handle", flat=True))
        if "admin" not in existing:
            passwords["admin"] = self.password("admin")
            User.objects.create_superuser("admin", "admin@example.com", passwords["admin"], display_name="Site Admin")
        if "editor" not in existing:
            passwords["editor"] = self.password("editor")
            editor = User.objects.create_user(
                "editor", "editor@example.com", passwords["editor"], display_name="Duty Editor", is_staff=True
            )
            editor.groups.add(editors_group())
        if "reporter" not in existing:
            # Writes and submits for review; the editor publishes (articles.publish_article).
            passwords["reporter"] = self.password("reporter")
            reporter = User.objects.create_user(
                "reporter", "reporter@example.com", passwords["reporter"], display_name="Staff Reporter", is_staff=True
            )
            reporter.groups.add(reporters_group())
        if "moderator" not in existing:
            # A role of its own: moderators work the discussion and cannot touch stories (nor editors the queue).
            passwords["moderator"] = self.password("moderator")
            moderator = User.objects.create_user(
                "moderator",
                "moderator@example.com",
                passwords["moderator"],
                display_name="Duty Moderator",
                is_staff=True,
            )
            moderator.groups.add(moderators_group())
        new_readers = [(handle, name) for handle, name in demo_data.READERS if handle not in existing]
        if new_readers:
            passwords["readers"] = self.password("reader")
            for handle, name in new_readers:
                User.objects.create_user(handle, f"{handle}@example.com", passwords["readers"], display_name=name)
        # The demo's addresses are made up: taken as confirmed, so that its reply and mention e-mail shows.
        demo = ["admin", "editor", "reporter", "moderator", *(handle for handle, _ in demo_data.READERS)]
        User.objects.filter(handle__in=demo, email_confirmed_at__isnull=True).update(email_confirmed_at=timezone.now())
        return passwords

    def seed_stories(self) -> int:
        sections = {}
        for order, (name, slug, description) in enumerate(demo_data.SECTIONS):
            sections[slug], _ = Section.objects.get_or_create(
                slug=slug, defaults={"name": name, "order": order, "description": description}
            )
        authors = {}
        for name, slug, bio in demo_data.AUTHORS:
            authors[slug], _ = Author.objects.get_or_create(slug=slug, defaults={"name": name, "bio": bio})
        existing = set(
            Article.objects.filter(slug__in=[s["slug"] for s in demo_data.STORIES]).values_list("slug", flat=True)
        )
        new_stories = [story for story in demo_data.STORIES if story["slug"] not in existing]
        now = timezone.now()
        desk = User.objects.get(handle="editor")  # the demo's stories are published by its editor
        for story in new_stories:
            article = Article.objects.create(
                slug=story["slug"],
                section=sections[story["section"]],
                headline=story["headline"],
                deck=story["deck"],
                correction=story["correction"],
            )
            Byline.objects.bulk_create(
                Byline(article=article, author=authors[slug], order=order)
                for order, slug in enumerate(story["authors"])
            )
            for name in story["tags"]:
                tag, _ = Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})
                article.tags.add(tag)
            image = services.image_create(
                file=draw_picture(story["palette"], story["slug"]),
                alt_text=story["alt"],
                credit=story["credit"],
                renditions_now=True,
            )
            LeadImage.objects.create(article=article, image=image, caption=story["caption"], credit="")
            published = now - timedelta(hours=story["hours_ago"])
            services.article_publish(article=article, by=desk, at=published)
            if story["updated"]:
                article.updated_at = published + timedelta(hours=2)
                article.save(update_fields=["updated_at"])
        # Bodies last: their MORE links' targets must exist. Only for stories created now: reruns add nothing twice.
        by_slug = {a.slug: a for a in Article.objects.filter(slug__in=[s["slug"] for s in demo_data.STORIES])}
        for story in new_stories:
            self.seed_body(by_slug[story["slug"]], story, by_slug)
        return len(new_stories)

    def seed_live_blog(self) -> None:
        """The demo's live blog (demo_data.LIVE_BLOG): its story made a live blog and its entries written through
        the service, as the admin writes them, once (a rerun finds them)."""
        spec = demo_data.LIVE_BLOG
        blog = Article.objects.get(slug=spec["slug"])
        if blog.live_entries.exists():
            return
        closed = timezone.now() - timedelta(hours=spec["hours_ago"])
        blog.is_live_blog = True
        blog.live_ended_at = closed + timedelta(minutes=spec["ended_after_minutes"])
        blog.save(update_fields=["is_live_blog", "live_ended_at"])
        authors = {author.slug: author for author in Author.objects.all()}
        for minutes, headline, parts, key, pinned, by in spec["entries"]:
            entry = LiveEntry(
                article=blog,
                headline=headline,
                published_at=closed + timedelta(minutes=minutes),
                is_key_event=key,
                is_pinned=pinned,
            )
            blocks = [
                services.block_copy(block, kinds=LIVE_BLOCKS) for block in self.entry_blocks(parts, f"live-{minutes}")
            ]
            services.live_entry_save(entry=entry, authors=[authors[slug] for slug in by], blocks=blocks)

    def entry_blocks(self, parts: list, seed: str) -> list:
        """An entry's paragraphs (each run of them one text block) and blocks, made as a story's body is."""
        blocks, run = [], []
        for part in [*parts, None]:
            if isinstance(part, str):
                run.append(f"<p>{part}</p>")
                continue
            if run:
                blocks.append(TextBlock(text="".join(run)))
                run = []
            if part is not None:
                blocks.append(self.demo_block(part, seed))
        return blocks

    def seed_body(self, article, story, by_slug) -> None:
        """The story's paragraphs, with its MORE links and extra blocks (demo_data.STORY_BLOCKS) after the paragraphs
        they follow; each run of paragraphs between two of them is one text block, as an editor would write it."""
        after = {}
        for target, paragraph in story["more"]:
            after.setdefault(paragraph or len(story["body"]), []).append(MoreBlock(target=by_slug[target]))
        for paragraph, specs in demo_data.STORY_BLOCKS.get(story["slug"], {}).items():
            after.setdefault(paragraph, [])[:0] = [self.demo_block(spec, story["slug"]) for spec in specs]
        blocks, run = [], []
        for number, paragraph in enumerate(story["body"], start=1):
            run.append(f"<p>{paragraph}</p>")  # the demo text holds links and emphasis; cleaned on add
            if number in after or number == len(story["body"]):
                blocks.append(TextBlock(text="".join(run)))
                run = []
                blocks.extend(after.get(number, []))
        for ordering, block in enumerate(blocks, start=1):
            services.article_add_block(article=article, block=block, ordering=ordering * 10)

    def demo_block(self, spec: dict, slug: str):
        match spec["kind"]:
            case "heading":
                return HeadingBlock(text=spec["text"])
            case "quote":
                return QuoteBlock(text=spec["text"], attribution=spec["by"], style=spec["style"])
            case "list":
                items = "".join(f"<li><p>{item}</p></li>" for item in spec["items"])
                return ListBlock(items=f"<ol>{items}</ol>" if spec["numbered"] else f"<ul>{items}</ul>")
            case "image":
                return ImageBlock(image=self.demo_image(spec, slug), caption=spec["caption"])
            case "gallery":
                gallery = Gallery.objects.create(title=spec["title"])
                for order, (caption, alt, palette) in enumerate(spec["pictures"]):
                    picture = {"alt": alt, "palette": palette, "credit": spec["credit"]}
                    image = self.demo_image(picture, f"{slug}-gallery-{order}")
                    GalleryImage.objects.create(gallery=gallery, image=image, caption=caption, order=order)
                return GalleryBlock(gallery=gallery)
            case "embed":
                return EmbedBlock(url=spec["url"], title=spec["title"], caption=spec["caption"])
        raise ValueError(f"Unknown demo block {spec['kind']!r}")

    def demo_image(self, spec: dict, seed: str) -> Image:
        file = draw_picture(spec["palette"], seed)
        return services.image_create(file=file, alt_text=spec["alt"], credit=spec["credit"], renditions_now=True)

    @override_settings(COMMENTS_RATE_PER_MINUTE=0, COMMENTS_PREMODERATE_FIRST=0)
    def seed_discussions(self) -> int:
        """Post the demo discussions through comment_create (rendering, mentions, tree locks) on stories that
        have none yet, so a rerun adds nothing twice. Handles of accounts that do not exist stay plain text."""
        discussions = {demo_data.STORIES[0]["slug"]: demo_data.COMMENTS, **demo_data.SMALL_DISCUSSIONS}
        users = {user.handle.lower(): user for user in User.objects.all()}
        stories = Article.objects.filter(slug__in=discussions).exclude(comments__isnull=False)
        created = 0
        for article in stories:
            posted: dict[str, Comment] = {}
            for key, parent_key, handle, body in discussions[article.slug]:
                author = users.get(handle.lower())
                if author is None or (parent_key and parent_key not in posted):
                    continue
                # Readers find notifications waiting; nobody is e-mailed about demo content.
                posted[key] = comment_services.comment_create(
                    article=article, author=author, body=body, parent=posted.get(parent_key), notify_by_email=False
                )
                created += 1
            # Spread the posting times over the hours since publication, keeping their order.
            comments = list(posted.values())
            span = timezone.now() - article.publish_at
            for number, comment in enumerate(comments, start=1):
                comment.created_at = article.publish_at + span * number / (len(comments) + 1)
            Comment.objects.bulk_update(comments, ["created_at"])
            Notification.objects.filter(comment__article=article).update(
                created_at=Subquery(Comment.objects.filter(pk=OuterRef("comment_id")).values("created_at")[:1])
            )
        return created

    def report(self, passwords: dict[str, str]) -> None:
        if not settings.DEBUG:
            if passwords:
                self.stdout.write("New demo accounts have random passwords: set one with `manage.py changepassword`.")
            return
        reader = demo_data.READERS[0][0]
        base = settings.NEWSROOM_BASE_URL.rstrip("/")
        self.stdout.write(
            f"\nSign in at {base}{reverse('login')} (the admin is at {base}{reverse('admin:index')}):\n"
            f"  superuser  admin / {DEMO_PASSWORDS['admin']}\n"
            f"  editor     editor / {DEMO_PASSWORDS['editor']}  (stories and images; publishes)\n"
            f"  reporter   reporter / {DEMO_PASSWORDS['reporter']}  (writes stories, submits them for review)\n"
            f"  moderator  moderator / {DEMO_PASSWORDS['moderator']}  (the moderation queue)\n"
            f"  reader     {reader} / {DEMO_PASSWORDS['reader']}  (every demo reader has this password)"
        )
