"""The stories' tasks: image renditions, cut off the request from the stored original (articles.services)."""

from django_tasks import task

from articles import services

__all__ = ["make_image_renditions", "announce_scheduled_story"]


@task()
def make_image_renditions(image_pk: int, file_name: str, focal_x: float, focal_y: float, stale: list[str]) -> bool:
    """Cut, store and swap in an image's renditions; records why on the image when they cannot be made (and raises
    on a storage error, so the queue retries with backoff)."""
    return services.image_make_renditions(
        image_pk=image_pk, file_name=file_name, focal_x=focal_x, focal_y=focal_y, stale=stale
    )


@task()
def announce_scheduled_story(article_pk: int, publish_at: str) -> bool:
    """At a scheduled story's publishing time, say it was published (articles.signals.story_published), unless it
    was rescheduled or withdrawn meanwhile (services.story_announce_scheduled). Returns whether it was announced."""
    return services.story_announce_scheduled(article_pk=article_pk, publish_at=publish_at)
