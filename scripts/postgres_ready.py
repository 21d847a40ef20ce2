"""Exit 0 when the PostgreSQL server in the given database URL answers, 1 (saying why) when it does not."""

import sys

import environ
import psycopg


def maintenance(config: dict, **options) -> psycopg.Connection:
    """A connection to the server's maintenance database (config: django-environ's parts of a database URL)."""
    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        **options,
    )


def main(url: str) -> int:
    config = environ.Env.db_url_config(url)
    try:
        # The maintenance database: the test run creates its own database beside it.
        maintenance(config, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        sys.stderr.write(f"PostgreSQL at {config.get('HOST')}:{config.get('PORT')} is unreachable: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
