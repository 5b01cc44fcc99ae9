"""Real public datasets through the shipped mappings: counts and totals as published."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench.rfm import rfm_table


@pytest.fixture(scope="module")
def cdnow(real_data):
    return wb.load(real_data / "cdnow", mapping="data/mappings/cdnow_master.yml", as_of="1998-06-30")


def test_cdnow_master_reconciles_transactions_customers_and_dollars(cdnow):
    orders = cdnow["orders"]
    assert cdnow.ok
    assert len(orders) == 69_659
    assert orders["customer_id"].nunique() == 23_570
    assert round(orders["amount"].sum(), 2) == 2_500_315.63
    assert orders["quantity"].sum() == 167_881
    assert (orders["amount"] == 0).sum() == 80
    assert orders["order_date"].min().strftime("%Y-%m-%d") == "1997-01-01"
    assert orders["order_date"].max().strftime("%Y-%m-%d") == "1998-06-30"


def test_cdnow_rfm_in_the_engine_matches_pandas(cdnow):
    orders = cdnow["orders"]
    rfm = rfm_table(orders, as_of="1998-06-30").set_index("customer_id")
    assert len(rfm) == 23_570
    bought = orders[orders["amount"] > 0]
    expected_f = bought.groupby("customer_id")["order_id"].nunique()
    expected_m = orders.groupby("customer_id")["amount"].sum()
    last = bought.groupby("customer_id")["order_date"].max()
    assert (rfm["frequency"].reindex(expected_f.index) == expected_f).all()
    assert (rfm["monetary"] - expected_m.reindex(rfm.index)).abs().max() < 1e-6
    recency = (rfm.loc[last.index, "recency_days"]).astype(int)
    assert (recency == (pd.Timestamp("1998-06-30") - last).dt.days).all()
    # customers whose only purchases are $0 have no purchase: frequency 0, no recency
    assert (rfm["frequency"] == 0).sum() == 23_570 - expected_f.size


def test_hillstrom_maps_three_arms(real_data):
    crm = wb.load(real_data / "hillstrom", mapping="data/mappings/hillstrom.yml")
    contacts = crm["campaign_contacts"]
    assert contacts["group"].value_counts().to_dict() == {"womens": 21_387, "mens": 21_307, "control": 21_306}
    assert len(crm["orders"]) == 578
    assert crm.quality.set_index("table").loc["orders", "excluded"] == 64_000 - 578
    spend = contacts.groupby("group")["spend"].mean()
    assert round(spend["mens"], 6) == 1.422617


def test_wholesale_unpivots_six_families_per_client(real_data):
    crm = wb.load(real_data / "wholesale_customers", mapping="data/mappings/wholesale_customers.yml")
    assert crm["customers"]["sector"].value_counts().to_dict() == {"Horeca": 298, "Retail": 142}
    assert len(crm["orders"]) == 440 * 6
    assert crm["orders"].groupby("category")["amount"].sum()["Fresh"] == 5_280_131


def test_psm_survey_maps_japanese_columns(real_data):
    survey = wb.load(real_data / "psm_jp", mapping="data/mappings/psm_jp.yml")["price_survey"]
    assert len(survey) == 36
    assert survey.iloc[0][["expensive", "cheap", "too_expensive", "too_cheap"]].tolist() == [500, 250, 500, 200]
