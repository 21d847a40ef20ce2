"""Template tags for story pages: responsive pictures, share links, and the head's canonical URL, cards and JSON-LD."""

from urllib.parse import quote, urlencode, urljoin

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from articles import seo

register = template.Library()


@register.filter
def absolute(url, base):
    """`url` made absolute against `base` (feeds); unchanged when there is no base (pages)."""
    return urljoin(base, url) if base else url


@register.simple_tag
def picture(image, sizes="100vw", eager=False):
    """A <picture> with WebP and JPEG srcsets; width and height reserve the space so the layout does not jump."""
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}></picture>',
        image.srcset("WEBP"),
        sizes,
        image.rendition_url(),
        image.srcset("JPEG"),
        sizes,
        image.width,
        image.height,
        image.alt_text,
        mark_safe(' fetchpriority="high"' if eager else ' loading="lazy"'),
    )


# Cards show every picture in its 16:9 crop around the editor's focal point, so pictures of any shape take the
# same room: a row of cards lines up and the lead's headline stays on the first screen.
CARD_CROP = "16x9"


@register.simple_tag
def card_image(image, eager=False):
    """A card's picture: the 16:9 crop, with its size so the layout does not jump; decorative (the headline links)."""
    rendition = image.rendition(CARD_CROP)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt=""{}>',
        rendition["url"],
        rendition["width"],
        rendition["height"],
        mark_safe(' fetchpriority="high"' if eager else ' loading="lazy"'),
    )


@register.simple_tag
def share_links(article, url):
    """Plain share URLs: they work without JavaScript and load nothing from the networks until clicked."""
    return {
        "x": "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": article.headline}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        "email": f"mailto:?subject={quote(article.headline)}&body={quote(article.deck + chr(10) + chr(10) + url)}",
    }


# ------------------------------------------------------------------------------
# The head: canonical address, social cards, structured data
# ------------------------------------------------------------------------------
@register.simple_tag(takes_context=True)
def canonical_url(context):
    """The view's `canonical_url` when it gives one; else this path, absolute, keeping only a page number or the
    position of a keyset page."""
    if context.get("canonical_url"):
        return context["canonical_url"]
    request = context.get("request")
    if request is None:
        return ""
    url = request.build_absolute_uri(request.path)
    page_obj = context.get("page_obj")
    if getattr(page_obj, "keyset", False):
        return f"{url}?{page_obj.query}" if page_obj.query else url
    number = getattr(page_obj, "number", 1)
    return f"{url}?page={number}" if number and number > 1 else url


@register.inclusion_tag("articles/includes/_social_meta.html", takes_context=True)
def social_meta(context, title="", description="", og_type="website", image=None, article=None):
    """Open Graph and Twitter card tags; a story passes itself for its image, dates and section."""
    request = context.get("request")
    site_name = context.get("SITE_NAME", "")
    if article is not None and image is None:
        image = seo.lead_image_of(article)
    return {
        "title": title or site_name,
        "description": description
        or gettext("News, analysis and discussion from %(site_name)s.") % {"site_name": site_name},
        "locale": translation.to_locale(translation.get_language() or settings.LANGUAGE_CODE),
        "og_type": og_type,
        "url": canonical_url(context),
        "site_name": site_name,
        "image": seo.card_image(image, request) if request is not None else None,
        "article": article,
        "published": seo.isoformat(article.publish_at) if article is not None and article.publish_at else "",
        "modified": seo.isoformat(article.updated_at) if article is not None and article.updated_at else "",
    }


@register.filter
def isoformat(moment):
    """A W3C/ISO 8601 timestamp to the second, in the site's time zone (sitemaps, structured data)."""
    return seo.isoformat(moment) if moment else ""


@register.filter
def ld_json(value):
    """`value` as a JSON-LD data block, escaped like json_script so no string in it can end the element."""
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(seo.json_for_script(value)))


@register.simple_tag(takes_context=True)
def news_article_ld(context, article):
    return ld_json(seo.news_article(article, context["request"]))


@register.simple_tag(takes_context=True)
def live_blog_ld(context, article, entries):
    return ld_json(seo.live_blog_posting(article, list(entries), context["request"]))
