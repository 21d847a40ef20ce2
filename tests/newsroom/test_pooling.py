"""The connection pooler: a real PgBouncer (Debian's) in transaction mode between Django and PostgreSQL, and the
settings that DATABASE_TRANSACTION_POOLING=true makes for it (docs/deployment.md, "Connection pooling: PgBouncer")."""

import socket

import psycopg
import pytest
from django.db import connection

from tests import tools
from tests.servers import PgBouncer

ON_POSTGRESQL = connection.vendor == "postgresql"
pytestmark = pytest.mark.skipif(not ON_POSTGRESQL, reason="PgBouncer pools PostgreSQL connections only")


def server_port() -> int:
    return int(connection.settings_dict.get("PORT") or 5432)


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
