"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, loopback only.

Debian's ``postgresql`` package provides the binaries (``.ci/run`` installs it). PostgreSQL
refuses to run as root, so when the tests run as root the server runs as ``nobody`` (through
``runuser``), in a folder handed to that user. Password authentication over TCP
(scram-sha-256), so that the tests can give a wrong password; the server stops and its folder
is removed at the end.
"""

from __future__ import annotations

import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

USER, PASSWORD, DATABASE = "workbench", "s3cret-pw", "crm"
_SEARCH = ("/usr/lib/postgresql/*/bin",)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = sorted((p for pattern in _SEARCH for p in Path("/").glob(pattern.lstrip("/"))), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One server: ``start()``, ``url()``, ``load_frames()``, ``stop()``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
        self.data = self.folder / "data"
        self._as = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)
            self._as = ["runuser", "-u", "nobody", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120, cwd=self.folder)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}")

    def start(self) -> PgServer:
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "nobody")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder}"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "log"), "-w", "start")
        self.execute(f"CREATE DATABASE {DATABASE}", database="postgres")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, *, password: str | None = None, database: str = DATABASE) -> str:
        """The server's URL; with `password` in it when given (else PGPASSWORD / .pgpass must give it)."""
        auth = USER + (f":{password}" if password is not None else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = DATABASE):
        import psycopg

        return psycopg.connect(self.url(password=PASSWORD, database=database), autocommit=True)

    def execute(self, sql: str, *, database: str = DATABASE) -> None:
        with self.connect(database) as con:
            con.execute(sql)

    def load_frames(self, frames: dict[str, pd.DataFrame], *, schema: str = "public") -> None:
        """Each frame as a table of `schema`, with PostgreSQL types for its pandas dtypes."""
        with self.connect() as con:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            for name, frame in frames.items():
                columns = ", ".join(f'"{c}" {_pg_type(frame[c])}' for c in frame.columns)
                con.execute(f'CREATE TABLE "{schema}"."{name}" ({columns})')
                text = io.StringIO()
                frame.to_csv(text, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f")
                with con.cursor().copy(f'COPY "{schema}"."{name}" FROM STDIN (FORMAT csv)') as copy:
                    copy.write(text.getvalue())


def _pg_type(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "bigint"
    if pd.api.types.is_float_dtype(column):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "timestamp"
    return "text"
