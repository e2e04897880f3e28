"""A throwaway PostgreSQL server for the test session: initdb + pg_ctl in a temp folder.

One server per test session, on a free port on 127.0.0.1, with its socket in the same temp
folder; each test gets a fresh database copied from a migrated template (CREATE DATABASE …
TEMPLATE, a file copy: milliseconds). PostgreSQL refuses to run as root, so as root the
server runs as an unprivileged user (`postgres` when it exists, else `nobody`) that owns the
folder. TCP connections need a password (scram-sha-256, so a wrong password is a real
refusal); the local socket trusts, for the fixture's own housekeeping.

The binaries: $AFTERSALES_PG_BINDIR (only there, when set), else `pg_config --bindir`, else
the newest /usr/lib/postgresql/*/bin (Debian's layout).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

# The system's temp folder, read before any test points `tempfile` at its own (conftest's
# hermetic fixture): the server's folder must be reachable by the unprivileged user, and a
# unix socket path must stay short (about 100 bytes at most).
SYSTEM_TEMP = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())

SUPERUSER = "aftersales_test"
PASSWORD = "pg-test-秘密-pw"  # noqa: S105 - a throwaway server's, known to the tests on purpose
TEMPLATE = "aftersales_template"


class PgUnavailable(Exception):
    """No PostgreSQL binaries on this machine (or they would not start)."""


def find_bindir() -> Path | None:
    given = os.environ.get("AFTERSALES_PG_BINDIR")
    if given:  # an explicit choice: that folder or nothing
        bindir = Path(given)
        return bindir if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file() else None
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))

    def version(path: str) -> tuple[int, ...]:
        digits = Path(path).parent.name
        return tuple(int(p) for p in digits.split(".") if p.isdigit())

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    candidates += [Path(p).parent for p in found]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="aftersales-pg-", dir=SYSTEM_TEMP))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.logfile = self.root / "server.log"
        self.port = 0
        self._user: pwd.struct_passwd | None = None
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._admin = None  # a psycopg connection over the socket, autocommit

    # ---- running the binaries --------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        env = dict(os.environ, LC_ALL="C", LANG="C")
        if self._user is not None:
            kwargs.update(user=self._user.pw_uid, group=self._user.pw_gid, extra_groups=[])
            env["HOME"] = str(self.root)
        out = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True,
                             env=env, cwd=self.root, timeout=timeout, **kwargs)
        if out.returncode != 0:
            tail = "\n".join(self._log_tail())
            raise PgUnavailable(f"{args[0]} failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}"
                                + (f"\nserver log:\n{tail}" if tail else ""))
        return out

    def _log_tail(self, lines: int = 20) -> list[str]:
        try:
            return self.logfile.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def _own(self, path: Path) -> None:
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> None:
        if os.geteuid() == 0:
            # initdb: "cannot be run as root". Another user, owning the folder.
            for name in ("postgres", "nobody"):
                try:
                    self._user = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            else:
                raise PgUnavailable("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
        self.root.chmod(0o755)
        self._own(self.root)
        self.socket_dir.mkdir()
        self._own(self.socket_dir)
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        self._own(pwfile)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-locale",
                  "--no-sync", "--no-instructions")
        pwfile.unlink()
        last: Exception | None = None
        for _ in range(3):  # a free port may be taken between choosing and binding it
            self.port = free_port()
            try:
                self._pg_ctl_start()
                break
            except PgUnavailable as exc:
                last = exc
        else:
            raise PgUnavailable(str(last))
        self._make_template()

    def _pg_ctl_start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                   " -c max_connections=300 -c log_min_messages=warning")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
                  "-o", options, "start")

    def halt(self, mode: str = "fast") -> None:
        """Stop the server as an admin would (`pg_ctl stop -m fast`: every session ended,
        open transactions rolled back), keeping its folder, for `resume` to start it again."""
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def resume(self) -> None:
        """Start a halted server again, on the same port, with the same databases."""
        self._pg_ctl_start()

    def stop(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None
        if self.port and (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- databases ---------------------------------------------------------------------------

    def url(self, database: str, *, user: str = SUPERUSER, password: str | None = PASSWORD,
            host: str = "127.0.0.1", port: int | None = None) -> str:
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return f"postgresql+psycopg://{auth}@{host}:{port or self.port}/{database}"

    def admin(self):
        """The fixture's own connection (over the socket, trusted, autocommit)."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(host=str(self.socket_dir), port=self.port, user=SUPERUSER,
                                          dbname="postgres", autocommit=True)
        return self._admin

    def execute(self, sql: str) -> None:
        with self._lock:
            self.admin().execute(sql)

    def _make_template(self) -> None:
        from console.db import open_database

        self.execute(f'CREATE DATABASE "{TEMPLATE}"')
        db = open_database(self.url(TEMPLATE))
        db.dispose()
        self.execute(f"ALTER DATABASE \"{TEMPLATE}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database: a copy of the migrated template, or an empty one. Its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        # FILE_COPY (PostgreSQL 15+): copies the files instead of writing every page to the WAL.
        strategy = " STRATEGY FILE_COPY" if self.admin().info.server_version >= 150000 else ""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
