import pytest

from newsroom.services import editors_group
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
