"""The tolerance-capital settings: the points table and the rules (private to :mod:`workbench.health`).

The points table says how many points each kind of event adds to or takes from a customer's
capital and whether it counts as a *contact* (an exchange the customer takes part in, which
restarts the inactivity clock). The rules hold the levels (start, ceiling, floor, break
threshold), the wear of inactivity and how incidents and campaign contacts become events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

__all__ = ["CapitalRules", "DEFAULT_POINTS", "EVENT_ORDER", "points_table"]

#: Event kinds, their default points, whether they are a contact, and what they mean.
#: The order is the order in which events of the same day are applied.
DEFAULT_POINTS: list[dict] = [
    {"event": "purchase", "points": 5.0, "contact": True,
     "description": "a purchase day after the first one"},
    {"event": "return", "points": -2.0, "contact": True,
     "description": "a day with returned or cancelled lines (negative amounts)"},
    {"event": "praise", "points": 10.0, "contact": True,
     "description": "the customer praised the company (incident of kind praise)"},
    {"event": "incident", "points": -5.0, "contact": True,
     "description": "a service incident other than a complaint (late delivery, support ticket...)"},
    {"event": "complaint", "points": -10.0, "contact": True,
     "description": "the customer filed a complaint"},
    {"event": "severe_complaint", "points": -10.0, "contact": False,
     "description": "added to a complaint of severity >= the rules' severe_min"},
    {"event": "complaint_resolved", "points": 5.0, "contact": False,
     "description": "a complaint was resolved (on its resolved_date)"},
    {"event": "complaint_unresolved", "points": -15.0, "contact": False,
     "description": "a complaint still open unresolved_after_days after it was filed"},
    {"event": "satisfied", "points": 5.0, "contact": False,
     "description": "satisfaction >= satisfied_min with how an incident was handled"},
    {"event": "unsatisfied", "points": -10.0, "contact": False,
     "description": "satisfaction <= unsatisfied_max with how an incident was handled"},
    {"event": "over_contact", "points": -5.0, "contact": False,
     "description": "a campaign contact beyond max_contacts within contact_window_days"},
    {"event": "unsubscribe", "points": -5.0, "contact": False,
     "description": "the customer unsubscribed from a campaign's messages"},
]
EVENT_ORDER = ["first_purchase"] + [p["event"] for p in DEFAULT_POINTS]


@dataclass(frozen=True)
class CapitalRules:
    """Levels and mechanics of the tolerance capital.

    Parameters
    ----------
    start : float
        Capital granted at the first purchase (the average trust a new customer gives).
    ceiling, floor : float
        The capital never goes above / below them.
    threshold : float
        Break threshold: at or below it the customer is about to leave (status ``broken``).
    near_margin : float
        Capital in (threshold, threshold + near_margin] is ``near`` the threshold.
    grace_rhythms : float
        Inactivity starts to wear the capital down after this many of the customer's own
        purchase intervals without a contact.
    decay_per_rhythm : float
        Points lost per purchase interval of further inactivity (linearly, day by day).
    prior_weight : float
        The customer's rhythm is ``(sum of their gaps + prior_weight * population rhythm) /
        (number of gaps + prior_weight)``: a new customer has the population's rhythm, a
        regular one their own. Only the gaps seen so far count (no look-ahead).
    rhythm_days : float or None
        Population rhythm in days; None learns it from the data (median over customers with
        at least two purchase days of their mean gap, up to ``as_of``).
    unresolved_after_days : int
        A complaint not resolved this many days after it was filed costs ``complaint_unresolved``.
    contact_window_days, max_contacts : int
        A campaign contact is an ``over_contact`` when it is more than the ``max_contacts``-th
        within the last ``contact_window_days`` days (its own day included).
    satisfied_min, unsatisfied_max : float
        Satisfaction (1-5) at or above / at or below which an incident's handling counts as
        ``satisfied`` / ``unsatisfied``.
    severe_min : int
        Complaints of this severity (1-5) or more also cost ``severe_complaint``.
    """

    start: float = 50.0
    ceiling: float = 100.0
    floor: float = 0.0
    threshold: float = 20.0
    near_margin: float = 10.0
    grace_rhythms: float = 1.0
    decay_per_rhythm: float = 10.0
    prior_weight: float = 2.0
    rhythm_days: float | None = None
    unresolved_after_days: int = 30
    contact_window_days: int = 90
    max_contacts: int = 2
    satisfied_min: float = 4.0
    unsatisfied_max: float = 2.0
    severe_min: int = 4

    def __post_init__(self) -> None:
        if not self.floor <= self.threshold < self.start <= self.ceiling:
            raise ValueError(
                f"capital levels must satisfy floor <= threshold < start <= ceiling; got floor "
                f"{self.floor:g}, threshold {self.threshold:g}, start {self.start:g}, ceiling "
                f"{self.ceiling:g}. Lower the threshold or raise the start level.")
        for name in ("near_margin", "grace_rhythms", "decay_per_rhythm", "prior_weight",
                     "unresolved_after_days", "contact_window_days", "max_contacts"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r}: must be >= 0")
        if self.rhythm_days is not None and not self.rhythm_days > 0:
            raise ValueError(f"rhythm_days={self.rhythm_days!r}: a number of days > 0, or None to learn it")
        if not 1 <= self.unsatisfied_max < self.satisfied_min <= 5:
            raise ValueError("satisfaction cut-offs must satisfy 1 <= unsatisfied_max < satisfied_min <= 5")

    def table(self) -> pd.DataFrame:
        """The rules as a two-column table for reports."""
        rows = [(k, "learned from the data" if v is None else str(v)) for k, v in asdict(self).items()]
        return pd.DataFrame(rows, columns=["rule", "value"])


def points_table(points=None) -> pd.DataFrame:
    """The points table: defaults, overridden by `points` where it says so.

    Parameters
    ----------
    points : None, dict, DataFrame, or path to a CSV / YAML file
        ``{event: points}``, or rows with ``event`` and ``points`` (and optionally ``contact``).
        A YAML file holds either mapping, or a list of rows under ``points:``. Events that
        are not given keep their defaults; an unknown event is an error.

    Returns
    -------
    DataFrame indexed by ``event`` with ``points``, ``contact``, ``description`` and
    ``source`` (``default`` or ``changed``).
    """
    table = pd.DataFrame(DEFAULT_POINTS).set_index("event")
    table["source"] = "default"
    rows = _rows(points)
    unknown = sorted(set(rows) - set(table.index))
    if unknown:
        raise ValueError(f"points table: unknown event(s) {', '.join(map(repr, unknown))}; the events "
                         f"are {', '.join(table.index)}")
    for event, row in rows.items():
        for col in ("points", "contact"):
            if col in row and not pd.isna(row[col]):
                value = _number(event, row[col]) if col == "points" else _flag(event, row[col])
                if value != table.at[event, col]:
                    table.at[event, col] = value
                    table.at[event, "source"] = "changed"
    return table


def _rows(points) -> dict[str, dict]:
    if points is None or (isinstance(points, str) and points == ""):
        return {}
    if isinstance(points, str | Path):
        points = _read(Path(points))
    if isinstance(points, pd.DataFrame):
        if "event" not in points.columns or "points" not in points.columns:
            raise ValueError("points table: give the columns 'event' and 'points' (and optionally "
                             f"'contact'); got {', '.join(map(str, points.columns))}")
        return {str(r["event"]).strip(): dict(r) for r in points.to_dict("records")}
    if isinstance(points, dict):
        return {str(k).strip(): (dict(v) if isinstance(v, dict) else {"points": v}) for k, v in points.items()}
    if isinstance(points, list):
        return _rows(pd.DataFrame(points))
    raise TypeError(f"points must be a dict, a DataFrame or a CSV / YAML path, not {type(points).__name__}")


def _read(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"points table {path}: no such file (give a .csv or .yaml file, or "
                                "leave empty for the defaults)")
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path)
    if path.suffix.lower() in (".yml", ".yaml"):
        from workbench.data.limits import load_yaml

        spec = load_yaml(path, error=ValueError)
        spec = spec.get("points", spec) if isinstance(spec, dict) else spec
        if not isinstance(spec, dict | list):
            raise ValueError(f"{path}: expected a mapping event: points, or a list of rows under 'points:'")
        return spec
    raise ValueError(f"points table {path}: use a .csv or .yaml file")


def _number(event: str, value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"points table: event {event!r}: points {value!r} is not a number") from None
    if out != out:
        raise ValueError(f"points table: event {event!r}: points is empty")
    return out


def _flag(event: str, value) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "1.0"):
        return True
    if text in ("false", "0", "no", "0.0"):
        return False
    raise ValueError(f"points table: event {event!r}: contact {value!r} must be true or false")
