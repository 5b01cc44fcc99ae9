"""What a report says under its title: sentences from the run's own tables, bad news said."""

from __future__ import annotations

import pandas as pd

from workbench import findings
from workbench.report import record

INCREMENTAL = "incremental (vs control)"


def _effects():
    return pd.DataFrame({
        "campaign_id": ["C1", "C2", "C3", "C4"], "kind": ["emailing", "sample", "mailing", "event"],
        "arm": ["target"] * 4, "basis": [INCREMENTAL] * 3 + ["attributed only: no control group"],
        "cost": [100.0, 200.0, 50.0, 10.0], "incr_margin": [410.0, 120.0, -20.0, None],
        "roi": [3.1, -0.4, -1.4, None], "roi_low": [1.0, -0.9, -2.0, None],
        "roi_high": [5.0, 0.1, -0.5, None]})


def test_campaign_findings_name_the_campaigns_that_lose_money():
    said = findings.campaigns(effects=_effects(), costs=pd.DataFrame({"total_cost": [360.0]}))
    text = " ".join(said)
    assert "C1 (emailing) returned €4.10 of incremental margin per € spent" in text
    assert "2 campaign arms lost money" in text
    assert "C3 (mailing) lost €1.40 per € spent" in text and "C2 (sample) lost €0.40 per € spent" in text
    assert "For 1 of them the loss is clear" in text  # C3's whole interval is below zero
    assert "1 campaign had no control group: its figures are attributed, not proven." in said
    assert said.headlines["Arms losing money"] == {"value": 2, "kind": "count"}
    assert said.headlines["Total cost"] == {"value": 360, "kind": "money"}


def test_campaign_findings_never_call_a_loss_a_best_result():
    effects = _effects().assign(roi=[-0.2, -0.4, -1.4, None], incr_margin=[80.0, 120.0, -20.0, None])
    text = " ".join(findings.campaigns(effects=effects))
    assert "Best:" not in text and "3 campaign arms lost money" in text


def test_rfm_findings_state_the_best_grade_and_its_revenue_in_the_locale():
    grades = pd.DataFrame({"grade": ["A", "B", "D"], "label": ["VIP", "good", "low"],
                           "customers": [609, 2646, 745], "customers_pct": [15.2, 66.2, 18.6],
                           "revenue": [1752772.24, 1800000.0, 158000.0]})
    kpis = pd.DataFrame({"segment": ["Champions", "New"], "customers": [586, 300],
                         "revenue_share_pct": [41.9, 5.0], "customers_change": [10, -73]})
    drops = pd.DataFrame({"customer_id": range(443)})
    said = findings.rfm(grades=grades, kpis=kpis, drops=drops, since="2024-12-31", until="2025-12-31",
                        concentration={"top_revenue_share_pct": 72.5, "gini": 0.69},
                        previous_as_of="2024-12-31", locale="fr")
    assert said[0] == ("609 of 4\u202f000 customers (15,2 %) are grade A and make 47,2 % of net "
                       "revenue (1\u202f752\u202f772\u00a0€).")
    assert "The segment 'New' lost the most customers: 73 fewer than on 2024-12-31." in said
    assert "443 customers lost at least one grade between 2024-12-31 and 2025-12-31" in said[-1]
    assert list(said.headlines) == ["Grade A customers", "Grade A revenue share", "Lost a grade"]


def test_quality_findings_say_when_counts_do_not_add_up():
    recon = pd.DataFrame({"table": ["orders", "customers"], "read": [10, 5], "excluded": [0, 0],
                          "accepted": [7, 5], "rejected": [2, 0], "balanced": [False, True]})
    rejects = pd.DataFrame({"table": ["orders"], "column": ["amount"], "rule": ["number"],
                            "problems": [2], "rows": [2]})
    said = findings.quality(recon=recon, rejects=rejects)
    assert said[0].startswith("15 rows read in 2 tables: 12 accepted (80.0 %), 2 rejected")
    assert "do NOT add up in orders" in said[1]
    assert "orders.amount (number): 2 rows" in said[2]


def test_findings_travel_with_their_headlines_into_the_summary():
    said = findings.journeys(summary=pd.DataFrame({"what": ["j", "c"], "count": [200, 50]}),
                             paths=pd.DataFrame({"path": ["web > email"], "journeys": [80],
                                                 "conversion": [0.3]}),
                             credit=pd.DataFrame(columns=["model", "channel", "conversions", "share"]))
    bundle = record.findings_bundle(said, said.headlines)
    nb = type("NB", (), {})()
    nb.cells = [{"outputs": [{"data": bundle}]}]
    assert record.collect_findings(nb) == list(said)
    assert list(record.collect_headlines(nb)) == ["Journeys", "Converted"]
    assert "200 journeys with at least one touch; 50 ended with a purchase (25.0 %)." in said


def test_quality_findings_answer_whether_the_source_can_be_trusted():
    recon = pd.DataFrame({"table": ["orders", "customers"], "read": [93000, 812], "excluded": [0, 0],
                          "accepted": [92988, 810], "rejected": [12, 2], "balanced": [True, True]})
    rejects = pd.DataFrame({"table": ["customers"], "column": ["gender"], "rule": ["allowed"],
                            "problems": [2], "rows": [2]})
    said = findings.quality(recon=recon, rejects=rejects)
    assert "93,798 accepted (over 99.9 %), 14 rejected" in said[0]  # not "100.0 %" with 14 rejects
    assert said[1].startswith("The source can be trusted: the counts add up in every table")
    assert "the 14 rejected rows are set aside" in said[1]
    many = findings.quality(recon=recon.assign(accepted=[90000, 810], rejected=[3000, 2]), rejects=rejects)
    assert "3.2 % of the rows were rejected: read why (section 4) before trusting" in many[1]


def test_persona_findings_say_what_each_group_buys_above_the_base():
    personas = pd.DataFrame({"persona": ["P1", "P2"], "name": ["Seniors", "Young"],
                             "customers": [100, 300], "share_pct": [25.0, 75.0],
                             "revenue_share_pct": [60.0, 40.0], "revenue_per_customer": [600.0, 133.0],
                             "stability": ["stable", "stable"]})
    affinity = pd.DataFrame({"persona": ["P1", "P1", "P2", "P2"],
                             "category": ["premium", "toys", "toys", "premium"],
                             "spend_share_pct": [77.5, 22.5, 40.0, 60.0],
                             "base_share_pct": [20.6, 30.0, 30.0, 70.0], "index": [376, 75, 133, 86]})
    said = findings.personas(personas=personas, affinity=affinity)
    assert ("What each buys most above the average customer: 'Young' toys (40.0 % of spend vs 30.0 %); "
            "'Seniors' premium (77.5 % of spend vs 20.6 %).") in said
