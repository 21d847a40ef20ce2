"""Prove the latest backup restores: load the newest dump into a scratch database, check it, drop the scratch.

Why: a backup nobody has restored is a hope, not a backup. `make backup` writes `pg_dump --format=custom` files;
this restores the newest into a database of its own on the same server (never the live one), lists the
migrations this code would still apply, runs `check_comment_trees` against it, prints what it holds, and exits
non-zero when any step fails. Run it after each night's dump (docs/deployment.md); `make backup-check` is the command.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import environ
import postgres_ready  # scripts/, beside this file
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def latest_dump(folder: Path) -> Path:
    # `make backup` names each dump by its UTC time, so the newest sorts last (whatever the file system's clock).
    dumps = sorted(folder.glob("*.dump"))
    if not dumps:
        raise SystemExit(f"No *.dump file in {folder}: run `make backup` first.")
    return dumps[-1]


def maintenance(config: dict):
    return postgres_ready.maintenance(config, autocommit=True)


def scratch_url(config: dict, name: str) -> str:
    credentials = config.get("USER") or ""
    if config.get("PASSWORD"):
        credentials += f":{config['PASSWORD']}"
    at = f"{credentials}@" if credentials else ""
    return f"postgres://{at}{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{name}"


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CACHE_URL"))},
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_ENV_FILE": os.devnull,
        "DJANGO_DEBUG": "true",  # a check on a scratch copy: no secret key or shared cache involved
        "DATABASE_URL": url,
    }
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=Path, default=ROOT / "backups", help="folder of pg_dump files (newest wins)")
    parser.add_argument(
        "--server",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom"),
        help="a database URL on the server to restore into (its database is never touched)",
    )
    args = parser.parse_args(argv)
    dump = latest_dump(args.dumps)
    config = environ.Env.db_url_config(args.server)
    name = f"newsroom_restore_check_{os.getpid()}"
    url = scratch_url(config, name)
    say(f"Restoring {dump} into {name}")
    with maintenance(config) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        steps = [
            (
                "restore",
                subprocess.run(
                    ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", url, str(dump)],
                    capture_output=True,
                    text=True,
                ),
            ),
            ("migrations this code would apply", manage(url, "migrate", "--plan")),
            ("comment trees", manage(url, "check_comment_trees")),
            (
                "contents",
                manage(
                    url,
                    "shell",
                    "--verbosity=0",
                    "-c",
                    "from articles.models import Article; from comments.models import Comment; "
                    "from newsroom.models import User; "
                    "print(f'{Article.objects.count()} stories, {Comment.objects.count()} comments, "
                    "{User.objects.count()} accounts')",
                ),
            ),
        ]
        failed = False
        for label, result in steps:
            ok = result.returncode == 0
            failed |= not ok
            text = (result.stdout + result.stderr).strip()
            say(
                f"{label}: {'ok' if ok else 'FAILED'}"
                + (f"\n  {text.replace(chr(10), chr(10) + '  ')}" if text else "")
            )
            if label == "restore" and not ok:
                break
    finally:
        with maintenance(config) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    say("The backup restores and checks clean." if not failed else "The backup check FAILED.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
