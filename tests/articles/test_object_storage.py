"""Media in S3-compatible object storage (django-storages), against a real SeaweedFS on loopback: uploads and their
renditions land in the bucket, pages link to URLs the store serves, and deleting an unused image empties it."""

import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles import services
from articles.models import Image
from tests.factories import png_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_media(settings, seaweedfs):
    """The settings' own S3 configuration (DJANGO_MEDIA_STORAGE=s3), pointed at SeaweedFS; an empty bucket."""
    from newsroom import settings as project_settings

    client = seaweedfs.client()
    for key in seaweedfs.keys():  # noqa: SIM118 (the bucket's keys, not a dict's)
        client.delete_object(Bucket=seaweedfs.BUCKET, Key=key)
    env = seaweedfs.storage_env()
    options = {**project_settings.MEDIA_STORAGE_BACKEND.get("OPTIONS", {})}
    options.update(
        bucket_name=env["DJANGO_MEDIA_S3_BUCKET"],
        endpoint_url=env["DJANGO_MEDIA_S3_ENDPOINT_URL"],
        access_key=env["DJANGO_MEDIA_S3_ACCESS_KEY"],
        secret_key=env["DJANGO_MEDIA_S3_SECRET_KEY"],
        region_name=env["DJANGO_MEDIA_S3_REGION"],
        querystring_auth=False,
        file_overwrite=False,
        addressing_style="path",
        signature_version="s3v4",
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return seaweedfs


def png_upload(name: str, width: int, height: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_file(width, height).read(), content_type="image/png")


def fetch(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read(), response.headers["Content-Type"]


def test_an_upload_and_its_renditions_are_stored_and_served_by_the_object_store(
    s3_media, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the renditions task, once the upload commits
        response = admin_client.post(
            reverse("admin:articles_image_add"),
            {"file": png_upload("street.png", 1700, 1000), "alt_text": "A street", "focal_x": "0.5", "focal_y": "0.5"},
        )
    assert response.status_code == 302
    image = Image.objects.get()
    keys = s3_media.keys()
    assert image.file.name in keys and image.file.name.startswith("images/")
    assert image.renditions and all(r["name"] in keys for r in image.renditions)
    assert image.width == 1700 and image.height == 1000  # read back through the storage API
    url = image.rendition_url(width=800)
    assert url.startswith(s3_media.endpoint + "/" + s3_media.BUCKET + "/renditions/")
    status, body, content_type = fetch(url)
    assert status == 200 and body.startswith(b"\xff\xd8") and content_type == "image/jpeg"
    status, body, _ = fetch(image.file.url)
    assert status == 200 and body.startswith(b"\x89PNG")


def test_deleting_an_unused_image_removes_its_files_from_the_bucket(s3_media, django_capture_on_commit_callbacks):
    image = services.image_create(file=png_upload("a.png", 900, 600), alt_text="Unused", renditions_now=True)
    assert len(s3_media.keys()) == 1 + len(image.renditions)
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete(image=image)
    assert s3_media.keys() == []


def test_a_storage_error_leaves_the_original_and_says_why_in_the_admin(s3_media, settings, admin_client):
    image = services.image_create(file=png_upload("b.png", 900, 600), alt_text="A harbour", renditions_now=True)
    original = image.file.url
    broken = {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such-bucket"}
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": broken}}
    with pytest.raises(Exception):  # noqa: B017 (botocore's error): raised so the queue retries it
        services.image_make_renditions(
            image_pk=image.pk, file_name=image.file.name, focal_x=image.focal_x, focal_y=image.focal_y
        )
    image.refresh_from_db(fields=["renditions", "renditions_error"])  # the file itself is gone from this bucket
    assert image.renditions_error.startswith("Renditions could not be made: the stored original could not be read")
    assert image.renditions  # the ones made before are kept
    html = admin_client.get(reverse("admin:articles_image_changelist")).content.decode()
    assert f"Image “A harbour” (#{image.pk}): Renditions could not be made" in html
    assert original


def test_a_file_the_worker_cannot_decode_leaves_the_original_and_an_admin_message(
    admin_client, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = services.image_create(file=png_upload("c.png", 900, 600), alt_text="A quay")
    with default_storage.open(image.file.name, "wb") as f:  # damaged after the upload check, before the task
        f.write(b"\x89PNG\r\n\x1a\n not a picture any more")
    for callback in callbacks:
        callback()
    image.refresh_from_db(fields=["renditions", "renditions_error"])
    assert image.renditions == []
    assert image.renditions_error.startswith("Renditions could not be made: the stored file is not a readable image")
    assert image.rendition_url(width=800) == image.file.url  # pages fall back to the cleaned original
    html = admin_client.get(reverse("admin:articles_image_changelist")).content.decode()
    assert f"Image “A quay” (#{image.pk}): Renditions could not be made" in html
