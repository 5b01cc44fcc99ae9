"""Time and peak memory of every case of the hostile corpus (tests/hostile_corpus.py).

Run by hand: ``python bench/bench_hostile.py``. Each case runs in a fresh process (its peak
memory is its own) through ``workbench`` on the command line; prints exit code, wall time and
peak RSS per case, and the slowest and largest.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from hostile_corpus import build, cases  # noqa: E402


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            argv = build(case, Path(tmp) / case.name)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "workbench", *argv], capture_output=True,
                                  text=True, timeout=120, check=False)
            wall = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max so far, MiB
            rows.append((case.name, proc.returncode, wall, peak))
            sys.stdout.write(f"{case.name:32} exit {proc.returncode:3}  {wall:6.2f} s  peak<= {peak:7.1f} MiB\n")
    slow = max(rows, key=lambda r: r[2])
    sys.stdout.write(f"\n{len(rows)} cases; slowest {slow[0]} {slow[2]:.2f} s (process start included); "
                     f"largest peak RSS of any case {max(r[3] for r in rows):.1f} MiB\n")


if __name__ == "__main__":
    main()
