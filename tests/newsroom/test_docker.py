"""The image never carries a development checkout's settings: .env stays out, and the image reads no env file."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_development_env_file_never_reaches_an_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")}
    assert {".env", ".venv", "db.sqlite3*", "media"} <= ignored
    assert "DJANGO_ENV_FILE=/dev/null" in (ROOT / "Dockerfile").read_text()
