"""Persona discovery: hand-computed features and wording, the article's table, bad input,
exports, uses, and the demo company's planted personas recovered."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import workbench as wb
from workbench.personas import (
    PersonaFeatures,
    PersonaModel,
    category_affinity,
    compare_with,
    describe_base,
    drilldown,
    drilldown_findings,
    incident_profile,
    persona_cards,
    persona_features,
    product_fit,
    read_segments,
    recurring_incidents,
    trait_table,
    write_personas,
)
from workbench.personas import text as T
from workbench.personas.model import encode

AS_OF = "2025-12-31"

# --------------------------------------------------------------------------- the article's table

# id, name, gender, country, age, purchases in the last six months, amount
ARTICLE = [
    ("1201", "John", "M", "USA", 24, 9, 1200),
    ("1202", "Henry", "M", "USA", 32, 3, 400),
    ("1203", "David", "M", "Hong Kong", 21, 8, 9000),
    ("1204", "Eddy", "M", "USA", 53, 1, 500),
    ("1205", "Irene", "F", "USA", 23, 6, 650),
]


@pytest.fixture(scope="module")
def article() -> PersonaFeatures:
    raw = pd.DataFrame(ARTICLE, columns=["customer_id", "name", "gender", "country", "age",
                                         "purchases", "amount"])
    table = pd.DataFrame({
        "customer_id": raw["customer_id"], "gender": raw["gender"], "country": raw["country"],
        "age": raw["age"],
        "orders_per_year": raw["purchases"] * 2.0,  # six months -> a year
        "basket": raw["amount"] / raw["purchases"], "monetary": raw["amount"].astype(float)})
    return PersonaFeatures.from_frame(table)


def test_article_base_reads_as_the_article(article):
    # 4 of 5 in the USA; 3 of 5 aged 20-25 (24, 21, 23); purchases per year 18, 6, 16, 2, 12:
    # median 12 = once a month; mean basket (133.33 + 133.33 + 1125 + 500 + 108.33) / 5 = 400
    sentences = describe_base(article, currency="$")
    assert "80 % live in USA" in sentences
    assert "60 % are aged 20–25" in sentences
    assert "buy about once a month (median)" in sentences
    assert "average basket $400" in sentences


def test_article_hong_kong_buyer_spends_most(article):
    table = drilldown(article, by="country")
    assert list(table["country"]) == ["USA", "Hong Kong"]
    assert list(table["customers"]) == [4, 1]
    # revenue 2,750 of 11,750 and 9,000 of 11,750
    assert list(table["revenue_pct"]) == [23.4, 76.6]
    assert list(table["mean_monetary"]) == [687.5, 9000.0]
    findings = drilldown_findings(article, by="country", currency="$")
    assert ("Buyers from Hong Kong spend more ($9,000 per customer against $575 for the others) "
            "even though they are a smaller share (20 % of customers, 77 % of revenue) "
            "(only 1 customer: a hint, not a finding).") in findings


def test_article_oldest_buyer_spends_more_per_purchase_but_buys_least_often(article):
    table = drilldown(article, by="age_band")
    assert list(table["age_band"]) == ["20–25", "26–35", "46–55"]
    assert list(table["customers"]) == [3, 1, 1]
    oldest = table.iloc[-1]
    assert oldest["mean_orders_per_year"] == table["mean_orders_per_year"].min() == 2.0
    # Eddy: basket 500 against the others' median 133.33; 2 purchases a year against 14
    findings = drilldown_findings(article, by="age_band", currency="$")
    assert ("Buyers aged 46–55 spend more per purchase ($500 against $133) but buy less often "
            "(about twice a year against about once a month) "
            "(only 1 customer: a hint, not a finding).") in findings


def test_article_bad_input_gets_clear_errors(article):
    with pytest.raises(ValueError, match="at least 3 customers to compare groups; got 1"):
        PersonaModel().fit(article.table.head(1))
    with pytest.raises(ValueError, match="asked for 6 personas but there are only 5 customers"):
        PersonaModel(n_personas=6).fit(article)
    with pytest.raises(ValueError, match="asked for 5 personas .* ask for at most 4"):
        PersonaModel(n_personas=5).fit(article)
    with pytest.raises(ValueError, match="age have no value for any of the 5 customers"):
        PersonaFeatures.from_frame(article.table.assign(age=np.nan))
    with pytest.raises(ValueError, match="unknown feature.*income"):
        article.select(["age", "income"])
    with pytest.raises(ValueError, match="algorithm must be one of kmeans, gmm, agglomerative"):
        PersonaModel(algorithm="dbscan").fit(article)
    with pytest.raises(ValueError, match="criterion='bic' needs a likelihood"):
        PersonaModel(criterion="bic").fit(article)
    with pytest.raises(ValueError, match="k_range must be"):
        PersonaModel(k_range=(1, 4)).fit(article)
    with pytest.raises(ValueError, match="customer_id must be unique"):
        PersonaFeatures.from_frame(pd.concat([article.table, article.table.head(1)]))
    with pytest.raises(ValueError, match="every feature is constant"):
        PersonaModel().fit(PersonaFeatures.from_frame(article.table.assign(country="USA"), features=["country"]))


def test_article_k_range_is_capped_and_labels_cover_everyone(article):
    model = PersonaModel(n_bootstrap=3).fit(article)
    assert list(model.choice_["k"]) == [2, 3, 4]
    assert model.labels_.index.tolist() == [c[0] for c in ARTICLE]
    assert model.choice_["chosen"].sum() == 1
    with pytest.raises(ValueError, match="1 customer.* have no persona label"):
        persona_cards(article, model.labels_.iloc[:4])


# --------------------------------------------------------------------------- wording by hand

def test_rates_and_effect_sizes_in_words():
    assert T.rate(12) == "about once a month"
    assert T.rate(24) == "about twice a month"
    assert T.rate(60) == "about 5 times a month"
    assert T.rate(5) == "about 5 times a year"
    assert T.rate(2) == "about twice a year"
    assert T.rate(1) == "about once a year"
    assert T.rate(0.5) == "less than once a year"
    assert T.cohen_h(0.5, 0.5) == 0
    assert T.cohen_h(1, 0) == pytest.approx(math.pi)
    assert T.contrast(0.6, -0.4) == "spend more per purchase but buy less often than the average customer"
    assert T.contrast(-0.6, 0.4) == "buy more often but spend less per purchase than the average customer"
    assert T.contrast(0.1, -0.1) is None
    # strongest first, then in reading order: adjectives, what, where
    assert T.short_name([("order_share", "web"), ("spend_share", "electronics"), ("age", "Young"),
                         ("basket", "Small-basket")]) == "Young · electronics · web"
    assert T.short_name([]) == "Average customers"
    bands = T.age_band(pd.Series([19, 20, 25, 26, 66, None]))
    assert list(bands[:5]) == ["under 20", "20–25", "20–25", "26–35", "66 and over"]
    assert pd.isna(bands[5])


def test_encoding_by_hand():
    table = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "age": [20.0, 30.0, np.nan, 40.0],
                          "gender": ["F", "M", "F", None]})
    enc = encode(PersonaFeatures.from_frame(table), winsorize=0)
    # age: the missing one set to the median 30 -> 20, 30, 30, 40; centred on 30, sd sqrt(50)
    assert enc.columns == ["age", "age missing", "gender=F", "gender=M", "gender=not stated"]
    np.testing.assert_allclose(enc.matrix[:, 0], [-10 / math.sqrt(50), 0, 0, 10 / math.sqrt(50)])
    w = math.sqrt(0.5)
    np.testing.assert_allclose(enc.matrix[:, 1], [0, 0, w, 0])
    np.testing.assert_allclose(enc.matrix[:, 2:], [[w, 0, 0], [0, w, 0], [w, 0, 0], [0, 0, w]])
    report = enc.report.set_index("feature")
    assert report.loc["age", "missing"] == 1 and report.loc["gender", "levels"] == 3
    clipped = encode(PersonaFeatures.from_frame(pd.DataFrame(
        {"customer_id": [str(i) for i in range(100)], "x": np.arange(100.0)})), winsorize=0.01)
    assert clipped.report.loc[0, "clipped"] == 2  # 0 below the 1st percentile, 99 above the 99th


# --------------------------------------------------------------------------- a tiny CRM by hand

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_crm")
    pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "kind": ["person", "company", "person", "person"],
                  "gender": ["F", None, "M", "F"], "age": [30, None, 60, 45],
                  "country": ["FR", "FR", "BE", "FR"]}).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame({"product_id": ["P1", "P2", "P3"], "category": ["electronics", "fashion", "office"],
                  "list_price": [100, 60, 250]}).to_csv(folder / "products.csv", index=False)
    pd.DataFrame([
        ("O1", "L1", "C1", "2025-01-01", 100, 1, 100, "P1", "electronics", "web"),
        ("O2", "L2", "C1", "2025-07-01", 50, 1, 50, "P2", "fashion", "app"),
        ("O3", "L3", "C2", "2025-06-01", 200, 1, 200, "P3", "office", "sales_rep"),
        ("O3", "L4", "C2", "2025-06-10", -50, -1, 50, "P3", "office", "sales_rep"),
        ("O4", "L5", "C4", "2025-03-01", 0, 1, 0, "P2", "fashion", "web"),
    ], columns=["order_id", "line_id", "customer_id", "order_date", "amount", "quantity",
                "unit_price", "product_id", "category", "channel"]).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame({"incident_id": ["I1", "I2"], "customer_id": ["C1", "C2"],
                  "date": ["2025-03-01", "2025-08-01"], "kind": ["complaint", "late_delivery"]}).to_csv(
        folder / "incidents.csv", index=False)
    return wb.load(folder, as_of=AS_OF)


def test_tiny_features_by_hand(tiny):
    f = persona_features(tiny, as_of=AS_OF)
    t = f.table.set_index("customer_id")
    assert list(t.index) == ["C1", "C2"]
    # C3 has no order line, C4 only a free line: counted, not silently dropped
    assert dict(zip(f.excluded["reason"], f.excluded["customers"], strict=True)) == {
        "order lines but no purchase (only returns or free lines) up to as_of": 1,
        "no order line up to as_of": 1}
    c1, c2 = t.loc["C1"], t.loc["C2"]
    assert c1["monetary"] == 150 and c1["basket"] == 75  # two orders of 100 and 50
    assert c2["monetary"] == 150 and c2["basket"] == 200  # net of the return; basket before it
    assert c1["tenure_days"] == 364 and c1["recency_days"] == 183
    assert c1["orders_per_year"] == pytest.approx(2 * 365.25 / 364)
    assert c1["discount_pct"] == pytest.approx(100 * (1 - 150 / 160))
    assert c2["discount_pct"] == pytest.approx(20.0)
    assert c1["category=electronics"] == pytest.approx(2 / 3) and c1["category=office"] == 0
    assert c1["channel=web"] == 0.5 and c1["channel=app"] == 0.5 and c2["channel=sales_rep"] == 1
    assert c1["incidents_per_year"] == pytest.approx(365.25 / 364)
    assert c2["complaints_per_year"] == 0 and c1["complaints_per_year"] == pytest.approx(365.25 / 364)
    assert c1["age"] == 30 and pd.isna(c2["age"]) and c2["kind"] == "company"
    # clustering sees shares shrunk toward the base by 2 lines: C1 electronics (1 of 2 lines)
    # base electronics share of spend = 100 / 350
    shrunk = f.shrunk("category=electronics").to_numpy()
    assert shrunk[0] == pytest.approx((2 / 3 * 2 + 2 * 100 / 350) / (2 + 2))
    assert shrunk[1] == pytest.approx((0 * 1 + 2 * 100 / 350) / (1 + 2))


def test_tiny_uses_by_hand(tiny):
    labels = pd.Series({"C1": "P1", "C2": "P2"})
    affinity = category_affinity(tiny, labels, as_of=AS_OF).set_index(["persona", "category"])
    assert affinity.loc[("P1", "electronics"), "spend_share_pct"] == pytest.approx(66.7)
    # base electronics share 100 / 350 = 28.57 %: index 66.67 / 28.57 = 233
    assert affinity.loc[("P1", "electronics"), "index"] == 233
    assert affinity.loc[("P2", "electronics"), "spend"] == 0 and affinity.loc[("P2", "electronics"), "index"] == 0
    fit = product_fit(tiny, labels, as_of=AS_OF, category="electronics", price=80, channel="web")
    row = fit.set_index("persona").loc["P1"]
    # 100 of 150 in electronics; its one electronics line at 100 >= 80; 1 of 2 orders on the web
    assert (row["category_share_pct"], row["price_accepted_pct"], row["channel_share_pct"]) == (66.7, 100.0, 50.0)
    # base: 100 / 350 x 1 x 1 / 3 orders -> P1 index (2/3 x 1/2) / (2/7 x 1/3) = 350
    assert row["fit_index"] == 350 and row["verdict"] == "good fit"
    assert fit["persona"].iloc[-1] == "all customers"
    with pytest.raises(ValueError, match="category 'toys' is not in the orders; known: electronics, fashion, office"):
        product_fit(tiny, labels, as_of=AS_OF, category="toys", price=10)
    with pytest.raises(ValueError, match="price must be a positive amount"):
        product_fit(tiny, labels, as_of=AS_OF, category="office", price=-1)
    crossed, ari = compare_with(persona_features(tiny, as_of=AS_OF), labels, by="kind")
    assert ari == 1.0 and crossed.loc["P2", "company"] == 1
    incidents = incident_profile(tiny, labels, as_of=AS_OF)
    assert list(incidents["per_100_customers"]) == [100.0, 100.0]
    assert list(incidents["kind"]) == ["complaint", "late_delivery"]


# --------------------------------------------------------------------------- the demo company

@pytest.fixture(scope="module")
def demo():
    crm = wb.load("demo", as_of=AS_OF, seed=42)
    features = persona_features(crm, as_of=AS_OF)
    model = PersonaModel().fit(features)
    cards = persona_cards(features, model.labels_, currency="€", stability=model.stability_)
    truth = crm.customers_truth.set_index("customer_id")["persona"].loc[model.labels_.index]
    match = pd.crosstab(model.labels_, truth).idxmax(axis=1)  # persona id -> planted persona
    return crm, features, model, cards, truth, match


def test_demo_recovers_the_planted_personas(demo):
    _, features, model, _, truth, match = demo
    assert features.n_customers == 3999  # one customer has only a free or returned line
    assert model.n_personas_ == 5
    assert adjusted_rand_score(truth, model.labels_) >= 0.8  # 0.949 with seed 42
    assert sorted(match) == sorted(set(truth))  # every planted persona found once
    assert (model.stability_["jaccard"] >= 0.9).all() and model.stability_["verdict"].eq("stable").all()
    assert model.bootstrap_ari_.mean() >= 0.9


def test_demo_is_deterministic_for_a_seed(demo):
    _, features, model, *_ = demo
    again = PersonaModel(n_bootstrap=0).fit(features)
    assert again.labels_.equals(model.labels_)


PLANTED = {  # words each card must contain: what demo.py planted
    "young_digital": ["Young", "electronics", "fashion", "app"],
    "family_store": ["store", "household", "kids"],
    "senior_premium": ["Senior", "premium", "phone"],
    "business_buyers": ["Business", "office", "sales rep", "100 % are companies"],
    "bargain_hunters": ["off list price", "web", "Small-basket"],
}


def test_demo_cards_name_the_planted_traits(demo):
    crm, _, _, cards, _, match = demo
    planted = crm.truth["personas"]
    for card in cards:
        persona = match[card.id]
        text = card.to_markdown()
        missing = [w for w in PLANTED[persona] if w not in text]
        assert not missing, f"{card.id} ({persona}) card lacks {missing}:\n{text}"
        assert card.share_pct == pytest.approx(100 * planted[persona]["share"], abs=3)
    by_persona = {match[c.id]: c for c in cards}
    senior = by_persona["senior_premium"]
    assert "spend more per purchase but buy less often than the average customer" in senior.contrasts
    age = next(t["sentence"] for t in senior.traits if t["feature"] == "age")
    lo, hi = (int(x) for x in age.split("aged ")[1].split(" ")[0].split("–"))
    assert 60 <= lo and hi <= 78  # planted 60-78
    assert by_persona["business_buyers"].revenue_share_pct > 45  # 10 % of customers, big baskets


def test_demo_traits_and_drilldowns(demo):
    _, features, model, cards, _, match = demo
    traits = trait_table(features, model.labels_).set_index(["persona", "feature"])
    business = next(k for k, v in match.items() if v == "business_buyers")
    assert traits.loc[(business, "channel=sales_rep"), "value"] > 0.7  # planted 80 %
    assert traits.loc[(business, "channel=sales_rep"), "effect"] > 2
    by = drilldown(features, by="persona", labels=model.labels_)
    assert by["customers"].sum() == 3999 and by["customers_pct"].sum() == pytest.approx(100, abs=0.2)
    crossed, ari = compare_with(features, model.labels_, by="kind")
    assert crossed.loc[business, "company"] == 351 and crossed["company"].sum() == 356
    assert 0 < ari < 0.2  # five personas against a two-way split agree only in part


def test_demo_uses(demo):
    crm, _, model, cards, _, match = demo
    who = {v: k for k, v in match.items()}
    affinity = category_affinity(crm, model.labels_, as_of=AS_OF).set_index(["persona", "category"])
    assert affinity.loc[(who["business_buyers"], "office"), "index"] > 150
    assert affinity.loc[(who["senior_premium"], "premium"), "index"] > 300
    fit = product_fit(crm, model.labels_, as_of=AS_OF, category="premium", price=199, channel="phone",
                      names=cards.names())
    assert fit.iloc[0]["persona"] == who["senior_premium"] and fit.iloc[0]["verdict"] == "good fit"
    fit = product_fit(crm, model.labels_, as_of=AS_OF, category="electronics", price=59, channel="app")
    assert fit.iloc[0]["persona"] == who["young_digital"]
    incidents = incident_profile(crm, model.labels_, as_of=AS_OF)
    rate = incidents.groupby("persona")["per_100_customers"].sum()
    assert rate.idxmax() == who["business_buyers"]  # planted 0.7 incidents a year, the most
    found = recurring_incidents(incidents, names=cards.names()).set_index("persona")
    assert found.loc[who["senior_premium"], "over_represented"] == "praise"  # planted 25 % vs 5-10 %


def test_exports_round_trip(demo, tmp_path):
    _, _, model, cards, _, _ = demo
    paths = write_personas(model.labels_, cards, tmp_path)
    assert sorted(paths) == ["csv", "json", "md", "parquet"]
    expected = model.labels_.map(cards.names())
    for fmt in ("csv", "parquet"):
        seg = read_segments(paths[fmt])
        assert list(seg.columns) == ["customer_id", "segment"]
        assert seg.set_index("customer_id")["segment"].equals(expected.rename("segment"))
    assert pd.read_csv(paths["csv"], dtype=str).columns.tolist() == ["customer_id", "persona"]
    saved = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [c["name"] for c in saved] == [c.name for c in cards]
    assert saved[0]["traits"][0]["sentence"] == cards[0].sentences[0]
    assert paths["md"].read_text(encoding="utf-8").count("\n### P") == 5


def test_read_segments_errors(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    ok = read_segments(write("ok.csv", "customer_id,rfm\n007,champions\n8,lost\n"))
    assert ok.to_dict("list") == {"customer_id": ["007", "8"], "segment": ["champions", "lost"]}
    two = write("two.csv", "customer_id,a,b\n1,x,y\n")
    with pytest.raises(ValueError, match=r"2 label columns besides customer_id \(a, b\); say which with column="):
        read_segments(two)
    assert read_segments(two, column="b")["segment"].tolist() == ["y"]
    with pytest.raises(ValueError, match="no customer_id column"):
        read_segments(write("noid.csv", "id,segment\n1,x\n"))
    with pytest.raises(ValueError, match="customer_id must appear once; repeated: 1"):
        read_segments(write("dup.csv", "customer_id,segment\n1,x\n1,y\n"))
    with pytest.raises(ValueError, match=r"1 row\(s\) with no segment \(lines 3\)"):
        read_segments(write("empty.csv", "customer_id,segment\n1,x\n2,\n"))
    with pytest.raises(ValueError, match="must be CSV or Parquet"):
        read_segments(write("seg.txt", "customer_id,segment\n"))
    with pytest.raises(FileNotFoundError, match="no such segments file"):
        read_segments(tmp_path / "absent.csv")
