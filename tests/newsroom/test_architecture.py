"""Dependencies run one way: articles imports neither comments nor the site package's views, and no app imports
another app's views (docs/architecture.md)."""

import ast
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
