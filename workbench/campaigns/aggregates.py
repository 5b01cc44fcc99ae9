"""Campaign ROI from campaign-level results (``campaign_stats``): cost per acquisition, ROI, funnel.

Ads platforms and e-mail tools export one row per campaign, ad or day (spend, impressions,
clicks, conversions, conversion value) and no customer rows. Such figures are what the
platform *attributes* to itself: there is no control group, so nothing here is incremental.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.campaigns.responses import wilson_interval

__all__ = ["BASIS_PLATFORM", "STATS_STAGES", "campaign_results", "stats_funnel"]

BASIS_PLATFORM = "attributed by the platform: no control group"
#: The funnel of campaign-level results, in order.
STATS_STAGES = ("impressions", "clicks", "conversions")
_SUMS = ("spend", "impressions", "clicks", "conversions", "revenue")


def campaign_results(stats: pd.DataFrame, *, campaigns: pd.DataFrame | None = None,
                     margin_rate: float | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Per campaign: spend, funnel counts, rates, cost per acquisition and attributed ROI.

    Parameters
    ----------
    stats : DataFrame
        The ``campaign_stats`` contract table (rows per campaign, ad or day are added up).
    campaigns : DataFrame, optional
        The campaigns table, for names, kinds and channels the stats rows lack.
    margin_rate : float, optional
        Gross margin as a share of the attributed revenue, for the ROI; None: no ROI.

    Returns
    -------
    DataFrame
        campaign_id, name, kind, channel, ads, days, spend, impressions, clicks, conversions,
        revenue; click_through_rate = clicks / impressions (with its Wilson interval),
        conversion_rate = conversions / clicks, cost_per_click, cost_per_acquisition = spend /
        conversions, roas = revenue / spend, margin = revenue x `margin_rate`, roi = (margin -
        spend) / spend, and ``basis`` (attributed by the platform). A figure the export does not
        hold stays empty (NaN), never 0; so do the rates that need it.
    """
    if margin_rate is not None and not (np.isfinite(margin_rate) and -1 <= margin_rate <= 1):
        raise ValueError(f"margin_rate must be a share of revenue between -1 and 1, not {margin_rate!r}")
    g = stats.groupby("campaign_id", sort=True)
    out = pd.DataFrame(index=g.size().index)
    for col in ("name", "kind", "channel"):
        out[col] = g[col].agg(_label) if col in stats else pd.NA
    out["ads"] = g["ad_id"].nunique() if "ad_id" in stats else np.nan
    out["days"] = g["date"].nunique() if "date" in stats else np.nan
    for col in _SUMS:
        out[col] = g[col].sum(min_count=1).astype(float) if col in stats else np.nan
    out = out.reset_index()
    if campaigns is not None:
        out = _fill_from_campaigns(out, campaigns)
    out["click_through_rate"] = _ratio(out["clicks"], out["impressions"])
    clicks = out["clicks"].where(out["clicks"] <= out["impressions"])
    out["ctr_low"], out["ctr_high"] = wilson_interval(clicks.fillna(0), out["impressions"].fillna(0),
                                                      confidence=confidence)
    out["conversion_rate"] = _ratio(out["conversions"], out["clicks"])
    out["cost_per_click"] = _ratio(out["spend"], out["clicks"])
    out["cost_per_acquisition"] = _ratio(out["spend"], out["conversions"])
    out["roas"] = _ratio(out["revenue"], out["spend"])
    out["margin"] = out["revenue"] * (np.nan if margin_rate is None else margin_rate)
    out["roi"] = (out["margin"] - out["spend"]) / out["spend"].where(out["spend"] > 0)
    out["basis"] = BASIS_PLATFORM
    return out


def _label(s: pd.Series):
    s = s.dropna()
    return s.mode().iat[0] if len(s) else pd.NA


def _fill_from_campaigns(out: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    known = campaigns.set_index("campaign_id")
    for col in ("name", "kind", "channel"):
        if col in known:
            out[col] = out[col].fillna(out["campaign_id"].map(known[col]))
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype("float64")


def stats_funnel(results: pd.DataFrame, campaign_id: str | None = None) -> pd.DataFrame:
    """Impressions -> clicks -> conversions of one campaign (every campaign added up if None).

    Same columns as :func:`workbench.campaigns.funnel_stages`: stage, count, share of the first
    stage (``share_of_sent``), share of the previous stage and its name; stages the export
    does not hold are left out.
    """
    rows = results if campaign_id is None else results[results["campaign_id"] == campaign_id]
    if rows.empty:
        known = ", ".join(results["campaign_id"].astype(str).unique()[:20])
        raise ValueError(f"campaign {campaign_id!r} is not in the campaign results; campaigns: {known}")
    stages = [{"stage": s, "count": float(rows[s].sum())} for s in STATS_STAGES if rows[s].notna().any()]
    out = pd.DataFrame(stages, columns=["stage", "count"])
    first = out["count"].iat[0] if len(out) else np.nan
    out["share_of_sent"] = out["count"] / first if first else np.nan
    prev = out["count"].shift(1)
    out["share_of_previous"] = out["count"] / prev.where(prev > 0)
    out["denominator"] = ["-", *out["stage"].iloc[:-1]]
    out.insert(0, "campaign_id", "all campaigns" if campaign_id is None else campaign_id)
    return out
