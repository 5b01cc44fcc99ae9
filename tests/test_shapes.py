"""Demo shapes: each degraded variant holds what its name says, and every way in reaches it."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench import demo
from workbench.cli import main
from workbench.data.sources import SourceError

SMALL = 200


@pytest.fixture(scope="module")
def full():
    return demo.generate(customers=SMALL, seed=7)


def shaped(name):
    return demo.generate(customers=SMALL, seed=7, shape=name).tables


def test_every_shape_is_listed_in_the_data_readme(root):
    text = (root / "data" / "README.md").read_text()
    for name in demo.SHAPES:
        assert f"| `{name}` |" in text, f"data/README.md does not list the shape {name}"


@pytest.mark.parametrize("name, table, gone", [
    ("contacts_without_responded", "campaign_contacts", {"responded", "responded_at"}),
    ("contacts_without_funnel", "campaign_contacts",
     {"sent", "delivered", "opened", "clicked", "bounced", "undeliverable", "unsubscribed",
      "attended", "sent_at", "opened_at", "clicked_at"}),
    ("contacts_without_dates", "campaign_contacts", {"sent_at", "opened_at", "clicked_at", "responded_at"}),
    ("orders_without_category", "orders", {"category"}),
    ("products_without_prices", "products", {"list_price", "unit_cost"}),
    ("customers_without_demographics", "customers",
     {"kind", "name", "gender", "birth_date", "age", "country", "city", "sector"}),
])
def test_column_shapes_drop_exactly_their_columns(full, name, table, gone):
    tables = shaped(name)
    assert set(full.tables[table].columns) - set(tables[table].columns) == gone
    assert len(tables[table]) == len(full.tables[table])


@pytest.mark.parametrize("name, holds", [
    ("response_only", {"customers", "campaigns", "campaign_contacts"}),
    ("campaign_aggregates", {"campaigns", "campaign_stats"}),
    ("no_products", {"customers", "orders", "campaigns", "campaign_contacts", "incidents", "price_survey",
                     "interactions"}),  # the interactions were dropped with the products
    ("transactions_only", {"customers", "orders"}),
    ("survey_only", {"products", "price_survey"}),
    ("survey_only_no_costs", {"products", "price_survey"}),
])
def test_table_shapes_hold_only_their_tables(name, holds):
    assert set(shaped(name)) == holds


def test_row_shapes(full):
    contacts = shaped("no_control_groups")["campaign_contacts"]
    assert set(contacts["group"]) == {"target"}
    assert len(contacts) == (full.tables["campaign_contacts"]["group"] == "target").sum()
    assert len(shaped("partial_customer_master")["customers"]) == -(-SMALL // 3)
    for name, months in (("two_years", 24), ("three_months", 3)):
        orders = shaped(name)["orders"]
        assert orders["order_date"].min() >= pd.Timestamp("2025-12-31") - pd.DateOffset(months=months)
    again = shaped("everyone_repurchases")["orders"]
    recent = again[again["order_date"] > pd.Timestamp("2025-12-31") - pd.Timedelta(days=90)]
    assert set(recent["customer_id"]) == set(full.tables["orders"]["customer_id"])
    assert (shaped("no_amounts")["orders"]["amount"] == 0).all()
    survey, swapped = full.tables["price_survey"], shaped("survey_swapped")["price_survey"]
    assert swapped["cheap"].tolist() == survey["expensive"].tolist()
    assert swapped["expensive"].tolist() == survey["cheap"].tolist()
    assert "unit_cost" not in shaped("survey_only_no_costs")["products"]


def test_campaign_aggregates_sum_the_contacts(full):
    aggregates = shaped("campaign_aggregates")["campaign_stats"].set_index("campaign_id")
    targets = full.tables["campaign_contacts"].query("group == 'target'")
    assert aggregates["conversions"].sum() == targets["responded"].sum()
    assert aggregates["clicks"].sum() == targets["clicked"].sum()
    assert (aggregates["spend"] >= 0).all() and (aggregates["revenue"] >= 0).all()


def test_load_reaches_a_shape_by_its_name_and_refuses_an_unknown_one():
    crm = wb.load("demo:orders_without_category", as_of="2025-12-31", demo_customers=SMALL, seed=7)
    assert "category" not in crm["orders"] and crm.truth["shape"] == "orders_without_category"
    assert "shape orders_without_category" in crm.source
    with pytest.raises(SourceError, match="no such demo shape.*demo:two_years"):
        wb.load("demo:nope")
    crm = wb.load("demo:campaign_aggregates", demo_customers=SMALL)
    assert set(crm.tables) == {"campaigns", "campaign_stats"} and crm.ok


def test_cli_writes_a_shape_that_loads_back(tmp_path, capsys):
    assert main(["demo-data", "--shape", "survey_only", "--customers", "150", "--out", str(tmp_path)]) == 0
    assert "demo shape survey_only" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {
        "products.csv", "price_survey.csv", "customers_truth.csv", "truth.json"}
    crm = wb.load(tmp_path)
    assert len(crm["price_survey"]) == len(shaped_at(150, "survey_only")["price_survey"])
    assert main(["demo-data", "--shape", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "no such shape" in capsys.readouterr().err


def shaped_at(customers, name):
    return demo.generate(customers=customers, shape=name).tables
