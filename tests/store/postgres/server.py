"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir, a free port on
127.0.0.1, the unix socket in the temp dir, password login over TCP.

PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the system user
``postgres`` (or ``nobody``) through runuser, and the temp dir is theirs. The binaries
are found with ``pg_config --bindir`` or under /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

SUPERUSER = "annotator_test"
PASSWORD = "test-secret-\u00e9"
TEMPLATE = "annotator_template"


def find_bindir() -> Path | None:
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            candidates.append(done.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        path = Path(candidate)
        if all((path / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def _run_as() -> str | None:
    """The user to run the server as: None unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One initdb'd data directory and the server running on it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.passfile = self.root / "pgpass"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        password_file = self.root / "initdb-password"
        password_file.write_text(PASSWORD + "\n")
        if self.user is not None:
            os.chown(password_file, pwd.getpwnam(self.user).pw_uid, -1)
        self._tool(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        password_file.unlink()
        # The password reaches libpq the way a user's would: a passfile (PGPASSFILE).
        self.passfile.write_text(f"127.0.0.1:{self.port}:*:{SUPERUSER}:{PASSWORD}\n")
        self.passfile.chmod(0o600)

    def _tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / name), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{name} failed: {done.stdout}{done.stderr}\n{tail}")
        return done

    def start(self, durable: bool = False) -> None:
        """Start the server; ``durable`` keeps fsync and synchronous commits on (benches),
        the tests' server skips them (a killed server loses nothing the OS holds)."""
        for lock in (self.data / "postmaster.pid", self.root / f".s.PGSQL.{self.port}.lock"):
            # A killed postmaster nobody reaped (no init to reap it in a container) still
            # has its pid, and the server would take its lock files for a live server's.
            if lock.exists() and not _alive(int(lock.read_text().split()[0])):
                lock.unlink()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=120"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._tool("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                   "-t", "60", "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._as(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                         "-w", "stop"),
                capture_output=True, check=False, timeout=60,
            )  # fmt: skip

    def _as(self, *command: str) -> list[str]:
        return list(command) if self.user is None else ["runuser", "-u", self.user, "--", *command]

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill_server(self) -> None:
        """SIGKILL the postmaster and every process it started (a crashed server), and
        wait until they are gone, so that it can be started again."""
        parent = self.postmaster_pid()
        children = [pid for pid in _pids() if _parent_of(pid) == parent]
        for pid in [parent, *children]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in [parent, *children]) and time.monotonic() < deadline:
            time.sleep(0.05)

    def url(self, database: str, password: str | None = None) -> str:
        user = SUPERUSER if password is None else f"{SUPERUSER}:{password}"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True, passfile=str(self.passfile))

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Databases:
    """Databases made for one test in a running cluster, dropped after it."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.made: list[str] = []

    def new(self, template: str | None = TEMPLATE) -> str:
        """A fresh database (an empty project, copied from the template, by default)
        and its URL (no password in it: the passfile has it)."""
        name = f"test_{os.getpid()}_{len(self.made)}_{time.monotonic_ns()}"
        copied = f" TEMPLATE {template}" if template else ""
        with self.cluster.admin() as admin:
            admin.execute(f"CREATE DATABASE {name}{copied}".encode())
        self.made.append(name)
        return self.cluster.url(name)

    def drop_all(self) -> None:
        with self.cluster.admin() as admin:
            for name in self.made:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        self.made.clear()


def start_test_cluster() -> Cluster | str:
    """A running cluster with the template project database, or why there is none."""
    bindir = find_bindir()
    if bindir is None:
        return "no PostgreSQL binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)"
    cluster = Cluster(bindir)
    try:
        cluster.start()
        os.environ["PGPASSFILE"] = str(cluster.passfile)
        with cluster.admin() as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}".encode())
        from annotator.store.postgres import create_postgres

        create_postgres(cluster.url(TEMPLATE), name="project").close()
    except BaseException:
        cluster.remove()
        raise
    return cluster
