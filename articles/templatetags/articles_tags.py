"""Template tags for story pages: responsive pictures and share links."""

from urllib.parse import quote, urlencode

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


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


@register.simple_tag
def share_links(article, url):
    """Plain share URLs: they work without JavaScript and load nothing from the networks until clicked."""
    return {
        "x": "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": article.headline}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        "email": f"mailto:?subject={quote(article.headline)}&body={quote(article.deck + chr(10) + chr(10) + url)}",
    }
