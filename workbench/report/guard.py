"""Guarding a run: one run per folder, signals that cancel, staged reports, no process left behind.

Private to :mod:`workbench.report`.

- :func:`run_lock`: a run takes ``<out>/.workbench-run.lock`` (its process id and start); a second
  run into the same folder is refused with a message naming the first one. A lock left by a
  process that no longer exists (a machine reboot, ``kill -9``) is taken over, with a warning.
- :func:`cancel_on_signals`: SIGINT (Ctrl-C) and SIGTERM (cron's timeout, ``kill``) raise
  :class:`Cancelled` in the runner; the runner then stops its workers and kernels
  (:func:`stop_children`) and records the unfinished reports as ``cancelled``.
- :func:`publish`: a report is built in ``<out>/.staging/<name>/`` and its files are moved into
  the run folder only once complete, the HTML page last: a page in the run folder is finished.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import threading
from pathlib import Path

from workbench.report.record import timestamp
from workbench.report.results import RunConfigError

logger = logging.getLogger(__name__)

LOCK_NAME = ".workbench-run.lock"
STAGING = ".staging"


class Cancelled(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error of the run
    """The run was asked to stop (SIGINT or SIGTERM); BaseException, so no ``except Exception``
    of a report's execution swallows it."""


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@contextlib.contextmanager
def run_lock(out: Path):
    """Hold ``<out>/.workbench-run.lock`` for the block; RunConfigError if another run holds it."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    content = json.dumps({"pid": os.getpid(), "started": timestamp()})
    for attempt in (1, 2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                other = json.loads(path.read_text(encoding="utf-8"))
                pid = int(other["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                other, pid = {}, -1
            if attempt == 1 and pid > 0 and not _alive(pid):
                logger.warning("%s: taking over the lock of run %d, which no longer exists", out, pid)
                path.unlink(missing_ok=True)
                continue
            raise RunConfigError(
                f"{out} is busy: another run (process {pid if pid > 0 else '?'}, started "
                f"{other.get('started', '?')}) is writing into it. Wait for it to end, or choose "
                f"another --out; if no run is going on, delete {path}") from None
    try:
        os.write(fd, content.encode())
    finally:
        os.close(fd)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def cancel_on_signals():
    """SIGINT and SIGTERM raise :class:`Cancelled` (once) in the main thread during the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen = []

    def handler(signum, frame):
        if not seen:
            seen.append(signum)
            logger.warning("%s received: cancelling the run", signal.Signals(signum).name)
            raise Cancelled(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the runner, which stops them itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_children(*, grace_s: float = 3.0) -> int:
    """Terminate every process this one started (workers, kernels), then kill what remains.

    Returns the number of processes stopped.
    """
    import psutil

    me, stopped = psutil.Process(), 0
    for _ in range(5):  # a worker may be starting a kernel while we stop it
        children = me.children(recursive=True)
        if not children:
            break
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.terminate()
        _, alive = psutil.wait_procs(children, timeout=grace_s)
        for child in alive:
            with contextlib.suppress(psutil.Error):
                child.kill()
        psutil.wait_procs(alive, timeout=grace_s)
        stopped += len(children)
    return stopped


def staging(out: Path, name: str) -> Path:
    """The empty staging folder of report `name`."""
    folder = out / STAGING / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def publish(stage: Path, out: Path) -> None:
    """Move a finished report's files from `stage` into `out`, the HTML page last."""
    files = sorted(stage.iterdir(), key=lambda p: p.suffix == ".html")
    for file in files:
        os.replace(file, out / file.name)
    stage.rmdir()


def withdraw(out: Path, name: str) -> None:
    """Remove a cancelled report's files left by an earlier run: they are not this run's result."""
    for suffix in (".html", ".ipynb", ".summary.json", ".manifest.json"):
        (out / f"{name}{suffix}").unlink(missing_ok=True)


def clean_staging(out: Path) -> None:
    """Remove what unfinished reports left in ``<out>/.staging``."""
    shutil.rmtree(out / STAGING, ignore_errors=True)
