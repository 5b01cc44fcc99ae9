"""Shared fixtures: project paths, and the real datasets beside the checkout (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


#: The longest test file (every notebook on every shape, about 10 minutes): collected first, so
#: that `make test`'s parallel processes (pytest-xdist, a file to a process) start with it and the
#: other files run beside it, instead of after it.
LONGEST_FIRST = ("test_shapes_matrix.py",)


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real public datasets; tests that use it skip with a reason when it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real datasets not found at {REAL} (they sit beside the checkout in CI "
                    "and on developer machines; see ../shared/data/real/README.md)")
    return REAL


@pytest.fixture(autouse=True)
def _run_from_root(monkeypatch):
    """Tests use project-relative paths (data/mappings/...), whatever the invoking folder."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server on loopback (tests/pg_server.py), stopped after the session."""
    from pg_server import PgServer, binaries

    bindir = binaries()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql "
                    "package (.ci/run does, as root)")
    server = PgServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()
