"""Runs that end well: signals cancel, one run per folder, OS errors are messages, names capped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from workbench import cli, report
from workbench.report.guard import LOCK_NAME, run_lock
from workbench.report.plan import MAX_NAME, report_name


def _notebook(folder: Path, name: str, code: str) -> Path:
    params = nbformat.v4.new_code_cell("seconds: float = 0.0  # how long to sleep")
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


def test_long_grid_values_give_capped_distinct_names():
    taken: set[str] = set()
    a = report_name("01_rfm", {"label": "x" * 240}, taken)
    b = report_name("01_rfm", {"label": "x" * 239 + "y"}, taken)
    assert len(a) <= MAX_NAME and len(b) <= MAX_NAME and a != b
    assert report_name("01_rfm", {"label": "short"}, taken) == "01_rfm__label-short"


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(report.RunConfigError, match=rf"{tmp_path} is busy: another run \(process "
                                                        rf"{os.getpid()}, started .*choose another --out"):
            with run_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK_NAME).exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "started": "earlier"}))
    with run_lock(tmp_path):  # a lock whose process is gone is taken over
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_busy_folder_through_the_cli_is_exit_2_before_anything_runs(tmp_path, capsys):
    _notebook(tmp_path, "quick", "x = 1")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": os.getpid(), "started": "now"}))
    code = cli.main(["run", "quick", "--notebooks-dir", str(tmp_path), "--out", str(out)])
    assert code == 2 and "is busy" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_a_full_disk_is_a_message_and_leaves_no_partial_report(tmp_path, monkeypatch, capsys):
    _notebook(tmp_path, "quick", "x = 1")
    out = tmp_path / "out"
    real = os.replace

    def full(src, dst, *args, **kwargs):
        if str(dst).startswith(str(out)):
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    code = cli.main(["run", "quick", "--notebooks-dir", str(tmp_path), "--out", str(out),
                     "--workers", "1"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OS, err
    assert "system error" in err and "No space left on device" in err and "Traceback" not in err
    assert sorted(p.name for p in out.rglob("*")) == []  # no page, no staging, no lock


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGTERM, 2), (signal.SIGINT, 1)])
def test_a_signal_cancels_queued_reports_and_stops_every_process(tmp_path, sig, workers):
    for name in ("a", "b", "c"):
        _notebook(tmp_path, name, "import time\ntime.sleep(120)")
    out = tmp_path / "out"
    runner = subprocess.Popen(
        [sys.executable, "-m", "workbench", "run", "a", "b", "c", "--notebooks-dir", str(tmp_path),
         "--out", str(out), "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc, seen = psutil.Process(runner.pid), {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # wait until the kernels run the sleeping cells
        for p in _descendants(proc):
            seen.setdefault(p.pid, p)
        kernels = [p for p in seen.values() if p.is_running()
                   and "ipykernel" in " ".join(p.cmdline() if p.is_running() else [])]
        if len(kernels) >= workers and (out / ".staging").is_dir():
            break
        time.sleep(0.5)
    else:
        runner.kill()
        pytest.fail("the kernels did not start")
    time.sleep(2)
    seen.update({p.pid: p for p in _descendants(proc)})
    runner.send_signal(sig)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, err
    time.sleep(0.5)
    alive = [p.pid for p in seen.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"processes outlived the runner: {alive}"
    run = json.loads((out / "run.json").read_text())
    assert [r["status"] for r in run["reports"]] == ["cancelled"] * 3
    assert "3 cancelled" in (out / "index.html").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "run.json"]
    # the runner prints no traceback (a kernel stopped mid-cell may log its own on stderr)
    assert "workbench/cli.py" not in err and "workbench/report/" not in err, err
