"""Dependencies run one way: articles imports neither comments nor the site package's views, and no app imports
another app's views (docs/architecture.md). No SQL leaves state in a database session, which PgBouncer's transaction
pooling would hand to another client (docs/deployment.md)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("newsroom", "articles", "comments")


def imports(app: str, root: Path = ROOT) -> list[tuple[str, str]]:
    """(module file, imported module) for every import in the app's code, migrations aside."""
    found = []
    for path in sorted((root / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(str(path.relative_to(root)), f"{node.module}.{alias.name}") for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(str(path.relative_to(root)), alias.name) for alias in node.names]
    return found


def other_apps_views(app: str, root: Path = ROOT) -> list[tuple[str, str]]:
    return [
        (path, name)
        for path, name in imports(app, root)
        if name.split(".")[0] in APPS and name.split(".")[0] != app and ".views" in f".{name}"
    ]


def test_articles_imports_nothing_from_comments():
    assert [(path, name) for path, name in imports("articles") if name.split(".")[0] == "comments"] == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_another_apps_views(app):
    assert other_apps_views(app) == []


def test_the_check_sees_an_import_of_another_apps_view(tmp_path):
    (tmp_path / "newsroom").mkdir()
    (tmp_path / "newsroom" / "views.py").write_text(
        "from articles.views import home\nfrom comments import views\nfrom newsroom import views as own\n"
    )
    assert other_apps_views("newsroom", tmp_path) == [
        ("newsroom/views.py", "articles.views.home"),
        ("newsroom/views.py", "comments.views"),
    ]


# SQL whose effect outlives its transaction, each with what to write instead. Under transaction pooling the server
# session is another client's after COMMIT: a session lock would never be released (or by the wrong client).
SESSION_STATE = {
    "a session-level advisory lock (use pg_advisory_xact_lock)": re.compile(
        r"pg_(try_)?advisory_(un)?lock(_shared|_all)?\s*\(", re.IGNORECASE
    ),
    # Keywords in capitals, as this code writes SQL: prose such as "Set the count..." is not matched.
    "SET without LOCAL": re.compile(r"^\s*SET\s+(?!LOCAL\b)"),
    "set_config(..., false) (use true: local to the transaction)": re.compile(
        r"set_config\s*\([^)]*,\s*false\s*\)", re.IGNORECASE
    ),
    "LISTEN": re.compile(r"^\s*LISTEN\b"),
    "a temporary table not dropped on commit": re.compile(
        r"CREATE\s+TEMP(ORARY)?\s+TABLE(?![^;]*ON\s+COMMIT\s+DROP)", re.IGNORECASE | re.DOTALL
    ),
}


def session_state_sql(app: str, root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(module file, line, what) for every string in the app's code, migrations included, that looks like SQL keeping
    session state."""
    found = []
    for path in sorted((root / app).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [
                    (str(path.relative_to(root)), node.lineno, what)
                    for what, pattern in SESSION_STATE.items()
                    if pattern.search(node.value)
                ]
    return sorted(found)


@pytest.mark.parametrize("app", APPS)
def test_no_sql_keeps_session_state(app):
    assert session_state_sql(app) == []


def test_the_check_sees_sql_that_keeps_session_state(tmp_path):
    (tmp_path / "comments").mkdir()
    (tmp_path / "comments" / "locking.py").write_text(
        "# pg_advisory_lock( in a comment is no SQL\n"
        'LOCK = "SELECT pg_advisory_lock(%s, %s)"\n'
        'TRY = "SELECT pg_try_advisory_lock(1)"\n'
        'FINE = "SELECT pg_advisory_xact_lock(%s, tree_id) FROM t"\n'
        'TIMEOUT = "SET statement_timeout = 10"\n'
        'LOCAL = "SET LOCAL statement_timeout = 10"\n'
        'UPDATE = "UPDATE t SET lft = 1"\n'
        "CONFIG = \"SELECT set_config('lock_timeout', '1s', false)\"\n"
        "LOCAL_CONFIG = \"SELECT set_config('lock_timeout', '1s', true)\"\n"
        'WAIT = f"LISTEN {channel}"\n'
        'TEMP = "CREATE TEMP TABLE x (id int)"\n'
        'DROPPED = "CREATE TEMPORARY TABLE y (id int) ON COMMIT DROP"\n'
    )
    assert session_state_sql("comments", tmp_path) == [
        ("comments/locking.py", 2, "a session-level advisory lock (use pg_advisory_xact_lock)"),
        ("comments/locking.py", 3, "a session-level advisory lock (use pg_advisory_xact_lock)"),
        ("comments/locking.py", 5, "SET without LOCAL"),
        ("comments/locking.py", 8, "set_config(..., false) (use true: local to the transaction)"),
        ("comments/locking.py", 10, "LISTEN"),
        ("comments/locking.py", 11, "a temporary table not dropped on commit"),
    ]
