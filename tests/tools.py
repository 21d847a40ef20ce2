"""The outside tools the real-client tests run (Chromium, Java, npm packages): found, or skipped with the reason.

Under CI=true a missing tool fails the test instead (tests/conftest.py turns these skips into failures), so the
checks cannot vanish from CI because an install step did not run. `make test` installs every one of them.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

__all__ = [
    "MISSING_TOOL",
    "ROOT",
    "chromium",
    "java",
    "node_module",
    "pgbouncer",
    "postgresql",
    "redis_server",
    "varnishd",
]

# Every skip for a missing tool starts with this, so the CI hook can tell them from deliberate skips.
MISSING_TOOL = "missing tool:"

ROOT = Path(__file__).resolve().parent.parent


def _missing(what: str) -> None:
    pytest.skip(f"{MISSING_TOOL} {what} (`make test` installs it; required under CI=true)")


def chromium() -> str:
    """Debian's Chromium (Playwright drives it; we never download a browser build of Playwright's own)."""
    path = os.environ.get("NEWSROOM_CHROMIUM", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        _missing(f"Chromium at {path} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright Python package (pyproject's dev group)")
    return path


def gettext() -> None:
    """GNU gettext's tools (xgettext, msgmerge, msgattrib, msgfmt): makemessages and compilemessages run them."""
    for tool in ("xgettext", "msgmerge", "msgattrib", "msgfmt"):
        if shutil.which(tool) is None:
            _missing(f"{tool} (apt-get install gettext)")


def compiled_catalogues() -> None:
    """The translation catalogues' .mo files, built by `make catalogues` (install, run and test depend on it): without
    them the site answers in English whatever the reader asks, which would read as a failure of the translations."""
    stale = [
        str(po.relative_to(ROOT))
        for po in sorted((ROOT / "newsroom" / "locale").glob("*/LC_MESSAGES/*.po"))
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        pytest.fail(f"not compiled, or older than their .po: {stale}; run `make catalogues`")


def java() -> str:
    path = shutil.which("java")
    if path is None:
        _missing("java, which runs the Nu HTML checker (apt-get install default-jre-headless)")
    return path


def redis_server() -> str:
    """Debian's redis-server (the machine's Redis is one): tests that need a Redis of their own start one."""
    path = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if path is None:
        _missing("redis-server (apt-get install redis-server)")
    return path


def varnishd() -> str:
    """Debian's Varnish with vmod xkey (varnish-modules): the edge tests run it in front of a live server."""
    path = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if path is None:
        _missing("varnishd (apt-get install varnish varnish-modules)")
    with tempfile.TemporaryDirectory() as work:
        vcl = Path(work, "xkey.vcl")
        vcl.write_text("vcl 4.1;\nimport xkey;\nbackend none none;\n")
        compiled = subprocess.run(
            [path, "-C", "-j", "none", "-n", work, "-f", str(vcl)], capture_output=True, text=True
        )
    if compiled.returncode != 0:
        _missing(f"vmod xkey for varnishd (apt-get install varnish-modules): {compiled.stderr.strip()[-300:]}")
    return path


def postgresql() -> Path:
    """Debian's PostgreSQL 15 server binaries (initdb, pg_ctl, pg_basebackup): the replica tests run clusters of
    their own with them (tests.servers.PostgresCluster)."""
    path = Path("/usr/lib/postgresql/15/bin")
    if not all(os.access(path / name, os.X_OK) for name in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
        _missing(f"PostgreSQL 15's server in {path} (apt-get install postgresql-15)")
    return path


def pgbouncer() -> str:
    """Debian's PgBouncer: the pooler tests put it, in transaction mode, between Django and PostgreSQL."""
    path = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if path is None:
        _missing("pgbouncer (apt-get install pgbouncer)")
    return path


def node_module(relative: str) -> Path:
    """A file from the project's node_modules (installed by `npm ci` from package-lock.json): a tool or test data."""
    path = ROOT / "node_modules" / relative
    if not path.exists():
        _missing(f"node_modules/{relative} (npm ci)")
    return path
