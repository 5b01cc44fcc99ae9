"""The demo company: contract shape, coherence, and planted truth visible in the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench import demo
from workbench.data.contract import CONTRACT, DTYPES
from workbench.demo import truth as _demo_truth

#: The tables of the full demo company: every contract table but campaign_stats (campaign-level
#: results as an ads platform reports them, a shape of its own, not rows of this company).
DEMO_TABLES = [name for name in CONTRACT if name != "campaign_stats"]

AS_OF = pd.Timestamp("2025-12-31")
START = pd.Timestamp("2023-01-01")


@pytest.fixture(scope="module")
def company() -> demo.DemoCompany:
    return demo.generate()


@pytest.fixture(scope="module")
def orders_p(company) -> pd.DataFrame:
    """Order lines with the planted persona of the buyer."""
    ct = company.customers_truth[["customer_id", "persona", "lapse_date", "first_purchase_date"]]
    return company.tables["orders"].merge(ct, on="customer_id", validate="many_to_one")


def _window_conversion(company, campaign: pd.Series) -> pd.Series:
    """Share of each group with a sale line (quantity > 0) in (send, send + window]."""
    o = company.tables["orders"]
    w = company.truth["campaigns"]["attribution_window_days"]
    send = campaign.start_date
    buyers = o.loc[
        (o.quantity > 0) & (o.order_date > send) & (o.order_date <= send + pd.Timedelta(days=w)),
        "customer_id",
    ]
    cc = company.tables["campaign_contacts"]
    cc = cc[cc.campaign_id == campaign.campaign_id]
    return cc.customer_id.isin(set(buyers)).groupby(cc["group"]).mean()


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_same_company_and_other_seed_differs():
    a = demo.generate(customers=300, seed=3)
    b = demo.generate(customers=300, seed=3)
    c = demo.generate(customers=300, seed=4)
    for name in DEMO_TABLES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.customers_truth, b.customers_truth)
    assert a.truth == b.truth
    assert not a.tables["orders"].equals(c.tables["orders"])
    assert not a.customers_truth["persona"].equals(c.customers_truth["persona"])


def test_a_customer_does_not_depend_on_how_many_follow():
    small, large = demo.generate(customers=250), demo.generate(customers=600)
    head = large.tables["customers"].iloc[:250].reset_index(drop=True)
    pd.testing.assert_frame_equal(small.tables["customers"], head)


# --- contract ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEMO_TABLES)
def test_tables_have_exactly_the_contract_columns_and_dtypes(company, name):
    df = company.tables[name]
    table = CONTRACT[name]
    assert list(df.columns) == table.column_names
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        c.name: DTYPES[c.dtype] for c in table.columns
    }
    assert len(df) > 0
    for col in table.columns:
        if not col.nullable or col.required:
            assert df[col.name].notna().all(), f"{name}.{col.name} has missing values"
        values = df[col.name].dropna()
        if col.min is not None:
            assert (values >= col.min).all(), f"{name}.{col.name} below {col.min}"
        if col.max is not None:
            assert (values <= col.max).all(), f"{name}.{col.name} above {col.max}"
        if col.allowed is not None:
            assert set(values) <= set(col.allowed)


@pytest.mark.parametrize("name", DEMO_TABLES)
def test_keys_are_unique(company, name):
    key = list(CONTRACT[name].key)
    assert not company.tables[name].duplicated(key).any()


def test_referential_integrity(company):
    t = company.tables
    customers, products = set(t["customers"].customer_id), set(t["products"].product_id)
    for name in ("orders", "campaign_contacts", "incidents", "price_survey"):
        assert set(t[name].customer_id) <= customers, name
    assert set(t["orders"].product_id) <= products
    assert set(t["price_survey"].product_id) <= products
    assert set(t["campaign_contacts"].campaign_id) == set(t["campaigns"].campaign_id)
    assert set(company.customers_truth.customer_id) == customers


def test_ids_look_like_crm_ids(company):
    t = company.tables
    assert t["customers"].customer_id.iloc[0] == "C000001"
    assert t["customers"].customer_id.iloc[-1] == "C004000"
    assert t["orders"].order_id.str.fullmatch(r"O\d{7}").all()
    assert t["orders"].line_id.str.fullmatch(r"L\d{8}").all()


def test_nothing_is_dated_after_as_of_and_date_orders_hold(company):
    for name in DEMO_TABLES:
        df = company.tables[name]
        for col in df.select_dtypes("datetime").columns:
            assert (df[col].dropna() <= AS_OF + pd.Timedelta(hours=23, minutes=59)).all(), col
        for earlier, later in CONTRACT[name].date_order:
            both = df[[earlier, later]].dropna()
            assert (both[earlier] <= both[later]).all(), (name, earlier, later)
    o = company.tables["orders"]
    assert o.order_date.min() >= START


def test_amount_is_quantity_times_price_and_returns_are_negative(company):
    o = company.tables["orders"]
    assert np.allclose(o.amount, o.quantity * o.unit_price, atol=0.005)
    returns = o[o.quantity < 0]
    assert (returns.amount < 0).all()
    assert 0.02 < len(returns) / len(o) < 0.04
    # every return follows a sale of the same product in the same order
    sales = o[o.quantity > 0].groupby(["order_id", "product_id"]).order_date.min()
    bought = sales.reindex(pd.MultiIndex.from_frame(returns[["order_id", "product_id"]]))
    assert bought.notna().all()
    assert (returns.order_date.to_numpy() > bought.to_numpy()).all()
    free = (o.amount == 0).mean()
    assert 0.0005 < free < 0.005


def test_first_order_is_on_the_first_purchase_date(company, orders_p):
    first = orders_p.groupby("customer_id").order_date.min()
    ct = company.customers_truth.set_index("customer_id")
    assert first.reindex(ct.index).equals(ct.first_purchase_date)
    cu = company.tables["customers"].set_index("customer_id")
    assert cu.signature_date.equals(ct.first_purchase_date)


# --- planted structure ---------------------------------------------------------------------


def test_persona_baskets_and_rates_match_truth(company, orders_p):
    truth = company.truth["personas"]
    sales = orders_p[orders_p.amount > 0]
    basket = sales.groupby(["persona", "order_id"]).amount.sum().groupby("persona").mean()
    planted = pd.Series({p: v["mean_basket"] for p, v in truth.items()})
    assert list(basket.sort_values().index) == list(planted.sort_values().index)
    assert np.allclose(basket[planted.index], planted, rtol=0.1)
    # orders per active year (first purchase to lapse or as_of), against the planted rate
    active = (orders_p.lapse_date.fillna(AS_OF) - orders_p.first_purchase_date).dt.days / 365.25
    per_customer = sales.groupby(["persona", "customer_id"]).order_id.nunique() - 1
    years = active.groupby([orders_p.persona, orders_p.customer_id]).first()
    rate = per_customer.groupby("persona").sum() / years.groupby("persona").sum()
    rate_planted = pd.Series({p: v["purchase_rate_per_year"] for p, v in truth.items()})
    assert list(rate.sort_values().index) == list(rate_planted.sort_values().index)
    assert (rate[rate_planted.index] >= rate_planted).all()  # induced orders come on top
    assert np.allclose(rate[rate_planted.index], rate_planted, rtol=0.15)


def test_personas_are_recoverable_by_a_plain_clustering(company, orders_p):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    sales = orders_p[orders_p.amount > 0]
    g = sales.groupby("customer_id")
    years = (AS_OF - g.order_date.min()).dt.days / 365.25 + 0.25
    features = pd.DataFrame(
        {
            "basket": np.log(g.amount.sum() / g.order_id.nunique()),
            "frequency": np.log(g.order_id.nunique() / years),
        }
    )
    features = features.join(pd.crosstab(sales.customer_id, sales.channel, normalize="index"))
    features = features.join(pd.crosstab(sales.customer_id, sales.category, normalize="index"))
    cu = company.tables["customers"].set_index("customer_id")
    features["age"] = cu.age.astype("float64").fillna(0)
    features["company"] = (cu.kind == "company").astype(float)
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(
        StandardScaler().fit_transform(features.fillna(0))
    )
    persona = company.customers_truth.set_index("customer_id").persona.reindex(features.index)
    assert adjusted_rand_score(persona, labels) >= 0.8


def test_persona_demographics(company):
    cu = company.tables["customers"].merge(company.customers_truth[["customer_id", "persona"]])
    business = cu[cu.persona == "business_buyers"]
    assert (business.kind == "company").all() and business.sector.notna().all()
    assert business[["gender", "birth_date", "age"]].isna().all().all()
    age = cu.groupby("persona").age.agg(["min", "max"])
    assert age.loc["young_digital"].tolist() == [22, 32]
    assert age.loc["senior_premium", "min"] >= 60
    assert (cu.country == "FR").mean() > 0.75
    assert set(cu.sales_rep) == set(_demo_truth.REPS)
    assert cu.sales_rep.value_counts().min() > 0.05 * len(cu)
    assert cu.groupby("persona").consent_email.mean().idxmax() == "bargain_hunters"


def test_lapsed_customers_never_buy_after_their_lapse_date(company, orders_p):
    lapsed = orders_p[orders_p.lapse_date.notna()]
    assert (lapsed.order_date <= lapsed.lapse_date).all()
    ct = company.customers_truth
    share = ct.lapse_date.notna().mean()
    assert 0.25 <= share <= 0.35
    assert share == pytest.approx(company.truth["lapse"]["share_lapsed"])
    long_ago = (ct.lapse_date <= AS_OF - pd.Timedelta(days=180)).mean()
    assert long_ago == pytest.approx(company.truth["lapse"]["share_lapsed_180d_before_as_of"])
    assert long_ago > 0.6 * share
    assert set(ct.lapse_cause.dropna()) == {"natural", "incident"}
    assert ct.lapse_cause.isna().equals(ct.lapse_date.isna())


def test_incident_lapses_follow_a_bad_complaint(company):
    ct = company.customers_truth
    inc = company.tables["incidents"].merge(ct[["customer_id", "lapse_date", "lapse_cause"]])
    bad = (inc.kind == "complaint") & ((inc.severity >= 4) | inc.resolved_date.isna())
    soon = (inc.lapse_date - inc.date).dt.days.between(7, 60)
    by_incident = set(ct.loc[ct.lapse_cause == "incident", "customer_id"])
    assert by_incident <= set(inc.loc[bad & soon, "customer_id"])
    assert len(by_incident) == company.truth["lapse"]["n_lapsed_by_incident"] > 50
    # the chance of lapsing within 60 days is far higher after a bad complaint
    early = inc.date <= AS_OF - pd.Timedelta(days=60)
    risk_bad = soon[bad & early].mean()
    risk_other = soon[(inc.kind != "complaint") & early].mean()
    assert risk_bad > 0.3 and risk_other < 0.05
    assert (inc.date <= inc.lapse_date.fillna(AS_OF)).all()


def test_incidents_are_coherent(company):
    inc = company.tables["incidents"]
    assert set(inc.kind) == set(_demo_truth.INCIDENT_KINDS)
    sat = inc.assign(open=inc.resolved_date.isna()).groupby(["kind", "open"]).satisfaction.mean()
    assert sat["complaint", True] < 2 < 3 < sat["complaint", False]
    assert inc.loc[inc.kind == "praise", "severity"].isna().all()
    first = company.customers_truth.set_index("customer_id").first_purchase_date
    assert (inc.date >= inc.customer_id.map(first)).all()


def test_seasonality_is_visible(company):
    o = company.tables["orders"]
    by_month = o.groupby(o.order_date.dt.month).amount.sum()
    assert by_month[12] > 1.5 * by_month[8]
    assert by_month[11] > by_month[10]
    by_day = o.groupby(o.order_date.dt.day_of_week).size()
    assert by_day[5] == by_day.max() and by_day[6] == by_day.min()
    months = company.truth["seasonality"]["month_multipliers"]
    assert len(months) == 12 and months[11] == max(months) and months[7] == min(months)


def test_control_groups_are_about_a_fifth_and_untouched(company):
    cc = company.tables["campaign_contacts"]
    truth = company.truth["campaigns"]
    share = cc.groupby("campaign_id")["group"].apply(lambda g: (g == "control").mean())
    no_control = sorted(share[share == 0].index)
    assert no_control == truth["no_control_campaigns"] and len(no_control) == 2
    assert 0.17 < share.drop(no_control).mean() < 0.23
    control = cc[cc["group"] == "control"]
    assert (~control.sent).all()
    flags = ["delivered", "opened", "clicked", "responded", "sent_at"]
    assert control[flags].isna().all().all()
    counts = cc.groupby(["campaign_id", "group"]).size().unstack(fill_value=0)
    for cid, t in truth["by_campaign"].items():
        assert (counts.loc[cid, "target"], counts.loc[cid].get("control", 0)) == (
            t["n_target"],
            t["n_control"],
        )


def test_email_funnel_is_realistic(company):
    cc = company.tables["campaign_contacts"]
    kinds = company.tables["campaigns"].set_index("campaign_id").kind
    email = cc[(cc["group"] == "target") & cc.campaign_id.map(kinds).eq("emailing")]
    delivered = email.delivered.mean()
    opened = email.opened[email.delivered].mean()
    clicked = email.clicked[email.opened].mean()
    assert 0.95 < delivered < 0.99 and 0.15 < opened < 0.5 and 0.1 < clicked < 0.45
    assert (email.bounced == ~email.delivered).all()
    assert email.undeliverable.isna().all()
    assert 0.001 < email.unsubscribed.mean() < 0.02
    # unsubscribed customers are not e-mailed again
    unsub = email[email.unsubscribed.fillna(False)][["customer_id", "sent_at"]]
    later = email.merge(unsub, on="customer_id", suffixes=("", "_unsub"))
    assert not (later.sent_at > later.sent_at_unsub).any()


def test_campaigns_induce_extra_conversions(company):
    truth = company.truth["campaigns"]["by_campaign"]
    rows = []
    for _, camp in company.tables["campaigns"].iterrows():
        if truth[camp.campaign_id]["has_control"]:
            conv = _window_conversion(company, camp)
            rows.append(
                (
                    conv["target"] - conv["control"],
                    truth[camp.campaign_id]["incremental_conversion"],
                )
            )
    observed, planted = np.array(rows).T
    assert len(rows) == 14
    assert observed.mean() > 0
    assert observed.mean() == pytest.approx(planted.mean(), abs=0.02)


def test_campaign_truth_is_exactly_recomputable(company):
    """Recompute the planted expectations from customers_truth and the seasonality profile."""
    truth = company.truth
    season = truth["seasonality"]
    window = truth["campaigns"]["attribution_window_days"]
    days = pd.date_range(START, AS_OF)
    intensity = pd.Series(
        np.array(season["month_multipliers"])[days.month - 1]
        * np.array(season["weekday_multipliers"])[days.day_of_week],
        days,
    )
    ct = company.customers_truth.set_index("customer_id")
    cc = company.tables["campaign_contacts"]
    for _, camp in company.tables["campaigns"].iterrows():
        t = truth["campaigns"]["by_campaign"][camp.campaign_id]
        send = camp.start_date
        targets = ct.loc[
            cc.loc[(cc.campaign_id == camp.campaign_id) & (cc["group"] == "target"), "customer_id"]
        ]
        alive = targets.lapse_date.isna() | (targets.lapse_date > send)
        u = targets.persona.map(lambda p, k=camp.kind: truth["campaigns"]["uplift"][p][k]) * alive
        end = targets.lapse_date.fillna(AS_OF).clip(upper=send + pd.Timedelta(days=window))
        cum = intensity.cumsum()
        mass = np.where(end > send, cum.reindex(end).to_numpy() - cum[send], 0.0)
        p0 = np.exp(-targets.purchase_rate_per_year / 365.25 * mass)
        assert t["incremental_revenue_per_contact"] == pytest.approx(
            (u * targets.mean_basket).mean(), rel=1e-6
        )
        assert t["incremental_conversion"] == pytest.approx((u * p0).mean(), rel=1e-6)


def test_best_action_kind_is_clearly_best(company):
    by_kind = company.truth["campaigns"]["by_kind"]
    ratio = pd.Series({k: v["margin_per_cost"] for k, v in by_kind.items()}).sort_values()
    assert ratio.index[-1] == company.truth["campaigns"]["best_action_kind"] == "emailing"
    assert ratio.iloc[-1] > 2 * ratio.iloc[-2]


# --- price survey ----------------------------------------------------------------------------


def test_survey_medians_follow_the_planted_distributions(company):
    s = company.tables["price_survey"].merge(company.customers_truth[["customer_id", "persona"]])
    q = list(_demo_truth.QUESTIONS)
    monotone = s[(s[q].diff(axis=1).iloc[:, 1:] > 0).all(axis=1)]
    assert s.groupby("persona").respondent_id.nunique().min() >= 150
    concepts = company.truth["pricing"]["concepts"]
    for (pid, persona), g in monotone.groupby(["product_id", "persona"]):
        params = concepts[pid]["by_persona"][persona]["params"]
        planted = np.array([params[x]["mean"] for x in q])
        assert np.allclose(g[q].median(), planted, rtol=0.05), (pid, persona)
    medians = monotone.groupby(["product_id", "persona"]).expensive.median()
    planted = pd.Series(
        {
            (pid, p): c["by_persona"][p]["params"]["expensive"]["mean"]
            for pid, c in concepts.items()
            for p in c["by_persona"]
        }
    )
    pairs = [
        (a, b)
        for a in planted.index
        for b in planted.index
        if a[0] == b[0] and planted[a] < 0.9 * planted[b]
    ]
    assert len(pairs) > 10
    assert all(medians[a] < medians[b] for a, b in pairs)


def test_non_monotone_answers_are_counted(company):
    s = company.tables["price_survey"]
    q = list(_demo_truth.QUESTIONS)
    non_monotone = ~(s[q].diff(axis=1).iloc[:, 1:] > 0).all(axis=1)
    pricing = company.truth["pricing"]
    assert non_monotone.sum() == pricing["n_non_monotone"]
    assert 0.01 < non_monotone.mean() < 0.04
    assert len(s) == pricing["n_rows"] == 2 * pricing["n_respondents"]


def test_van_westendorp_points_hand_computed():
    # equal spreads: each crossing is the midpoint of the two means involved
    params = {
        q: {"mean": m, "sd": 10.0}
        for q, m in zip(_demo_truth.QUESTIONS, (40, 60, 100, 140), strict=True)
    }
    points = _demo_truth.vw_points([(1.0, params)])
    assert points == pytest.approx({"PMC": 50, "OPP": 90, "IPP": 80, "PME": 120})
    assert _demo_truth.verdict(45, points) == "viable"
    assert _demo_truth.verdict(100, points) == "squeezed"
    assert _demo_truth.verdict(130, points) == "not viable"


def test_pricing_verdicts_cover_every_case(company):
    concepts = company.truth["pricing"]["concepts"]
    verdicts = {
        (pid, p): v["verdict"] for pid, c in concepts.items() for p, v in c["by_persona"].items()
    }
    assert verdicts[("NEW-PREMIUM", "bargain_hunters")] == "not viable"
    assert {"viable", "squeezed", "not viable"} <= set(verdicts.values())
    products = company.tables["products"].set_index("product_id")
    for pid, c in concepts.items():
        assert products.loc[pid, "unit_cost"] == c["unit_cost"]
        assert c["floor"] == pytest.approx(c["unit_cost"] * 1.3 * 1.25)


# --- truth and files ---------------------------------------------------------------------------


def test_truth_is_json_and_documents_itself(company):
    truth = company.truth
    assert json.loads(json.dumps(truth)) == truth
    assert {
        "seed",
        "n_customers",
        "start",
        "as_of",
        "generator",
        "definitions",
        "personas",
        "seasonality",
        "lapse",
        "campaigns",
        "pricing",
        "incidents",
    } <= set(truth)
    assert truth["n_customers"] == 4000 and truth["seed"] == 42
    assert set(truth["personas"]) == set(company.customers_truth.persona)
    assert sum(p["realised"]["n_customers"] for p in truth["personas"].values()) == 4000
    assert truth["orders"]["n_lines"] == len(company.tables["orders"])


def _read(path, name):
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    dtypes = (
        dict(demo._TRUTH_COLUMNS)
        if name == "customers_truth"
        else {c.name: DTYPES[c.dtype] for c in CONTRACT[name].columns}
    )
    strings = {c: "str" for c, t in dtypes.items() if t == "str"}
    return pd.read_csv(path, dtype=strings, keep_default_na=False, na_values=[""]).astype(dtypes)


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_write_in_chunks_gives_the_generated_data(tmp_path, file_format):
    expected = demo.generate(customers=500, seed=11)
    out = demo.write(tmp_path, customers=500, seed=11, file_format=file_format, chunk_customers=200)
    for name in DEMO_TABLES:
        # the files hold the export: the clean tables and the rows planted for the checks to reject
        pd.testing.assert_frame_equal(_read(out / f"{name}.{file_format}", name), expected.exported()[name])
    truth_rows = _read(out / f"customers_truth.{file_format}", "customers_truth")
    pd.testing.assert_frame_equal(truth_rows, expected.customers_truth)
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == expected.truth


def test_bad_arguments_are_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="file_format"):
        demo.write(tmp_path, customers=10, file_format="xlsx")
    with pytest.raises(ValueError, match="at least 1"):
        demo.generate(customers=0)
    with pytest.raises(ValueError, match="at least a year"):
        demo.generate(customers=10, start="2025-06-01", as_of="2025-12-31")


def test_planted_bad_rows_are_rejected_each_for_its_rule_and_nothing_else_is():
    import workbench as wb

    company = demo.generate(customers=300, seed=5)
    listed = company.rejected
    assert len(listed) == 14 and listed["rule"].value_counts().eq(2).all()
    assert set(listed["rule"]) == set(demo.REJECT_KINDS)
    assert company.truth["rejected"] == listed.to_dict("records")
    crm = wb.load("demo", as_of="2025-12-31", seed=5, demo_customers=300).load_all()
    rejects = crm.rejects
    found = sorted(zip(rejects["table"], rejects["column"], rejects["rule"], strict=True))
    assert found == sorted(zip(listed["table"], listed["column"], listed["rule"], strict=True))
    # the accepted tables are the clean company: the planted rows change no planted truth
    for name in ("customers", "orders", "incidents", "campaign_contacts"):
        assert len(crm[name]) == len(company.tables[name]), name
    assert not crm.ok


def test_shapes_plant_no_bad_row():
    company = demo.generate(customers=120, shape="two_years")
    assert company.rejected.empty and company.rejected_rows == {} and "rejected" not in company.truth
