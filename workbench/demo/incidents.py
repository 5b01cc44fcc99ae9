"""Service incidents of the demo company, and the lapses bad complaints trigger.

Private to :mod:`workbench.demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.demo.draws import BLOCK, Streams, days_between, pick
from workbench.demo.tables import frame, identifiers, take

if TYPE_CHECKING:
    from workbench.demo.world import World

INCIDENT_KINDS = ("complaint", "late_delivery", "support_ticket", "praise")
INCIDENTS = dict(
    severity=dict(
        complaint=(0.2, 0.3, 0.25, 0.15, 0.1),
        late_delivery=(0.4, 0.4, 0.2, 0, 0),
        support_ticket=(0.3, 0.35, 0.25, 0.1, 0),
    ),
    resolved=dict(complaint=0.75, late_delivery=0.9, support_ticket=0.9),
    resolution_days_per_severity=3.0,
    trigger_probability=0.5,
    trigger_days=(7, 60),
    satisfaction_missing=0.25,
)


def incidents(w: World, st: Streams, c: dict, blk: np.ndarray) -> dict[str, np.ndarray]:
    """Service events between first purchase and lapse; bad complaints may trigger the lapse.

    Sets ``c["lapse"]`` (last day the customer can buy) and ``c["by_incident"]``.
    """
    end = np.minimum(c["nat_lapse"], w.days - 1)
    span = end - c["first"] + 1
    count = st.draw(blk, "poisson", w.incident_rate[c["persona"]] * span / 365.25)
    i = np.repeat(np.arange(len(blk)), count)
    v = st.draw(i // BLOCK, "random", cols=9)
    day = c["first"][i] + np.floor(v[:, 0] * span[i]).astype("int64")
    kind = pick(w.incident_cdf, c["persona"][i], v[:, 1])
    sev = np.where(kind == 3, np.nan, 1.0 + pick(w.severity_cdf, np.minimum(kind, 2), v[:, 2]))
    planned = v[:, 3] < w.resolve_p[kind]
    delay = np.ceil(-np.log1p(-v[:, 4]) * INCIDENTS["resolution_days_per_severity"] * sev)
    resolved = np.where(kind == 3, day, np.where(planned, day + delay, np.nan))
    resolved[resolved > w.days - 1] = np.nan
    trigger = (kind == 0) & (~planned | (sev >= 4)) & (v[:, 5] < INCIDENTS["trigger_probability"])
    lapse = c["nat_lapse"].copy()
    later = days_between(v[trigger, 6], *INCIDENTS["trigger_days"])
    np.minimum.at(lapse, i[trigger], day[trigger] + later)
    c["lapse"], c["by_incident"] = lapse, lapse < c["nat_lapse"]
    sat = _satisfaction(kind, np.isnan(resolved) & (kind != 3), sev, v[:, 7])
    sat[v[:, 8] < INCIDENTS["satisfaction_missing"]] = np.nan
    keep = day <= lapse[i]
    return {
        k: a[keep]
        for k, a in dict(i=i, day=day, kind=kind, sev=sev, resolved=resolved, sat=sat).items()
    }


def _satisfaction(kind, open_, sev, u) -> np.ndarray:
    """Score 1-5 around a mean by kind: low while open, lower after a severe complaint."""
    resolved_mean = np.array([3.8, 3.6, 4.0, 4.7])[kind] - 0.3 * np.nan_to_num(sev - 1) * (
        kind == 0
    )
    mean = np.where(open_, np.array([1.3, 2.0, 2.2, 4.7])[kind], resolved_mean)
    return np.clip(np.round(mean + 2 * (u - 0.5)), 1, 5)


def incident_table(w: World, ids: pa.Array, inc: dict) -> pd.DataFrame:
    """The ``incidents`` rows of a chunk, numbered after the previous chunks'."""
    return frame(
        "incidents",
        dict(
            incident_id=identifiers("I", w.number("incident", len(inc["i"])), 7),
            customer_id=ids.take(inc["i"]),
            date=w.dates(inc["day"]),
            kind=take(INCIDENT_KINDS, inc["kind"]),
            severity=inc["sev"],
            resolved_date=w.dates(inc["resolved"]),
            satisfaction=inc["sat"],
        ),
    )
