"""Views of the journeys for people: the typical paths, how long between steps, by segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from workbench.journeys.paths import NO_TOUCH

__all__ = ["wilson_interval", "top_paths", "step_times", "paths_by_segment", "segment_table",
           "AUTO_SEGMENT_COLUMNS"]


def wilson_interval(successes, trials, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (arrays); NaN where there is no trial."""
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)


def top_paths(journeys: pd.DataFrame, *, top: int = 10, min_journeys: int = 1,
              confidence: float = 0.95) -> pd.DataFrame:
    """The most frequent paths of concluded journeys, with conversion rates and intervals.

    Columns: path, steps, journeys, share (of concluded journeys with a touch), purchases,
    conversion, conversion_low, conversion_high, median_days_to_purchase. Open journeys and
    purchases without a touch are not paths; :attr:`DataFrame.attrs` counts them.
    """
    done = journeys[~journeys["open"]]
    touched = done[done["path"] != NO_TOUCH]
    g = touched.groupby("path").agg(journeys=("converted", "size"), purchases=("converted", "sum"),
                                    median_days_to_purchase=("days_to_purchase", "median"))
    g = g[g["journeys"] >= min_journeys].sort_values(["journeys", "purchases"], ascending=False)
    g = g.head(top).reset_index()
    g.insert(1, "steps", g["path"].str.count(" > ") + 1)
    g.insert(3, "share", g["journeys"] / max(len(touched), 1))
    g["conversion"] = g["purchases"] / g["journeys"]
    g["conversion_low"], g["conversion_high"] = wilson_interval(g["purchases"], g["journeys"],
                                                                confidence=confidence)
    g = g[["path", "steps", "journeys", "share", "purchases", "conversion", "conversion_low",
           "conversion_high", "median_days_to_purchase"]]
    g.attrs.update(concluded=len(touched), open=int(journeys["open"].sum()),
                   purchases_without_touch=int((done["path"] == NO_TOUCH).sum()),
                   paths=int(touched["path"].nunique()), confidence=confidence)
    return g


def step_times(events: pd.DataFrame, journeys: pd.DataFrame, *, paths) -> pd.DataFrame:
    """Median days between consecutive steps of each path (touch to touch, last touch to
    purchase), over its converting journeys: one row per path and step."""
    keys = journeys.loc[journeys["converted"] & journeys["path"].isin(list(paths)),
                        ["customer_id", "journey", "path"]]
    ev = events.merge(keys, on=["customer_id", "journey"]).sort_values(
        ["customer_id", "journey", "ts", "is_purchase"])
    ev["days"] = ev.groupby(["customer_id", "journey"])["ts"].diff().dt.total_seconds() / 86400
    ev["to"] = np.where(ev["is_purchase"], "purchase", ev["channel"])
    ev["from"] = ev.groupby(["customer_id", "journey"])["to"].shift()
    moves = ev.dropna(subset=["from"])
    moves = moves.assign(position=moves.groupby(["customer_id", "journey"]).cumcount() + 1)
    out = moves.groupby(["path", "position", "from", "to"], sort=False)["days"].agg(
        journeys="size", median_days="median", p90_days=lambda s: s.quantile(0.9)).reset_index()
    return out.sort_values(["path", "position"], ignore_index=True)


def paths_by_segment(journeys: pd.DataFrame, segments: pd.DataFrame, *, top: int = 3,
                     min_journeys: int = 20) -> pd.DataFrame:
    """The `top` paths of each segment (``segments``: customer_id, segment), with conversion."""
    seg = segments[["customer_id", "segment"]].astype({"customer_id": "str"})
    joined = journeys.merge(seg, on="customer_id", how="left")
    joined["segment"] = joined["segment"].astype("object").where(joined["segment"].notna(),
                                                                 "(no segment)")
    parts = []
    for name, group in joined.groupby("segment", sort=True):
        t = top_paths(group, top=top, min_journeys=min_journeys)
        parts.append(t.assign(segment=name))
    if not parts:
        return pd.DataFrame(columns=["segment", "path", "journeys", "purchases", "conversion"])
    out = pd.concat(parts, ignore_index=True)
    return out[["segment", "path", "journeys", "share", "purchases", "conversion",
                "conversion_low", "conversion_high"]]


#: customers columns tried, in order, when the segment column is "auto"
AUTO_SEGMENT_COLUMNS = ("segment", "persona", "customer_type", "sales_rep", "region", "country")


def segment_table(crm, *, segments: str = "", column: str = "auto") -> tuple[pd.DataFrame | None, str]:
    """``customer_id, segment`` from a segments file, or a customers column; and a sentence.

    `segments` (a CSV/Parquet file, as the persona and RFM notebooks export) comes first; else
    `column` of the customers table; ``"auto"`` takes the first of
    :data:`AUTO_SEGMENT_COLUMNS` that the customers table has.
    """
    if str(segments).strip():
        from workbench.personas import read_segments

        table = read_segments(segments)
        return table, f"Segments from {segments} ({table['segment'].nunique()} segments)."
    customers = crm["customers"] if "customers" in crm else None
    if customers is None:
        return None, "No customers table and no segments file: paths are not split by segment."
    if column == "auto":
        column = next((c for c in AUTO_SEGMENT_COLUMNS if c in customers), "")
        if not column:
            return None, ("No segment column found in customers (tried "
                          f"{', '.join(AUTO_SEGMENT_COLUMNS)}): set segments or segment_column.")
    elif not column:
        return None, "No segment asked for (segment_column is empty)."
    if column not in customers:
        return None, (f"customers has no column {column!r}: paths are not split by segment; "
                      "map it, or name another column in segment_column.")
    table = customers[["customer_id", column]].rename(columns={column: "segment"})
    return table, f"Segments: customers.{column} ({table['segment'].nunique()} values)."
