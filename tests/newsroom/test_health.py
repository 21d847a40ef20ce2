"""/healthz (liveness) and /readyz (database, cache, broker, storage) for load balancers: cheap, unauthenticated,
saying ok or not and nothing more."""

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_checks_the_real_broker(client, broker):
    assert client.get("/readyz").json() == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "storage": "ok",
        "status": "ok",
    }


def test_readyz_says_degraded_when_the_broker_is_down_and_stays_in_service(client, broker, settings):
    settings.RQ_QUEUES = {"default": {**settings.RQ_QUEUES["default"], "URL": f"redis://127.0.0.1:{free_port()}/0"}}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable" and response.json()["status"] == "degraded"
    assert "Connection refused" not in response.content.decode()  # the reason goes to the log only


def test_readyz_checks_the_object_store(client, settings, seaweedfs):
    options = {
        "bucket_name": seaweedfs.BUCKET,
        "endpoint_url": seaweedfs.endpoint,
        "access_key": "newsroom",
        "secret_key": "newsroom-secret",
        "region_name": "us-east-1",
        "addressing_style": "path",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    assert client.get("/readyz").json()["storage"] == "ok"
    from botocore.config import Config

    down = {
        **options,
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
        "client_config": Config(retries={"max_attempts": 1}),
    }
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": down}}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["storage"] == "unreachable"
