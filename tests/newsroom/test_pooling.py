"""The connection pooler: a real PgBouncer (Debian's) in transaction mode between Django and PostgreSQL, and the
settings that DATABASE_TRANSACTION_POOLING=true makes for it (docs/deployment.md, "Connection pooling: PgBouncer")."""

import re
import socket
import subprocess

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import ProgrammingError, connection
from django.urls import reverse
from psycopg.errors import InvalidCursorName

from comments.models import Comment
from tests import tools
from tests.factories import ArticleFactory, UserFactory
from tests.servers import PgBouncer, transaction_pooling_settings

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL connections only"
)


def server_port() -> int:
    return int(connection.settings_dict.get("PORT") or 5432)


def test_transaction_pooling_turns_off_server_side_cursors_and_prepared_statements():
    assert transaction_pooling_settings() == {
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {"server_side_binding": False, "prepare_threshold": None},
    }
    # Whatever the URL asks for.
    url = "postgres://postgres@127.0.0.1:6432/newsroom?prepare_threshold=5&server_side_binding=true"
    assert transaction_pooling_settings(url=url)["OPTIONS"] == {"server_side_binding": False, "prepare_threshold": None}
    assert transaction_pooling_settings("false") == {"DISABLE_SERVER_SIDE_CURSORS": False, "OPTIONS": {}}


def test_transaction_pooling_refuses_a_role_set_for_the_session():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        transaction_pooling_settings(url="postgres://postgres@127.0.0.1:6432/newsroom?assume_role=editor")
    assert "assume_role cannot work with DATABASE_TRANSACTION_POOLING" in refused.value.stderr


@needs_postgresql
def test_pgbouncer_runs_two_clients_on_one_server_connection_and_stops(tmp_path):
    tools.pgbouncer()
    bouncer = PgBouncer(tmp_path / "pgbouncer", server_port=server_port(), pool_size=1).start()
    try:
        with (
            psycopg.connect(bouncer.url("postgres"), autocommit=True) as first,
            psycopg.connect(bouncer.url("postgres"), autocommit=True) as second,
        ):
            # Transaction pooling: both clients stay connected, their statements run on the one server backend.
            pids = {c.execute("SELECT pg_backend_pid()").fetchone()[0] for c in (first, second, first, second)}
        assert len(pids) == 1
    finally:
        bouncer.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", bouncer.port), timeout=1):
        pass


@needs_postgresql
@pytest.mark.parametrize("disabled", [True, False], ids=["pooling-settings", "server-side-cursors"])
@pytest.mark.django_db(transaction=True)
def test_an_iterator_outside_a_transaction_needs_server_side_cursors_off(through_pgbouncer, disabled):
    """.iterator() in autocommit declares a WITH HOLD cursor and fetches from it statement by statement; under
    transaction pooling a later FETCH may land on another server connection, where no such cursor exists. Two
    server connections and two other clients make that happen every time."""
    for _ in range(3):
        UserFactory()
    bouncer = through_pgbouncer(pool_size=2)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = disabled
    url = bouncer.url(connection.settings_dict["NAME"])
    with psycopg.connect(url) as holder, psycopg.connect(url) as taker:
        holder.execute("SELECT 1")  # a transaction open on the first server connection
        users = get_user_model().objects.order_by("pk").iterator(chunk_size=1)
        first = next(users)  # runs on the second one, the only one free
        taker.execute("SELECT 1")  # now the second one is taken
        holder.commit()  # and the first one free: the next FETCH runs there
        if disabled:
            assert [first.pk, *(user.pk for user in users)] == list(
                get_user_model().objects.order_by("pk").values_list("pk", flat=True)
            )
        else:
            # Django's ProgrammingError for the FETCH, or psycopg's own for the CLOSE that its cleanup then tries.
            with pytest.raises(
                (ProgrammingError, InvalidCursorName), match=r'cursor "_django_curs_\w+" does not exist'
            ):
                next(users)
        taker.commit()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_djangos_time_zone_holds_on_a_server_connection_another_client_changed(through_pgbouncer):
    """Django sets the session's time zone once, at connect; PgBouncer sets it again on each server connection it
    lends this client, so another client's SET on the shared server connection does not leak in."""
    bouncer = through_pgbouncer(pool_size=1)
    with psycopg.connect(bouncer.url(connection.settings_dict["NAME"]), autocommit=True) as other:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (django_backend,) = cursor.fetchone()
        other.execute("SET TIME ZONE 'America/New_York'")
        assert other.execute("SELECT pg_backend_pid()").fetchone()[0] == django_backend  # one server connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone')")
            assert cursor.fetchone()[0] == "UTC"
        assert other.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "America/New_York"


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_story_page_and_a_comment_post_work_through_pgbouncer(through_pgbouncer, client):
    story = ArticleFactory()
    reader = UserFactory()
    bouncer = through_pgbouncer(pool_size=1)
    client.force_login(reader)
    page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    token = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', page.content.decode()).group(1)
    posted = client.post(
        reverse("comments:post", kwargs={"article_pk": story.pk}), {"body": "Through the pooler.", "token": token}
    )
    assert posted.status_code == 302
    assert Comment.objects.get().body == "Through the pooler."
    assert client.get(story.get_absolute_url()).content.decode().count("Through the pooler.") == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")  # PostgreSQL's port, seen through PgBouncer's
        assert cursor.fetchone()[0] == bouncer.server_port
    assert connection.settings_dict["PORT"] == bouncer.port


@needs_postgresql
@pytest.mark.parametrize(
    "options",
    [None, {"server_side_binding": True, "prepare_threshold": 0}],
    ids=["pooling-settings", "prepared-statements"],
)
@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_on_one_server_connection_is_missing_on_the_next(through_pgbouncer, options):
    """psycopg prepares a statement it has run prepare_threshold times on its connection, then only executes it by
    name; under transaction pooling the name may reach a server connection that never saw it."""
    bouncer = through_pgbouncer(pool_size=2)
    if options:
        connection.settings_dict["OPTIONS"] = options
    url = bouncer.url(connection.settings_dict["NAME"])
    users = get_user_model().objects.filter(is_active=True)
    with psycopg.connect(url) as holder, psycopg.connect(url) as taker:
        holder.execute("SELECT 1")  # a transaction open on the first server connection
        assert users.count() == 0  # prepared (or not) on the second one, the only one free
        taker.execute("SELECT 1")  # now the second one is taken
        holder.commit()  # and the first one free: the next statement runs there
        if options:
            with pytest.raises(ProgrammingError, match=r'prepared statement "_pg3_\d+" does not exist'):
                users.count()
        else:
            assert users.count() == 0
        taker.commit()
