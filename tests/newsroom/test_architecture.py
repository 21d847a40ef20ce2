"""Dependencies run one way: articles imports neither comments nor the site package's views, and no app imports
another app's views (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("newsroom", "articles", "comments")


def imports(app: str) -> list[tuple[str, str]]:
    """(module file, imported module) for every import in the app's code, migrations aside."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found += [(str(path.relative_to(ROOT)), f"{node.module}.{alias.name}") for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
    return found


def test_articles_imports_nothing_from_comments():
    assert [(path, name) for path, name in imports("articles") if name.split(".")[0] == "comments"] == []


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_another_apps_views(app):
    other_views = [
        (path, name)
        for path, name in imports(app)
        if name.split(".")[0] in APPS and name.split(".")[0] != app and ".views" in f".{name}"
    ]
    assert other_views == []


def test_the_check_sees_an_import_of_a_view():
    tree = ast.parse("from articles.views import home\nfrom comments import views")
    names = [f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert [name for name in names if ".views" in f".{name}"] == ["articles.views.home", "comments.views"]
