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
    broken["services"]["web"]["depends_on"]["redis"]["condition"] = "healthy"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_db_is_official_postgres_with_volume_and_pg_isready_healthcheck(compose):
    db = compose["services"]["db"]
    assert db["image"].split(":")[0] == "postgres"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert db["volumes"][0].split(":")[0] in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_web_waits_for_a_healthy_pooler_replica_and_redis(compose):
    assert compose["services"]["web"]["depends_on"] == {
        "pgbouncer": {"condition": "service_healthy"},
        "replica": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def database(url: str) -> tuple:
    """(host, name, user, password) of a DATABASE_URL, checked to be PostgreSQL."""
    config = environ.Env.db_url_config(url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    return config["HOST"], config["NAME"], config["USER"], config["PASSWORD"]


@pytest.mark.parametrize("service", ["web", "web2", "worker"])
def test_the_site_reaches_the_primary_through_pgbouncer_in_transaction_mode(compose, service):
    db_env = compose["services"]["db"]["environment"]
    credentials = (db_env["POSTGRES_DB"], db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    bouncer = compose["services"]["pgbouncer"]
    assert database(bouncer["environment"]["DATABASE_URL"]) == ("db", *credentials)
    assert bouncer["environment"]["POOL_MODE"] == "transaction"
    assert bouncer["depends_on"]["db"] == {"condition": "service_healthy"}
    env = compose["services"][service]["environment"]
    assert database(env["DATABASE_URL"]) == ("pgbouncer", *credentials)
    # What transaction pooling requires of Django (newsroom/settings.py).
    assert env["DATABASE_TRANSACTION_POOLING"] == "true"


def test_the_web_nodes_read_from_a_streaming_replica_of_the_primary(compose):
    db_env = compose["services"]["db"]["environment"]
    replica = compose["services"]["replica"]
    assert replica["image"] == compose["services"]["db"]["image"]
    assert replica["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "pg_isready" in " ".join(replica["healthcheck"]["test"])
    copy = shlex.split(shlex.split(replica["command"])[2].split("||")[1])
    assert copy[:2] == ["{", "pg_basebackup"]
    assert {"-h", "db", "-U", db_env["POSTGRES_USER"], "-R"} <= set(copy)
    data = replica["volumes"][0].split(":")[0]  # its own copy
    assert data in compose["volumes"] and data != compose["services"]["db"]["volumes"][0].split(":")[0]
    # The primary lets it stream (the script the official image runs when it creates the database).
    (init,) = [v for v in compose["services"]["db"]["volumes"] if "/docker-entrypoint-initdb.d/" in v]
    script = (ROOT / init.split(":")[0]).read_text()
    assert "host replication all all scram-sha-256" in script
    for service in ("web", "web2"):
        url = compose["services"][service]["environment"]["DATABASE_REPLICA_URL"]
        assert database(url) == ("replica", db_env["POSTGRES_DB"], db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])


def test_both_web_nodes_run_the_same_command_environment_and_source(compose):
    web, web2 = compose["services"]["web"], compose["services"]["web2"]
    for key in ("build", "command", "environment", "volumes"):
        assert web2[key] == web[key], key
    # The second waits until the first has migrated; only the first is published, the edge is the way in.
    assert web2["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert "ports" not in web2


def vcl_backends() -> list[tuple[str, str, str]]:
    vcl = (ROOT / "deploy" / "varnish" / "default.vcl").read_text()
    return re.findall(r'^backend (\w+) \{\n    \.host = "([^"]+)";\n    \.port = "(\d+)";', vcl, re.M)


def test_varnish_runs_the_shipped_vcl_in_front_of_both_nodes(compose):
    varnish = compose["services"]["varnish"]
    assert re.fullmatch(r"varnish:7\.\d+", varnish["image"])  # the official image: varnish-modules included
    args = shlex.split(varnish["command"])
    vcl_path = args[args.index("-f") + 1]
    assert varnish["volumes"] == [f"./deploy/varnish/default.vcl:{vcl_path}:ro"]
    port = args[args.index("-a") + 1].removeprefix(":")
    assert varnish["ports"] == [f"{port}:{port}"]
    # Its backends are the two nodes, on the port their command serves.
    node_port = shlex.split(compose["services"]["web"]["command"])[2].rsplit(":", 1)[1]
    assert [(host, port) for _name, host, port in vcl_backends()] == [("web", node_port), ("web2", node_port)]
    assert set(varnish["depends_on"]) == {"web", "web2", "worker"}
    # Everything that purges names this edge, and may (the VCL's purgers).
    vcl = (ROOT / "deploy" / "varnish" / "default.vcl").read_text()
    purgers = re.search(r"^acl purgers \{\n(.*?)^\}", vcl, re.M | re.S).group(1)
    for service in ("web", "web2", "worker"):
        assert compose["services"][service]["environment"]["EDGE_PURGE_URLS"] == f"http://varnish:{port}/"
        assert f'("{service}");' in purgers


def test_the_nodes_and_the_worker_share_one_redis_cache(compose):
    urls = {compose["services"][s]["environment"]["CACHE_URL"] for s in ("web", "web2", "worker")}
    (url,) = urls
    assert url.startswith("redis://redis:")


@pytest.mark.parametrize("service", ["web", "web2", "worker", "cron"])
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


def test_the_cron_scheduler_runs_the_same_command_as_make_cron_on_the_workers_broker(compose):
    from tests.servers import CRON_COMMAND

    recipe = re.search(r"^cron:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    (line,) = [line for line in recipe.splitlines() if "manage.py" in line]
    cron = compose["services"]["cron"]
    assert shlex.split(cron["command"]) == ["python", "manage.py", *CRON_COMMAND]
    assert line.split("manage.py", 1)[1].split() == CRON_COMMAND
    assert cron["environment"]["TASKS_URL"] == compose["services"]["worker"]["environment"]["TASKS_URL"]


def test_worker_shares_the_database_broker_and_media_with_web(compose):
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    for name in ("DATABASE_URL", "TASKS_URL", "DJANGO_MEDIA_ROOT", "EMAIL_URL"):
        assert worker["environment"][name] == web["environment"][name]
    assert worker["environment"]["TASKS_URL"].startswith("redis://redis:")
    assert [v for v in worker["volumes"] if v.startswith("media:")] == [
        f"media:{web['environment']['DJANGO_MEDIA_ROOT']}"
    ]
    assert worker["depends_on"]["pgbouncer"] == worker["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert worker["build"] == "."
