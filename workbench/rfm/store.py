"""A score store: the grades customers actually had, run after run, in a DuckDB file.

Score history recomputed from orders (:func:`workbench.rfm.score_history`) cannot bring back
what the order history does not hold: a criterion as it was then (a newsletter subscription, a
network score), or a grid that has changed since. Each scoring run can therefore append its
per-customer results to a store; the store then answers "who dropped from A to C since the last
run?" with the grades people were really shown.

One snapshot per ``as_of`` and ``scope`` (``"all"``, or ``"sales_rep=Alice Martin"`` for a
report restricted to one rep's customers): writing them again replaces that snapshot (a rerun of
a month fixes it, it does not duplicate it). Reports of a grid run in parallel may write at
the same time: a writer waits for the file's lock (up to ``wait_s``) instead of failing. :meth:`ScoreStore.history` gives the long table that
:func:`~workbench.rfm.migration_matrix`, :func:`~workbench.rfm.segment_flows` and
:func:`~workbench.rfm.grade_changes` take, exactly as they take a recomputed history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.rfm.history import grade_changes, migration_matrix
from workbench.rfm.pipeline import RFMResult

log = logging.getLogger(__name__)

__all__ = ["ScoreStore", "SNAPSHOT_COLUMNS", "StoredRuns", "record_run"]

#: Columns kept per customer and snapshot (those the run produced; the others stay empty).
SNAPSHOT_COLUMNS = {
    "customer_id": "VARCHAR", "status": "VARCHAR", "recency_days": "DOUBLE",
    "frequency": "BIGINT", "monetary": "DOUBLE", "r_score": "INTEGER", "f_score": "INTEGER",
    "m_score": "INTEGER", "points": "DOUBLE", "grade": "VARCHAR", "segment": "VARCHAR",
    "potential_class": "VARCHAR",
}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS rfm_runs (
    as_of DATE, scope VARCHAR, written_at TIMESTAMP, customers BIGINT,
    grid_fingerprint VARCHAR, grid_source VARCHAR, grade_order VARCHAR, segments VARCHAR,
    PRIMARY KEY (as_of, scope));
CREATE TABLE IF NOT EXISTS planned_actions (
    as_of DATE, customer_id VARCHAR, date DATE, scenario VARCHAR, ref VARCHAR);
CREATE TABLE IF NOT EXISTS rfm_snapshots (
    as_of DATE, scope VARCHAR, {", ".join(f"{k} {v}" for k, v in SNAPSHOT_COLUMNS.items())},
    PRIMARY KEY (as_of, scope, customer_id));
"""


