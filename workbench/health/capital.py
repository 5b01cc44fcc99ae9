"""Tolerance capital: trajectories from dated events (private to :mod:`workbench.health`).

The capital of a customer starts at ``rules.start`` on the first purchase day. Each later
event adds its points (clipped to [floor, ceiling]). Inactivity wears it down: once
``grace_rhythms`` of the customer's purchase intervals have passed since the last contact,
it loses ``decay_per_rhythm`` points per interval, day by day, until the next contact. The
interval (rhythm) is the one known at the time: the customer's gaps so far, shrunk towards
the population rhythm. So the capital on any past day is what it would have been computed
on that day (no look-ahead).

Events before the first purchase (a complaint as a prospect, a campaign contact) are not
applied: they are counted and listed. Customers without any purchase have no capital.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.health.events import capital_events
from workbench.health.points import CapitalRules, points_table

__all__ = ["tolerance_capital", "CapitalResult", "population_rhythm", "TRAJECTORY_COLUMNS"]

logger = logging.getLogger(__name__)

TRAJECTORY_COLUMNS = ["customer_id", "date", "event", "points", "capital", "ref", "detail"]
_DAY = np.timedelta64(1, "D")


@dataclass
class CapitalResult:
    """Tolerance capital of every customer, with the trajectories that explain it.

    Attributes
    ----------
    customers : DataFrame
        One row per customer with a purchase, indexed by customer_id: ``first_purchase``,
        ``last_purchase``, ``capital`` (at as_of), ``status`` (``broken`` at or below the threshold, ``near``
        within the margin above it, ``ok``), ``peak`` and ``peak_date`` (highest capital so
        far), ``last_contact``, ``rhythm_days``, ``days_since_contact``, ``overdue`` (days
        since contact / rhythm), ``events`` (events applied).
    trajectory : DataFrame
        One row per change: ``customer_id``, ``date``, ``event`` (an event kind,
        ``inactivity_starts`` where wear begins, ``inactivity`` for the wear accrued up to
        the next row, ``as_of`` at the end), ``points`` (as applied, after clipping),
        ``capital`` (after the row), ``ref`` and ``detail``.
    ignored : DataFrame
        Events dated before the customer's first purchase, not applied.
    as_of, rules, points, rhythm_days
        The settings used (``rhythm_days``: the population rhythm).
    counts : dict
        Customers, statuses, events applied / ignored / after as_of, prospects.
    notes : list of str
    """

    customers: pd.DataFrame
    trajectory: pd.DataFrame
    ignored: pd.DataFrame
    as_of: pd.Timestamp
    rules: CapitalRules
    points: pd.DataFrame
    rhythm_days: float
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def customer(self, customer_id: str) -> pd.DataFrame:
        """The trajectory of one customer (every event, wear and the capital after it)."""
        rows = self.trajectory[self.trajectory["customer_id"] == str(customer_id)]
        if rows.empty:
            raise KeyError(f"customer {customer_id!r} has no capital: no purchase up to "
                           f"{self.as_of:%Y-%m-%d} (or an unknown id)")
        return rows.reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """What was computed and what was left out, with the notes, as one table for the report."""
        labels = {"customers": "customers with a capital (at least one purchase)", "broken": "at or below the "
                  "break threshold", "near": "near the threshold", "ok": "above it", "prospects":
                  "customers without purchase (no capital)", "events_applied": "events applied",
                  "events_before_first_purchase": "events before the first purchase (not applied)",
                  "events_after_as_of": "rows dated after as_of (not used)"}
        rows = [(labels[k], "" if v is None else f"{v:,}") for k, v in self.counts.items()]
        rows.append(("population rhythm (days between purchases)", f"{self.rhythm_days:.1f}"))
        rows += [("note", n) for n in self.notes]
        return pd.DataFrame(rows, columns=["item", "value"])

    def status_counts(self) -> pd.DataFrame:
        """Customers per status, with their share and mean capital."""
        order = ["broken", "near", "ok"]
        g = self.customers.groupby("status", observed=False).agg(
            customers=("capital", "size"), mean_capital=("capital", "mean")).reindex(order, fill_value=0)
        g["share_pct"] = (100 * g["customers"] / max(len(self.customers), 1)).round(1)
        g["mean_capital"] = g["mean_capital"].round(1)
        return g.reset_index()

    def settings(self) -> pd.DataFrame:
        """Rules, population rhythm and the points table, as one table for the report."""
        rules = self.rules.table()
        rules.loc[len(rules)] = ["population rhythm used (days)", f"{self.rhythm_days:.1f}"]
        pts = self.points.reset_index()[["event", "points", "contact", "source"]]
        pts = pts.assign(rule="points: " + pts["event"], value=pts["points"].map("{:+g}".format)
                         + np.where(pts["contact"], " (contact)", "")
                         + np.where(pts["source"] == "changed", " [changed]", ""))
        return pd.concat([rules, pts[["rule", "value"]]], ignore_index=True)


def population_rhythm(events: pd.DataFrame) -> float:
    """Median, over customers with two purchase days or more, of their mean gap in days.

    Falls back to 365 days when no customer has bought twice (logged).
    """
    buys = events[events["event"].isin(["first_purchase", "purchase"])]
    g = buys.groupby("customer_id")["date"].agg(["min", "max", "size"])
    g = g[g["size"] >= 2]
    if g.empty:
        logger.warning("no customer bought twice: the population rhythm falls back to 365 days")
        return 365.0
    return float(((g["max"] - g["min"]).dt.days / (g["size"] - 1)).median())


def tolerance_capital(source, *, as_of, points=None, rules: CapitalRules | None = None) -> CapitalResult:
    """Tolerance capital of every customer at ``as_of``, with its trajectory.

    Parameters
    ----------
    source : CRMData, dict of DataFrames, or the output of :func:`capital_events`
        Events are built from the tables (see :func:`capital_events`) unless given.
    as_of : date-like
        Analysis date, inclusive: later events are not used.
    points : None, dict, DataFrame or CSV / YAML path
        The points table, or overrides of the defaults (see :func:`points_table`).
    rules : CapitalRules
        Levels, threshold, wear and event rules (defaults if None).
    """
    rules = rules or CapitalRules()
    as_of = pd.Timestamp(as_of).normalize()
    table = points_table(points)
    if isinstance(source, pd.DataFrame):
        events = source[source["date"] <= as_of]
        info = dict(source.attrs)
    else:
        events = capital_events(source, as_of=as_of, rules=rules)
        info = dict(events.attrs)
    rhythm = float(rules.rhythm_days) if rules.rhythm_days else population_rhythm(events)
    traj, ignored_rows, summary = _walk(events, table, rules, rhythm, as_of)
    customers = _customers(summary, rules, as_of)
    ignored = events.iloc[ignored_rows].reset_index(drop=True)
    counts = {"customers": len(customers), **customers["status"].value_counts().reindex(
        ["broken", "near", "ok"], fill_value=0).astype(int).to_dict(),
        "events_applied": int(len(events) - len(ignored)), "events_before_first_purchase": len(ignored),
        "events_after_as_of": int(sum(info.get("after_as_of", {}).values())),
        "prospects": _prospects(source, customers.index)}
    notes = list(info.get("notes", []))
    if ignored_rows:
        notes.append(f"{len(ignored)} event(s) dated before the customer's first purchase are not applied "
                     "(the capital starts at the first purchase); see .ignored")
    return CapitalResult(customers=customers, trajectory=traj, ignored=ignored, as_of=as_of, rules=rules,
                         points=table, rhythm_days=rhythm, counts=counts, notes=notes)


def _prospects(source, known: pd.Index) -> int | None:
    from workbench.data.dataset import CRMData

    if isinstance(source, CRMData) and "customers" in source:
        return int((~source["customers"]["customer_id"].astype(str).isin(known)).sum())
    if isinstance(source, dict) and "customers" in source:
        return int((~source["customers"]["customer_id"].astype(str).isin(known)).sum())
    return None


class _Path:
    """Rows of the trajectory, appended as plain lists (one pass over all events)."""

    def __init__(self) -> None:
        self.cols = {c: [] for c in TRAJECTORY_COLUMNS}

    def add(self, cid, day, event, pts, cap, ref=None, detail=None) -> None:
        for c, v in zip(TRAJECTORY_COLUMNS, (cid, day, event, pts, cap, ref, detail), strict=True):
            self.cols[c].append(v)

    def frame(self, origin: np.datetime64) -> pd.DataFrame:
        out = pd.DataFrame(self.cols)
        out["date"] = origin + np.asarray(out["date"], dtype="int64") * _DAY
        out["points"] = out["points"].astype(float)
        out["capital"] = out["capital"].astype(float)
        return out


def _walk(events: pd.DataFrame, table: pd.DataFrame, rules: CapitalRules, rhythm0: float,
          as_of: pd.Timestamp):
    """Apply every event in order, customer by customer, with the wear between them."""
    origin = np.datetime64(events["date"].min() if len(events) else as_of, "D")
    day = ((events["date"].to_numpy("datetime64[D]") - origin) // _DAY).astype("int64").tolist()
    end = int((np.datetime64(as_of, "D") - origin) // _DAY)
    pts = table["points"].to_dict()
    contact = table["contact"].to_dict()
    path, ignored, summary = _Path(), [], []
    state = None
    rows = zip(events["customer_id"].tolist(), day, events["event"].tolist(),
               events["ref"].tolist(), events["detail"].tolist(), strict=True)
    for i, (cid, d, ev, ref, detail) in enumerate(rows):
        if state is not None and state.cid != cid:
            summary.append(state.close(end, path))
            state = None
        if state is None:
            if ev != "first_purchase":
                ignored.append(i)
                continue
            state = _State(cid, d, rules, rhythm0)
            path.add(cid, d, ev, rules.start, rules.start, ref, detail)
            continue
        state.wear(d, path)
        state.apply(d, ev, pts[ev], contact[ev], ref, detail, path)
    if state is not None:
        summary.append(state.close(end, path))
    traj = path.frame(origin)
    cols = ["customer_id", "first_purchase", "last_purchase", "capital", "peak", "peak_date",
            "last_contact", "rhythm_days", "events"]
    summ = pd.DataFrame(summary, columns=cols)
    for c in ("first_purchase", "last_purchase", "peak_date", "last_contact"):
        summ[c] = origin + summ[c].to_numpy("int64") * _DAY
    return traj, ignored, summ


class _State:
    """One customer's running capital, rhythm and clocks (days as integers)."""

    def __init__(self, cid, day, rules: CapitalRules, rhythm0: float) -> None:
        self.cid, self.r, self.rhythm0 = cid, rules, rhythm0
        self.first = self.t = self.contact = self.last_buy = day
        self.capital = self.peak = rules.start
        self.peak_day, self.gaps, self.n_gaps, self.n_events = day, 0.0, 0, 1
        self.rhythm = rhythm0

    def wear(self, d: int, path: _Path) -> None:
        """Inactivity wear from the last row to day ``d``."""
        start = self.contact + self.r.grace_rhythms * self.rhythm
        if d <= start or self.r.decay_per_rhythm == 0:
            return
        begin = max(float(self.t), start)
        if begin > self.t and self.capital > self.r.floor:
            path.add(self.cid, int(np.ceil(begin)), "inactivity_starts", 0.0, self.capital, None,
                     f"no contact for {begin - self.contact:.0f} days ({self.r.grace_rhythms:g} x a "
                     f"rhythm of {self.rhythm:.0f} days)")
        new = max(self.r.floor, self.capital - self.r.decay_per_rhythm / self.rhythm * (d - begin))
        if new < self.capital:
            path.add(self.cid, d, "inactivity", new - self.capital, new, None,
                     f"{d - begin:.0f} days of inactivity since the last contact")
        self.capital, self.t = new, d

    def apply(self, d, ev, pts, is_contact, ref, detail, path: _Path) -> None:
        new = min(self.r.ceiling, max(self.r.floor, self.capital + pts))
        path.add(self.cid, d, ev, new - self.capital, new, ref, detail)
        self.capital, self.t, self.n_events = new, d, self.n_events + 1
        if new > self.peak:
            self.peak, self.peak_day = new, d
        if is_contact:
            self.contact = max(self.contact, d)
        if ev == "purchase" and d > self.last_buy:
            self.gaps += d - self.last_buy
            self.n_gaps += 1
            w = self.r.prior_weight
            self.rhythm = (self.gaps + w * self.rhythm0) / (self.n_gaps + w) if self.n_gaps + w > 0 \
                else self.rhythm0
            self.last_buy = d

    def close(self, end: int, path: _Path) -> list:
        self.wear(end, path)
        path.add(self.cid, end, "as_of", 0.0, self.capital, None, "analysis date")
        return [self.cid, self.first, self.last_buy, self.capital, self.peak, self.peak_day,
                self.contact, self.rhythm, self.n_events]


def _customers(summ: pd.DataFrame, rules: CapitalRules, as_of: pd.Timestamp) -> pd.DataFrame:
    out = summ.set_index("customer_id")
    out["status"] = pd.Categorical(
        np.where(out["capital"] <= rules.threshold, "broken",
                 np.where(out["capital"] <= rules.threshold + rules.near_margin, "near", "ok")),
        categories=["broken", "near", "ok"])
    out["days_since_contact"] = (as_of - out["last_contact"]).dt.days
    out["overdue"] = out["days_since_contact"] / out["rhythm_days"]
    return out[["first_purchase", "last_purchase", "capital", "status", "peak", "peak_date",
                "last_contact", "rhythm_days", "days_since_contact", "overdue", "events"]]
