"""The scale-out stack of docs/deployment.md, on this machine's loopback: python scripts/stack.py up|down|status

`up` (`make stack`) starts, in STACK_DIR (.stack/ by default, git-ignored): a PostgreSQL primary and a streaming
replica (clusters of their own, tests.servers.PostgresCluster), PgBouncer in transaction mode in front of the
primary, two gunicorn web nodes (deploy/gunicorn.conf.py), an RQ worker, and Varnish (deploy/varnish/default.vcl)
in front of the nodes; Redis is the one this machine runs (two database numbers of its own). It migrates, seeds the
demo, prints the addresses (the edge on a line of its own) and leaves it all running; `down` (`make stack-down`)
stops exactly the processes it recorded in STACK_DIR/state.json and removes the folder.

The load test (bench/load_stack.py) starts the same stack from this module in a folder of its own.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import tools  # noqa: E402
from tests.servers import PgBouncer, PostgresCluster, Varnish, WebNode, Worker, free_port  # noqa: E402

DATABASE = "newsroom"
# The site's host name behind the edge (the VCL's probe asks for it), beside the loopback names.
HOSTS = "127.0.0.1,localhost,news.example.com"


@dataclass
class Stack:
    """The stack's processes, started by `up()` and stopped by `down()` (or, from another process, `stop_recorded`)."""

    directory: Path
    redis_url: str = "redis://127.0.0.1:6379"
    cache_db: int = 3
    tasks_db: int = 4
    nodes: int = 2
    # One gunicorn worker (8 threads) a node: two nodes, the worker, PostgreSQL and Varnish share two cores here.
    node_workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.primary = PostgresCluster(self.directory / "primary")
        self.replica = None
        self.bouncer = None
        self.web: list[WebNode] = []
        self.worker = None
        self.varnish = None
        self.node_ports = [free_port() for _ in range(self.nodes)]

    def env(self) -> dict[str, str]:
        """The production settings of every node and the worker (DEBUG off; no TLS on loopback)."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_ENV_FILE": "/nonexistent",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": HOSTS,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "NEWSROOM_BASE_URL": self.varnish.url,
            "DATABASE_URL": self.bouncer.url(DATABASE),
            "DATABASE_TRANSACTION_POOLING": "true",
            "DATABASE_REPLICA_URL": self.replica.url(DATABASE),
            "CACHE_URL": f"{self.redis_url}/{self.cache_db}",
            "TASKS_URL": f"{self.redis_url}/{self.tasks_db}",
            "EDGE_PURGE_URLS": f"{self.varnish.url}/",
            "EMAIL_URL": "consolemail://",
            "DJANGO_STATIC_ROOT": str(self.directory / "static"),
            "DJANGO_MEDIA_ROOT": str(self.directory / "media"),
            "DJANGO_SERVE_MEDIA": "true",
            "GUNICORN_WORKERS": str(self.node_workers),
            "DJANGO_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    def manage(self, *command: str, direct: bool = False, debug: bool = False) -> str:
        """manage.py with the nodes' settings; `direct` talks to the primary itself (migrations), not PgBouncer;
        `debug` runs it with debug on (the demo's known passwords: this stack listens on loopback only)."""
        env = self.env()
        if direct:
            env["DATABASE_URL"] = self.primary.url(DATABASE)
        if debug:
            env["DJANGO_DEBUG"] = "true"
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
        return done.stdout

    def python(self, code: str) -> str:
        """Run `code` in a Django process with the nodes' settings (through PgBouncer); its standard output."""
        script = f"import django\ndjango.setup()\n{code}"
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self.env(), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"stack script failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def up(self, *, say, seed: bool = True) -> "Stack":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)  # the clusters run as the postgres user, inside it
        self.secret_key = secrets.token_urlsafe(40)
        self.accounts = ""
        try:
            say("PostgreSQL primary ...")
            self.primary.start()
            self.primary.create_database(DATABASE)
            say("PostgreSQL streaming replica ...")
            self.replica = self.primary.replica(self.directory / "replica").start()
            self.bouncer = PgBouncer(self.directory / "pgbouncer", server_port=self.primary.port).start()
            self.varnish = Varnish(tools.varnishd(), self.directory / "varnish", self.node_ports)
            self._flush_redis()
            say("migrate, collectstatic" + (", seed_demo" if seed else "") + " ...")
            self.manage("migrate", "--noinput", direct=True)
            self.manage("collectstatic", "--noinput")
            if seed:
                self.accounts = self.manage("seed_demo", debug=True)
            logs = self.directory / "logs"
            logs.mkdir(exist_ok=True)
            self.worker = Worker(self.env(), logs / "worker.log").start()
            for n, port in enumerate(self.node_ports, start=1):
                self.web.append(WebNode(self.env(), logs / f"web{n}.log", port=port).start())
            (self.directory / "varnish").mkdir(exist_ok=True)
            self.varnish.start()
        except BaseException:
            self.down()
            raise
        self.record()
        return self

    def _flush_redis(self) -> None:
        import redis

        for db in {self.cache_db, self.tasks_db}:
            redis.Redis.from_url(f"{self.redis_url}/{db}").flushdb()

    def addresses(self) -> dict[str, str]:
        found = {"edge": f"{self.varnish.url}/"}
        found.update({f"web{n}": f"{node.url}/" for n, node in enumerate(self.web, start=1)})
        found["pgbouncer"] = self.bouncer.url(DATABASE)
        found["primary"] = self.primary.url(DATABASE)
        found["replica"] = self.replica.url(DATABASE)
        found["redis cache"] = f"{self.redis_url}/{self.cache_db}"
        found["redis tasks"] = f"{self.redis_url}/{self.tasks_db}"
        return found

    def record(self) -> None:
        """What `down` from another process needs: every process id and cluster folder, and the addresses."""
        state = {
            "addresses": self.addresses(),
            "pids": {
                "varnish": self.varnish.process.pid,
                **{f"web{n}": node.pid for n, node in enumerate(self.web, start=1)},
                "worker": self.worker.process.pid,
                "pgbouncer": self.bouncer.pid,
            },
            "clusters": [str(self.replica.directory), str(self.primary.directory)],
        }
        (self.directory / "state.json").write_text(json.dumps(state, indent=2) + "\n")

    def down(self) -> None:
        """Stop what this object started, the edge first and the primary last."""
        for server in (self.varnish, *reversed(self.web), self.worker, self.bouncer, self.replica, self.primary):
            if server is not None and _started(server):
                server.stop()


def _started(server) -> bool:
    if isinstance(server, PostgresCluster):
        return (server.directory / "postmaster.pid").exists()
    return getattr(server, "process", None) is not None or getattr(server, "pid", None) is not None


def stop_pid(pid: int, *, grace: float = 30) -> None:
    """SIGTERM to the process group `pid` leads (each server was started in a session of its own), SIGKILL after
    `grace` seconds; nothing if it is gone already."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)


def stop_recorded(directory: Path) -> bool:
    """`make stack-down`: stop the processes and clusters recorded in state.json, then remove the folder."""
    state_file = directory / "state.json"
    if not state_file.exists():
        return False
    state = json.loads(state_file.read_text())
    for name, pid in state["pids"].items():
        say(f"stopping {name} (process group {pid})")
        stop_pid(pid)
    for cluster in state["clusters"]:
        say(f"stopping the PostgreSQL cluster in {cluster}")
        PostgresCluster(Path(cluster)).stop()
    shutil.rmtree(directory)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("STACK_DIR", ROOT / ".stack")))
    parser.add_argument("--cache-db", type=int, default=3, help="Redis database number of the cache and rate limits")
    parser.add_argument("--tasks-db", type=int, default=4, help="Redis database number of the task queue")
    args = parser.parse_args()
    state_file = args.dir / "state.json"
    if args.command == "down":
        if not stop_recorded(args.dir):
            say(f"No stack is recorded in {args.dir}: nothing to stop.")
        return
    if state_file.exists():
        say(f"A stack is recorded in {args.dir} already (`make stack-down` stops it):")
        print_addresses(json.loads(state_file.read_text())["addresses"])
        return
    if args.command == "status":
        say(f"No stack is recorded in {args.dir}.")
        return
    if args.dir.exists():
        shutil.rmtree(args.dir)  # what a stack that failed to start left
    stack = Stack(args.dir, cache_db=args.cache_db, tasks_db=args.tasks_db).up(say=say)
    say(stack.accounts.strip())
    say("The stack is up (`make stack-down` stops it):")
    print_addresses(stack.addresses())


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def print_addresses(addresses: dict[str, str]) -> None:
    for name, address in addresses.items():
        say(f"{name}: {address}")


if __name__ == "__main__":
    main()