def grid_fingerprint(result: RFMResult) -> str:
    """``sha256:`` of the grid as written (criteria, bands, weights, grades), order kept."""
    text = json.dumps(result.grid.to_dict(), sort_keys=False, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class ScoreStore:
    """Per-customer RFM snapshots in a DuckDB file (created on first write).

    Parameters
    ----------
    path : str or Path
        The DuckDB file, e.g. ``reports/monthly/scores.duckdb``. Its folder is created.
    """

    def __init__(self, path: str | Path, *, wait_s: float = 120.0):
        self.path = Path(path)
        self.wait_s = wait_s

    def _connect(self, *, read_only: bool):
        import duckdb

        if read_only and not self.path.exists():
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:  # another report holds the file's lock
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise OSError(f"score store {self.path}: {exc}") from None
                time.sleep(0.2)
        if not read_only:
            con.execute(_SCHEMA)
        return con

    def append(self, result: RFMResult, *, scope: str = "all",
               written_at: dt.datetime | None = None) -> int:
        """Store `result` as the snapshot of its ``as_of`` and `scope`, replacing an earlier one.

        Returns the number of customers written.
        """
        table = result.table
        snap = pd.DataFrame({"as_of": pd.Timestamp(result.as_of).date(), "scope": scope},
                            index=table.index)
        for col in SNAPSHOT_COLUMNS:
            snap[col] = table[col].astype("object").where(table[col].notna(), None) \
                if col in table else None
        for col in ("customer_id", "status", "grade", "segment", "potential_class"):
            snap[col] = snap[col].map(lambda v: None if v is None else str(v))
        run = {
            "as_of": pd.Timestamp(result.as_of).date(),
            "scope": scope,
            "written_at": written_at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "customers": len(snap),
            "grid_fingerprint": grid_fingerprint(result),
            "grid_source": str(result.grid.source),
            "grade_order": json.dumps(list(result.grid.grade_order)),
            "segments": json.dumps(list(result.segments.names)),
        }
        key = [run["as_of"], scope]
        self._replace([
            ("DELETE FROM rfm_snapshots WHERE as_of = ? AND scope = ?", key),
            ("DELETE FROM rfm_runs WHERE as_of = ? AND scope = ?", key),
            (f"INSERT INTO rfm_snapshots SELECT as_of, scope, {', '.join(SNAPSHOT_COLUMNS)} "
             "FROM snap", []),
            ("INSERT INTO rfm_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(run.values())),
        ], snap=snap)
        log.info("score store %s: snapshot of %s (%s), %d customers", self.path, run["as_of"],
                 scope, len(snap))
        return len(snap)

    def append_actions(self, actions: pd.DataFrame, *, as_of) -> int:
        """Keep a plan's actions (``customer_id``, ``date``, ``scenario``, ``ref``) as the plan
        of `as_of`, replacing an earlier plan of that date; rows written."""
        rows = actions[["customer_id", "date", "scenario", "ref"]].astype({"customer_id": "str"})
        rows = rows.assign(as_of=pd.Timestamp(as_of).date())
        self._replace([
            ("DELETE FROM planned_actions WHERE as_of = ?", [pd.Timestamp(as_of).date()]),
            ("INSERT INTO planned_actions SELECT as_of, customer_id, CAST(date AS DATE), "
             "scenario, ref FROM plan_rows", []),
        ], plan_rows=rows)
        return len(rows)

    def _replace(self, statements: list[tuple[str, list]], **frames: pd.DataFrame) -> None:
        """Run `statements` in one transaction, `frames` registered by name; all or nothing."""
        con = self._connect(read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            for name, frame in frames.items():
                con.register(name, frame)
            for sql, params in statements:
                con.execute(sql, params)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def actions_before(self, as_of) -> pd.DataFrame:
        """Actions of the plans made before `as_of`: ``customer_id, date, scenario, ref``."""
        columns = ["customer_id", "date", "scenario", "ref"]
        con = self._connect(read_only=True)
        if con is None:
            return pd.DataFrame(columns=columns)
        try:
            out = con.execute(f"SELECT {', '.join(columns)} FROM planned_actions WHERE as_of < ? "
                              "ORDER BY date, customer_id", [pd.Timestamp(as_of).date()]).df()
        finally:
            con.close()
        out["date"] = pd.to_datetime(out["date"])
        return out

    def runs(self, *, scope: str = "all") -> pd.DataFrame:
        """One row per snapshot of `scope`, oldest first: as_of, written_at, customers, grid."""
        con = self._connect(read_only=True)
        columns = ["as_of", "written_at", "customers", "grid_fingerprint", "grid_source"]
        if con is None:
            return pd.DataFrame(columns=columns)
        try:
            out = con.execute(f"SELECT {', '.join(columns)} FROM rfm_runs WHERE scope = ? "
                              "ORDER BY as_of", [scope]).df()
        finally:
            con.close()
        out["as_of"] = pd.to_datetime(out["as_of"])
        return out

    def history(self, *, scope: str = "all", last: int | None = None) -> pd.DataFrame:
        """The long table of the last `last` snapshots of `scope` (all by default), oldest first.

        Columns ``as_of`` and :data:`SNAPSHOT_COLUMNS`; ``attrs["grade_order"]`` is the grade
        order of the newest snapshot, so that migrations list grades best first.
        """
        con = self._connect(read_only=True)
        if con is None:
            raise FileNotFoundError(f"score store {self.path} does not exist yet: "
                                    "append a scoring run first")
        try:
            dates = [r[0] for r in con.execute(
                "SELECT as_of FROM rfm_runs WHERE scope = ? ORDER BY as_of DESC"
                + (f" LIMIT {int(last)}" if last else ""), [scope]).fetchall()]
            frame = con.execute(
                "SELECT * EXCLUDE (scope) FROM rfm_snapshots WHERE scope = ? AND "
                "as_of IN (SELECT UNNEST(?)) ORDER BY as_of, customer_id", [scope, dates]).df()
            order = con.execute("SELECT grade_order FROM rfm_runs WHERE scope = ? "
                                "ORDER BY as_of DESC LIMIT 1", [scope]).fetchone()
        finally:
            con.close()
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        frame.attrs["grade_order"] = json.loads(order[0]) if order else []
        return frame

    def __repr__(self) -> str:
        return f"ScoreStore({str(self.path)!r})"


@dataclass
class StoredRuns:
    """What a report shows of the store after writing its own run (see :func:`record_run`)."""

    sentence: str
    runs: pd.DataFrame
    grades: pd.DataFrame
    migration: pd.DataFrame
    drops: pd.DataFrame
    previous: pd.Timestamp | None = None


def record_run(result: RFMResult, *, store: str | Path, sales_rep: str = "",
               last: int = 6) -> StoredRuns:
    """Append `result` to the store at `store` (``""``: no store), then read it back.

    The snapshot's scope is ``"all"``, or ``"sales_rep=<rep>"`` for a report restricted to one
    rep's customers (:func:`workbench.rfm.for_sales_rep`), so reps never overwrite each other.

    Returns the snapshots of `scope`, customers per grade over the `last` runs, the grade
    migration from the run before this one (by ``as_of``) to this one, the customers who
    dropped a grade since then, and one sentence saying what the tables hold.
    """
    scope = f"sales_rep={sales_rep}" if sales_rep.strip() else "all"
    empty = pd.DataFrame()
    if not str(store).strip():
        return StoredRuns("No score store is set (parameter score_store): grades are not kept "
                          "from run to run, so only the reconstructed history above is shown.",
                          empty, empty, empty, empty)
    keeper = ScoreStore(store)
    keeper.append(result, scope=scope)
    history = keeper.history(scope=scope, last=last)
    runs = keeper.runs(scope=scope)
    grades = history.groupby(["as_of", "grade"]).size().unstack("grade", fill_value=0)
    grades = grades.reindex(columns=[g for g in history.attrs["grade_order"] if g in grades])
    as_of = pd.Timestamp(result.as_of)
    earlier = [d for d in runs["as_of"] if d < as_of]
    where = f"{Path(store).name} ({scope})"
    if not earlier:
        return StoredRuns(f"This run is the first of {where} up to {as_of:%Y-%m-%d}: the grades "
                          "customers had at the last run appear from the next run on.",
                          runs, grades, empty, empty)
    previous = max(earlier)
    both = keeper.history(scope=scope)
    both = both[both["as_of"].isin([previous, as_of])]
    migration = migration_matrix(both, start=previous, end=as_of, by="grade")
    drops = grade_changes(both, start=previous, end=as_of)
    sentence = (f"{len(drops):,} customer(s) dropped at least one grade since the last run "
                f"({previous:%Y-%m-%d}), by the grades they were actually given; {len(runs)} "
                f"run(s) in {where}.")
    return StoredRuns(sentence, runs, grades, migration, drops, previous)
