"""RFM scoring: recency, frequency, monetary value, quantile scores, grids, grades and segments.

The per-customer aggregation is written once as an Ibis expression, so it runs inside DuckDB
(the embedded default) on a pandas frame, a Parquet file or a database table alike, never as a
Python loop over customers. What follows (scores, points, grades, segments) works on the
resulting table of one row per customer.

Semantics, as of ``as_of`` (inclusive; later lines are ignored and counted):

- a *purchase* is an order (``order_id``) with at least one line of positive amount;
- ``frequency`` counts distinct purchases; several orders on the same day count separately
  (a file without order ids, such as CDNOW, maps one line to one order);
- ``monetary`` is the net amount of all lines: returns and cancellations (negative lines)
  subtract; zero-amount lines (free samples) count for nothing. A cancelled or fully returned
  order still counts as a purchase for F and R (the customer did order) but adds nothing to M;
- ``recency_days`` is the number of days from the last purchase to ``as_of``; ``tenure_days``
  from the first purchase;
- ``status``: ``customer`` (at least one purchase), ``no purchase`` (only returns or zero-amount
  lines: no recency, but ``monetary`` is shown so nothing disappears) or ``prospect`` (in the
  customers table, no order line yet: frequency 0, monetary 0). Customers first contacted after
  ``as_of`` are not known yet at that date and are left out (and counted).

Scores, grids and segments: :class:`RFMScorer` (quantile scores learned on one period, reused on
another), :class:`ScoringGrid` (bands -> points x weight -> letter grades), :class:`SegmentRules`
(named segments by rules with precedence), and :func:`score`, which runs them all;
:func:`score_to_file` runs them range of customers by range, straight into the export, when the
per-customer table would not fit in memory (about 330 MB per million customers);
:class:`ScoreStore` keeps the grades each run gave, run after run.
"""

from __future__ import annotations

from pathlib import Path

from workbench.rfm import examples  # the notebook's worked example: the articles' scoring grid
from workbench.rfm.core import (
    RFM_COLUMNS,
    NoPurchaseYet,
    RFMInputError,
    RFMScorer,
    purchase_lines,
    rfm_expr,
    rfm_table,
)
from workbench.rfm.grid import DEFAULT_GRID_FILE, GridError, ScoringGrid
from workbench.rfm.history import (
    SpanPlan,
    grade_changes,
    history_dates,
    migration_matrix,
    score_history,
    segment_flows,
    span_plan,
)
from workbench.rfm.kpis import (
    concentration,
    pareto_curve,
    seasonality,
    seasonality_index,
    segment_kpis,
)
from workbench.rfm.partitions import PartitionedRun, score_to_file
from workbench.rfm.pipeline import EXPORT_COLUMNS, RFMResult, export, score
from workbench.rfm.portfolio import for_sales_rep
from workbench.rfm.presets import ARTICLE_GRID, DEFAULT_GRID
from workbench.rfm.rfmcca import (
    POTENTIAL_CLASSES,
    PotentialRules,
    association_rules,
    customer_profile,
)
from workbench.rfm.segments import (
    DEFAULT_SEGMENTS,
    INACTIVE_SEGMENTS,
    PROSPECT,
    UNASSIGNED,
    SegmentReport,
    SegmentRules,
)
from workbench.rfm.store import ScoreStore, StoredRuns, record_run

__all__ = [
    "examples",
    "rfm_table", "rfm_expr", "purchase_lines", "RFM_COLUMNS", "RFMInputError", "NoPurchaseYet", "RFMScorer",
    "ScoringGrid", "GridError", "ARTICLE_GRID", "DEFAULT_GRID", "DEFAULT_GRID_FILE",
    "SegmentRules", "SegmentReport", "DEFAULT_SEGMENTS", "INACTIVE_SEGMENTS", "PROSPECT", "UNASSIGNED",
    "PotentialRules", "POTENTIAL_CLASSES", "customer_profile", "association_rules",
    "segment_kpis", "seasonality", "seasonality_index", "pareto_curve", "concentration",
    "score_history", "history_dates", "span_plan", "SpanPlan", "migration_matrix", "segment_flows",
    "grade_changes", "score", "RFMResult", "export", "EXPORT_COLUMNS", "score_to_file", "PartitionedRun", "write_default_grid", "ScoreStore",
    "StoredRuns", "record_run", "for_sales_rep",
]

def write_default_grid(path: str | Path) -> Path:
    """Write the default grid as YAML to `path`, as a starting point to edit."""
    import yaml

    path = Path(path)
    path.write_text(yaml.safe_dump(DEFAULT_GRID, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
