"""Shared vocabulary of the report runner: exit codes, shared names, the usage error, results.

Private to :mod:`workbench.report`, which re-exports every public name here; the classes keep
``workbench.report`` as their module, their documented home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED_REPORTS, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
SHARED_PARAMETERS = frozenset({"data", "mapping", "as_of", "output_dir", "seed"})
SUMMARY_MIMETYPE = "application/vnd.crm-workbench.summary+json"
DEFAULT_NOTEBOOKS_DIR = Path("notebooks")
PATH_PARAMETERS = ("data", "mapping")  # made absolute and fingerprinted for the manifest
OUTPUT_PATH_PARAMETERS = ("score_store",)  # files a run writes beside its reports: made absolute


class RunConfigError(ValueError):
    """Bad usage detected before anything runs (the CLI exits with :data:`EXIT_USAGE`)."""


@dataclass
class ReportResult:
    """Outcome of one report. ``parameters`` are the values used, defaults included."""

    name: str
    notebook: Path
    html: Path
    status: str  # "ok" | "failed" | "cancelled" (the run was interrupted before it finished)
    duration_s: float
    parameters: dict[str, Any]
    error: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    pdf: Path | None = None  # the report printed as PDF, when the run asked for it


@dataclass
class RunResult:
    """Outcome of a run: its folder, its reports and the index page."""

    out_dir: Path
    reports: list[ReportResult]

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.reports)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def exit_code(self) -> int:
        if any(r.status == "cancelled" for r in self.reports):
            return EXIT_CANCELLED
        return EXIT_OK if self.ok else EXIT_FAILED_REPORTS


# Their documented home is workbench.report: keep it as their module for reprs, tracebacks and
# pickles (set after @dataclass, which looks the module up while building the class).
for _public in (RunConfigError, ReportResult, RunResult):
    _public.__module__ = "workbench.report"
del _public
