"""docker-compose.yml's contract, checked without a Docker engine."""

import json
import re
import shlex
from importlib.resources import files
from pathlib import Path

import environ
import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The Compose Specification's own schema/compose-spec.json (Apache-2.0), as check-jsonschema vendors it for its
# `--builtin-schema vendor.compose-spec` (PyPI, pyproject's dev group); its licence sits beside it in the package.
SCHEMA = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_compose_file_is_valid_against_the_compose_specification(compose, validator):
    validator.validate(compose)


def test_schema_catches_a_typo_in_the_healthcheck_condition(compose, validator):
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["depends_on"]["db"]["condition"] = "healthy"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_db_is_official_postgres_with_volume_and_pg_isready_healthcheck(compose):
    db = compose["services"]["db"]
    assert db["image"].split(":")[0] == "postgres"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert db["volumes"][0].split(":")[0] in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_web_waits_for_a_healthy_db_and_redis(compose):
    assert compose["services"]["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_web_database_url_points_at_the_db_service_with_its_credentials(compose):
    db_env = compose["services"]["db"]["environment"]
    config = environ.Env.db_url_config(compose["services"]["web"]["environment"]["DATABASE_URL"])
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["NAME"], config["USER"], config["PASSWORD"]) == (
        "db",
        db_env["POSTGRES_DB"],
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_PASSWORD"],
    )


@pytest.mark.parametrize("service", ["web", "worker"])
def test_service_environment_uses_only_documented_settings(compose, service):
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    settings_source = (ROOT / "newsroom" / "settings.py").read_text()
    for name in compose["services"][service]["environment"]:
        assert name in documented, f"{name} is not in .env.example"
        assert f'"{name}"' in settings_source, f"{name} is not read by settings.py"


def test_web_mounts_source_and_media_and_publishes_port_8000(compose):
    web = compose["services"]["web"]
    assert ".:/app" in web["volumes"]
    media = [v for v in web["volumes"] if v.endswith(":" + web["environment"]["DJANGO_MEDIA_ROOT"])]
    assert media and media[0].split(":")[0] in compose["volumes"]
    assert web["ports"] == ["8000:8000"]
    assert web["build"] == "."


def makefile_run_commands():
    """The manage.py commands of `make run`, with the Makefile's variables taken off."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    return [line.split("manage.py", 1)[1].split() for line in recipe.splitlines() if "manage.py" in line]


def test_web_command_runs_the_same_steps_as_make_run(compose):
    command = compose["services"]["web"]["command"]
    args = shlex.split(command)
    assert args[:2] == ["sh", "-c"]
    steps = [step.split("manage.py", 1)[1].split() for step in args[2].split("&&")]
    make_steps = makefile_run_commands()
    # Same commands in the same order; only the address differs (a container listens on every interface).
    assert [s[:-1] if s[0] == "runserver" else s for s in steps] == [
        s[:-1] if s[0] == "runserver" else s for s in make_steps
    ]
    assert steps[-1] == ["runserver", "0.0.0.0:8000"]
    assert make_steps[-1] == ["runserver", "$(ADDR)"]


def test_redis_is_official_with_a_ping_healthcheck_and_web_waits_for_it(compose):
    redis = compose["services"]["redis"]
    assert redis["image"].split(":")[0] == "redis"
    assert "ping" in redis["healthcheck"]["test"]
    assert compose["services"]["web"]["depends_on"]["redis"] == {"condition": "service_healthy"}


def makefile_worker_command():
    recipe = re.search(r"^worker:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    (line,) = [line for line in recipe.splitlines() if "manage.py" in line]
    return line.split("manage.py", 1)[1].split()


def test_worker_runs_the_same_command_as_make_worker_and_the_tests(compose):
    from tests.servers import WORKER_COMMAND

    worker = compose["services"]["worker"]
    args = shlex.split(worker["command"])
    assert args[:2] == ["python", "manage.py"]
    assert args[2:] == makefile_worker_command() == WORKER_COMMAND


def test_worker_shares_the_database_broker_and_media_with_web(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    for name in ("DATABASE_URL", "TASKS_URL", "DJANGO_MEDIA_ROOT", "EMAIL_URL"):
        assert worker["environment"][name] == web["environment"][name]
    assert worker["environment"]["TASKS_URL"].startswith("redis://redis:")
    assert [v for v in worker["volumes"] if v.startswith("media:")] == [
        f"media:{web['environment']['DJANGO_MEDIA_ROOT']}"
    ]
    assert worker["depends_on"]["db"] == worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["build"] == "."
