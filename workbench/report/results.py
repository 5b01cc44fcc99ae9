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
WARNINGS_MIMETYPE = "application/vnd.crm-workbench.warnings+json"
#: What a report says, in sentences (:func:`workbench.report.findings`): shown under its title.
FINDINGS_MIMETYPE = "application/vnd.crm-workbench.findings+json"
#: A report's status: it ran and nothing is in doubt; it ran but some result should not be
#: trusted as it stands (still exit 0); it did not run to the end.
STATUSES = ("ok", "warnings", "failed")
#: Name of the exception :func:`workbench.report.stop` raises: the notebook cannot serve the
#: source and stops cleanly (status ``warnings``, the reason in the banner), not a failure.
STOP_ERROR = "NotServed"


class NotServed(Exception):
    """Raised by :func:`workbench.report.stop`: the notebook cannot serve this source."""
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
    status: str  # "ok" | "warnings" | "failed" | "cancelled" (the run was interrupted first)
    duration_s: float
    parameters: dict[str, Any]
    error: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    pdf: Path | None = None  # the report printed as PDF, when the run asked for it
    warnings: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # what the report says, in sentences
    headlines: dict[str, Any] = field(default_factory=dict)  # {label: {"value", "kind"}}: the index


@dataclass
class RunResult:
    """Outcome of a run: its folder, its reports and the index page."""

    out_dir: Path
    reports: list[ReportResult]

    @property
    def ok(self) -> bool:
        """No report failed (a report with ``warnings`` ran to the end: it counts as ok)."""
        return all(r.status != "failed" for r in self.reports)

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
for _public in (RunConfigError, ReportResult, RunResult, NotServed):
    _public.__module__ = "workbench.report"
del _public
