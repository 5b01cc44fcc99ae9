"""Customer journeys across channels: typical paths to purchase and what each channel brings.

Every touch a customer has (``interactions``: web visits, e-mail clicks, calls, store visits,
meetings...) is cut into **journeys** that end at a purchase, at a silence of
``session_gap_days`` or at ``as_of`` (:mod:`workbench.journeys.paths`, in the engine). Then:
the most frequent **paths** with their conversion rates and Wilson intervals, the time between
steps, the paths of each segment (:mod:`workbench.journeys.summary`), and the **contribution of
each channel** by Markov-chain removal effects beside first touch, last touch, linear and time
decay (:mod:`workbench.journeys.attribution`)::

    jr = wb.journeys.analyse(crm, as_of="2025-12-31")
    jr.top_paths(top=10)
    jr.attribution()
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench.journeys.attribution import (
    MODELS,
    heuristic_attribution,
    markov_attribution,
    removal_effects,
)
from workbench.journeys.paths import NO_TOUCH, journey_events, journeys, transitions
from workbench.journeys.summary import (
    paths_by_segment,
    segment_table,
    step_times,
    top_paths,
    wilson_interval,
)

__all__ = ["analyse", "Journeys", "journey_events", "journeys", "transitions", "top_paths",
           "step_times", "paths_by_segment", "removal_effects", "markov_attribution",
           "heuristic_attribution", "wilson_interval", "segment_table", "MODELS", "NO_TOUCH",
           "MISSING"]

MISSING = ("This report needs an interactions table (customer_id, timestamp, channel; kind, "
           "campaign_id and value when you have them): map a web-analytics export or a call "
           "log as `interactions` (see data/examples/journeys/). Without it, no journey can be "
           "shown.")


@dataclass
class Journeys:
    """The journeys of a source as of a date, and the views computed from them."""

    available: bool
    reason: str
    as_of: pd.Timestamp
    session_gap_days: int
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    events: object = None

    def summary(self) -> pd.DataFrame:
        """Counts: journeys, concluded with a touch, converted, open, purchases without touch."""
        if not self.available:
            return pd.DataFrame({"what": ["journeys"], "count": [0]})
        t = self.table
        touched = t["path"] != NO_TOUCH
        rows = [("journeys with at least one touch", int(touched.sum())),
                ("... ended by a purchase", int((touched & t["converted"]).sum())),
                ("... ended without one", int((touched & ~t["converted"] & ~t["open"]).sum())),
                (f"... still open (a touch in the last {self.session_gap_days} days)",
                 int(t["open"].sum())),
                ("purchases with no recorded touch before them", int((~touched).sum())),
                ("customers with a journey", int(t.loc[touched, "customer_id"].nunique()))]
        return pd.DataFrame(rows, columns=["what", "count"])

    def sentence(self) -> str:
        """One sentence a manager reads first: how many journeys, how many end in a purchase."""
        if not self.available:
            return self.reason
        s = self.summary().set_index("what")["count"]
        n, bought = s.iloc[0], s.iloc[1]
        rate = bought / max(n - s.iloc[3], 1)
        return (f"{n:,} journeys with at least one touch up to {self.as_of:%Y-%m-%d}: {bought:,} "
                f"ended in a purchase ({rate:.0%} of the concluded ones); {s.iloc[4]:,} purchases "
                "had no recorded touch before them.")

    def top_paths(self, *, top: int = 10, min_journeys: int = 1,
                  confidence: float = 0.95) -> pd.DataFrame:
        """See :func:`workbench.journeys.summary.top_paths`."""
        if not self.available:
            return pd.DataFrame(columns=["path", "journeys", "conversion"])
        return top_paths(self.table, top=top, min_journeys=min_journeys, confidence=confidence)

    def step_times(self, paths) -> pd.DataFrame:
        """Median days between the steps of `paths` (their converting journeys)."""
        if not self.available:
            return pd.DataFrame(columns=["path", "position", "from", "to", "median_days"])
        events = self.events.filter(self.events.converted).to_pandas()
        return step_times(events, self.table, paths=paths)

    def attribution(self, *, half_life_days: float = 7.0) -> pd.DataFrame:
        """Conversions credited per channel: ``markov`` and each heuristic rule (long table)."""
        columns = ["model", "channel", "conversions", "share"]
        if not self.available:
            return pd.DataFrame(columns=columns)
        conversions = int((self.table["converted"] & (self.table["path"] != NO_TOUCH)).sum())
        if conversions == 0:
            return pd.DataFrame(columns=columns)
        markov = markov_attribution(transitions(self.events), conversions=conversions)
        heuristics = heuristic_attribution(self.events, half_life_days=half_life_days)
        out = pd.concat([markov[columns + ["removal_effect"]], heuristics], ignore_index=True)
        out.attrs["p_conversion"] = markov.attrs.get("p_conversion")
        return out

    def by_segment(self, segments: pd.DataFrame, *, top: int = 3,
                   min_journeys: int = 20) -> pd.DataFrame:
        """See :func:`workbench.journeys.summary.paths_by_segment`."""
        if not self.available:
            return pd.DataFrame(columns=["segment", "path", "journeys", "conversion"])
        return paths_by_segment(self.table, segments, top=top, min_journeys=min_journeys)

    def per_customer(self) -> pd.DataFrame:
        """One row per customer: journeys, purchases after a touch, open journey, last path."""
        if not self.available:
            return pd.DataFrame(columns=["customer_id", "journeys", "converted", "open", "last_path"])
        t = self.table[self.table["path"] != NO_TOUCH].sort_values(["customer_id", "journey"])
        g = t.groupby("customer_id")
        return pd.DataFrame({"journeys": g.size(), "converted": g["converted"].sum(),
                             "open": g["open"].any(), "last_path": g["path"].last(),
                             "last_touch": g["last_touch"].max()}).reset_index()


def analyse(crm, *, as_of, session_gap_days: int = 30) -> Journeys:
    """The journeys of `crm` (a :class:`~workbench.data.dataset.CRMData`) as of `as_of`.

    Without an ``interactions`` table the result is not available and says what to map.
    """
    as_of = pd.Timestamp(as_of)
    if "interactions" not in crm:
        return Journeys(False, MISSING, as_of, session_gap_days)
    orders = crm.table("orders") if "orders" in crm else None
    if orders is None:
        import ibis

        orders = ibis.memtable(pd.DataFrame({"customer_id": pd.Series([], dtype="str"),
                                             "order_id": pd.Series([], dtype="str"),
                                             "order_date": pd.Series([], dtype="datetime64[ns]"),
                                             "amount": pd.Series([], dtype="float64")}))
    events = journey_events(crm.table("interactions"), orders, as_of=as_of,
                            session_gap_days=session_gap_days)
    table = journeys(events)
    reason = "" if "orders" in crm else ("No orders table: no journey can end in a purchase, so "
                                         "every conversion rate below is 0; map the orders.")
    return Journeys(True, reason, as_of, session_gap_days, table, events)
