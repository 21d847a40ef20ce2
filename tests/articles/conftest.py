import pytest

from newsroom.services import editors_group, reporters_group
from tests.factories import UserFactory


@pytest.fixture
def editor(db):
    user = UserFactory(handle="deskeditor", is_staff=True)
    user.groups.add(editors_group())
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reporter(db):
    user = UserFactory(handle="staffreporter", is_staff=True)
    user.groups.add(reporters_group())
    return user


@pytest.fixture
def reporter_client(client, reporter):
    client.force_login(reporter)
    return client
