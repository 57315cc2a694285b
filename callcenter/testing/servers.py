"""Real servers the tests start for themselves: a PgBouncer, a streaming replica of PostgreSQL,
an S3-compatible object store. Each listens on a free port of 127.0.0.1, lives in a directory of
its own and is stopped (and its directory removed) when its context ends.

PostgreSQL and PgBouncer refuse to run as root: as root they run as the `postgres` user (the one
tools/services.sh uses), in a directory that user can reach: /var/lib/callcenter-dev/ rather than
.local/ (a checkout under /root is closed to other users)."""

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent
SERVER_USER = "postgres"


class ServerMissing(RuntimeError):
    """A program the test needs is not installed (`make test` installs it)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_root() -> bool:
    return os.geteuid() == 0


def program(name: str, *candidates: str) -> str:
    for path in [shutil.which(name), *candidates]:
        if path and os.access(path, os.X_OK):
            return path
    raise ServerMissing(
        f"{name} is not installed: `make test` installs it (tools/apt-ensure.sh), or apt-get install it"
    )


def postgres_bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for bindir in reversed(versions):
        if (bindir / "pg_basebackup").exists() and (bindir / "postgres").exists():
            return bindir
    raise ServerMissing("PostgreSQL server binaries not found under /usr/lib/postgresql")


def server_base_dir() -> Path:
    """Where servers run by the unprivileged user keep their files (see the module docstring)."""
    if not is_root():
        return PROJECT / ".local" / "test-servers"
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in PROJECT.name)
    digest = hashlib.sha256(str(PROJECT).encode()).hexdigest()[:12]
    return Path("/var/lib/callcenter-dev") / f"{name}-{digest}" / "test-servers"


@contextlib.contextmanager
def server_directory(kind: str):
    """A fresh directory owned by the user the servers run as; removed afterwards."""
    base = server_base_dir()
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=base))
    if is_root():
        shutil.chown(base, SERVER_USER)
        shutil.chown(path, SERVER_USER)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def as_server_user() -> dict:
    """subprocess arguments that run a program as the servers' user (nothing when not root)."""
    if not is_root():
        return {}
    return {"user": SERVER_USER, "group": SERVER_USER, "extra_groups": [], "cwd": "/"}


def write_owned(path: Path, text: str) -> None:
    path.write_text(text)
    if is_root():
        shutil.chown(path, SERVER_USER)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s: {tail(log)}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return f"(no log at {path})"


# ---------------------------------------------------------------- PgBouncer


@contextlib.contextmanager
def pgbouncer(*, host: str, port: int | str, pool_size: int = 60):
    """A PgBouncer in transaction mode in front of the PostgreSQL at host:port (any database, trust
    authentication as on the test servers); yields its port."""
    binary = program("pgbouncer", "/usr/sbin/pgbouncer")
    with server_directory("pgbouncer") as directory:
        listen = free_port()
        log = directory / "pgbouncer.log"
        write_owned(directory / "users.txt", '"postgres" ""\n')
        write_owned(
            directory / "pgbouncer.ini",
            f"""[databases]
* = host={host or "127.0.0.1"} port={port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
admin_users = postgres
ignore_startup_parameters = extra_float_digits,options
logfile = {log}
pidfile = {directory}/pgbouncer.pid
""",
        )
        process = subprocess.Popen(
            [binary, str(directory / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **as_server_user(),
        )
        try:
            wait_for_port(listen, process, log)
            yield listen
        finally:
            stop(process)


# ---------------------------------------------------------------- PostgreSQL primary + hot standby

CLUSTER_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 4
hot_standby = on
wal_receiver_status_interval = 1s
# Throwaway test servers: nothing needs to survive a crash, and autovacuum is off as on the host.
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
shared_buffers = 32MB
"""


class PostgresServer:
    """One `postgres` process on a data directory, started and stopped on demand."""

    def __init__(self, bindir: Path, data: Path, port: int):
        self.bindir, self.data, self.port = bindir, data, port
        self.log = data.parent / f"{data.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log, "a")
        try:
            self.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data)],
                stdout=log,
                stderr=subprocess.STDOUT,
                **as_server_user(),
            )
        finally:
            log.close()
        wait_for_port(self.port, self.process, self.log, timeout=60)
        # Listening is not accepting yet (a standby starts up, then opens for connections).
        deadline = time.monotonic() + 60
        while subprocess.run(
            [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
        ).returncode:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL on {self.port} does not accept connections: {tail(self.log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, signal.SIGINT)  # fast shutdown
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _run_as_server_user(args: list[str], log: Path) -> None:
    with open(log, "a") as out:
        result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False, **as_server_user())
    if result.returncode:
        raise RuntimeError(f"{Path(args[0]).name} failed ({result.returncode}): {tail(log)}")


@contextlib.contextmanager
def streaming_replica_pair():
    """A throwaway PostgreSQL primary and a hot standby streaming from it (pg_basebackup -R of the
    primary), both on free ports; yields (primary, standby) PostgresServer objects."""
    bindir = postgres_bindir()
    with server_directory("replica-pair") as directory:
        primary = PostgresServer(bindir, directory / "primary", free_port())
        standby = PostgresServer(bindir, directory / "standby", free_port())
        setup_log = directory / "setup.log"
        try:
            # initdb's default pg_hba.conf with --auth=trust lets 127.0.0.1 connect for replication.
            _run_as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(primary.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
                setup_log,
            )
            with open(primary.data / "postgresql.conf", "a") as conf:
                conf.write(CLUSTER_SETTINGS.format(port=primary.port))
            primary.start()
            _run_as_server_user(
                [
                    str(bindir / "pg_basebackup"),
                    "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(standby.data), "-R", "-X", "stream", "--checkpoint=fast",
                ],
                setup_log,
            )  # fmt: skip
            with open(standby.data / "postgresql.conf", "a") as conf:
                conf.write(f"\nport = {standby.port}\n")
            standby.start()
            yield primary, standby
        finally:
            standby.stop()
            primary.stop()


# ---------------------------------------------------------------- S3-compatible object store

S3_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@contextlib.contextmanager
def s3_server():
    """moto's S3-compatible server as a process of its own (HTTP on a free port); yields its URL.
    It accepts any credentials: S3_TEST_CREDENTIALS are what the tests sign with."""
    import sys

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="callcenter-s3-") as directory:
        log = Path(directory) / "moto.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
