"""RFM scoring on the real CDNOW master file (23,570 customers), against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench import rfm

END, EARLY = pd.Timestamp("1998-06-30"), pd.Timestamp("1998-03-31")


@pytest.fixture(scope="module")
def cdnow(real_data):
    return wb.load(real_data / "cdnow", mapping="data/mappings/cdnow_master.yml", as_of=END)


@pytest.fixture(scope="module")
def raw(real_data) -> pd.DataFrame:
    """The file read by hand, without the workbench: one line = one purchase."""
    df = pd.read_csv(real_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str})
    df["date"] = pd.to_datetime(df["date"].astype(str), format="%Y%m%d")
    return df


@pytest.fixture(scope="module")
def result(cdnow):
    return rfm.score(cdnow, as_of=END)


def test_r_f_m_of_all_23570_customers_equal_an_independent_computation(result, raw):
    t = result.table.set_index("customer_id")
    assert len(t) == 23_570
    bought = raw[raw["dollar_value"] > 0]
    f = bought.groupby("customer_id").size().reindex(t.index, fill_value=0)
    m = raw.groupby("customer_id")["dollar_value"].sum().reindex(t.index)
    last = bought.groupby("customer_id")["date"].max().reindex(t.index)
    assert (t["frequency"].to_numpy() == f.to_numpy()).all()
    assert np.abs(t["monetary"].to_numpy() - m.to_numpy()).max() < 1e-9
    r = (END - last).dt.days
    assert (t["recency_days"].isna() == r.isna()).all()
    assert (t["recency_days"].dropna().astype(int) == r.dropna().astype(int)).all()
    # the 68 customers whose only purchases are $0.00 have no purchase, no score
    assert (t["status"] == "no purchase").sum() == 68 == t["r_score"].isna().sum()
    assert result.counts["purchasers"] == 23_502


def test_quantile_cut_points_on_cdnow(result):
    cuts = result.scorer.cut_points_
    assert cuts["f_score"].tolist() == [1, 1, 2, 4]  # half the customers bought once: score 2 is empty
    assert cuts["r_score"].tolist() == [140, 430, 484, 512]
    assert np.round(cuts["m_score"], 2).tolist() == [15.36, 31.54, 60.05, 134.29]
    t = result.table
    assert (t["f_score"] == 2).sum() == 0 and result.scorer.bin_shares_["f_score"][1] == pytest.approx(0.504, abs=0.001)


def test_scores_are_stable_when_the_same_scorer_is_applied_to_a_later_period(cdnow):
    early = rfm.score(cdnow, as_of=EARLY, rfmcca=False)
    later = rfm.score(cdnow, as_of=END, scorer=early.scorer, rfmcca=False)
    refit = rfm.score(cdnow, as_of=END, rfmcca=False)
    a, b, c = (x.table.set_index("customer_id") for x in (early, later, refit))
    quiet = a.index[(a["frequency"] == b["frequency"].reindex(a.index))
                    & (a["monetary"] == b["monetary"].reindex(a.index)) & a["f_score"].notna()]
    assert len(quiet) > 20_000  # most of the cohort bought nothing in the last quarter
    for s in ("f_score", "m_score"):  # the same behaviour keeps the same score with the reused scorer
        assert (a.loc[quiet, s] == b.loc[quiet, s]).all()
    # re-fitting on the later period moves cut points, so the same behaviour changes score
    moved = (a.loc[quiet, "m_score"] != c.loc[quiet, "m_score"]).mean()
    assert moved > 0.03  # measured 4.6 % of the quiet customers
    # recency can only get worse for a customer who did not buy
    assert (b.loc[quiet, "r_score"] <= a.loc[quiet, "r_score"]).all()


def test_cdnow_has_no_attributes_nor_categories_and_says_so(result):
    cov = result.grid_coverage.set_index("criterion")
    assert cov.loc["network", "skipped"] == 23_570 and cov.loc["newsletter", "skipped"] == 23_570
    assert any("no category" in n for n in result.notes)
    assert result.segment_report.unassigned == 0
    c = rfm.concentration(result.table)
    assert c["top_revenue_share_pct"] == pytest.approx(67.71, abs=0.01)
