"""Values from the data shown in Markdown stay text: no link, no image, no HTML."""

from __future__ import annotations

import re

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from workbench.display import escape_markdown
from workbench.personas import text as T
from workbench.personas.cards import PersonaCard, PersonaCards
from workbench.report import record

HOSTILE = ["![pixel](https://tracker.example/p.gif)", "[win a prize](https://phish.example)",
           "<img src=https://tracker.example/q.gif>", "https://bare.example/link", "**loud** _x_ `code`",
           "a | b", "<script>alert(1)</script>"]


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_markdown_renders_as_the_same_text(value):
    html = markdown2html_mistune(f"- {escape_markdown(value)}")
    assert "<a " not in html and "<img" not in html and "<script" not in html and "<strong" not in html
    assert "<em" not in html and "<code" not in html


def test_persona_cards_escape_every_value_from_the_data():
    card = PersonaCard(id="P1", name=HOSTILE[0], customers=10, share_pct=50.0, revenue_share_pct=None,
                       revenue_per_customer=None,
                       traits=[{"sentence": T.categorical_sentence("channel", "channel", v, 0.6, 0.2),
                                "feature": "channel"} for v in HOSTILE])
    html = markdown2html_mistune(PersonaCards([card]).to_markdown(title=HOSTILE[2]))
    links = re.findall(r'<a [^>]*href="([^"]*)"', html)
    assert all(href.startswith("#") for href in links), links  # only the headings' own anchors
    assert "<img" not in html and "<script" not in html
    assert "tracker.example/p.gif" in html  # shown, as text
    assert "<strong>10 customers (50 %)</strong>" in html  # the card's own Markdown still works


@pytest.mark.parametrize("value", HOSTILE)
def test_drill_down_and_numeric_sentences_escape_data(value):
    for text in (T.who("channel", value), T.who("persona", "P1", {"P1": value}),
                 T.numeric_sentence("spend_share", f"spend_share={value}", 0.5, 0.2)):
        html = markdown2html_mistune(f"- {text}")
        assert "<a " not in html and "<img" not in html and "<script" not in html, html


def test_published_figures_are_escaped_in_the_summary_table():
    table = record.summary_bundle({"top_product": HOSTILE[0], "link": HOSTILE[1]})["text/markdown"]
    html = markdown2html_mistune(table)
    assert "<img" not in html and "<a " not in html and "<table>" in html


# ----------------------------------------------------------------- tables for people (issue 15)

import pandas as pd  # noqa: E402

from workbench import display as D  # noqa: E402


@pytest.mark.parametrize(("value", "kind", "locale", "expected"), [
    (0.0912, "fraction", "en", "9.1 %"),
    (9.12, "percent", "fr", "9,1 %"),
    (1752772.24, "money", "en", "€1,752,772"),
    (1752772.24, "money", "fr", "1\u202f752\u202f772\u00a0€"),
    (1752772.24, "money", "de", "1.752.772\u00a0€"),
    (-3.5, "money", "en", "-€3.50"),
    (12345, "count", "en", "12,345"),
    (192.446693, "number", "en", "192"),
    (14.650, "number", "en", "14.7"),
    (0.4371, "number", "en", "0.44"),
    (None, "money", "en", D.MISSING),
    (float("nan"), "percent", "en", D.MISSING),
    (pd.NA, "count", "en", D.MISSING),
    (pd.NaT, "date", "en", D.MISSING),
    (True, "text", "en", "yes"),
])
def test_format_value_writes_what_a_reader_expects(value, kind, locale, expected):
    assert D.format_value(value, kind=kind, locale=locale, currency="€") == expected


def test_unknown_locale_is_named():
    with pytest.raises(ValueError, match="locale 'xx' is not known: use one of en, fr, de"):
        D.format_value(1, locale="xx")


def test_column_kinds_follow_the_contract_names():
    kinds = {c: D.column_kind(c, pd.Series(v)) for c, v in {
        "revenue": [1.5], "response_rate": [0.1], "share_pct": [47.0], "customers": [3],
        "segment": ["A"], "recency_days": [12], "gini": [0.6], "margin_rate": [0.4]}.items()}
    assert kinds == {"revenue": "money", "response_rate": "fraction", "share_pct": "percent",
                     "customers": "count", "segment": "text", "recency_days": "count",
                     "gini": "number", "margin_rate": "fraction"}


def test_table_drops_a_bare_row_index_and_keeps_a_meaningful_one():
    frame = pd.DataFrame({"segment": ["A", None], "customers": pd.array([1200, None], dtype="Int64"),
                          "revenue": [1752772.24, float("nan")]})
    shown = D.table(frame, locale="en", currency="€").to_frame()
    assert shown.to_dict("list") == {"segment": ["A", "–"], "customers": ["1,200", "–"],
                                     "revenue": ["€1,752,772", "–"]}
    html = D.table(frame)._repr_html_()
    assert "<th>0</th>" not in html and "&lt;NA&gt;" not in html and "NaN" not in html
    by_segment = D.table(frame.set_index("segment")).to_frame()
    assert list(by_segment.columns) == ["segment", "customers", "revenue"]


def test_a_long_table_is_cut_with_a_note_and_written_whole(tmp_path):
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(40)], "monetary": range(40)})
    html = D.table(frame, max_rows=10, exports=tmp_path, name="scores")._repr_html_()
    assert html.count("<tr>") == 11  # header and ten rows
    assert "First 10 of 40 rows; the full table is in the exports: tables/scores.csv" in html
    assert len(pd.read_csv(tmp_path / "tables" / "scores.csv")) == 40


def test_for_people_makes_every_dataframe_display_through_the_helper(tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        D.for_people(locale="fr", currency="€", exports=tmp_path)
        data, _ = shell.display_formatter.format(pd.DataFrame({"revenue": [1752772.24]}))
        assert "1\u202f752\u202f772\u00a0€" in data["text/html"] and "<th>0</th>" not in data["text/html"]
        series, _ = shell.display_formatter.format(pd.Series([0.25], name="response_rate"))
        assert "25,0 %" in series["text/html"]
    finally:
        D.for_people()  # back to the defaults for the other tests
        InteractiveShell.clear_instance()


def test_named_figures_are_a_table_for_people():
    shown = D.figures({"purchasers": 3999, "revenue": 3711952.79, "top_revenue_share_pct": 72.54,
                       "response_rate": 0.085, "gini": 0.693, "missing": None}).to_frame()
    assert shown.to_dict("list") == {
        "Figure": ["Purchasers", "Revenue", "Top revenue share %", "Response rate", "Gini", "Missing"],
        "Value": ["3,999", "€3,711,953", "72.5 %", "8.5 %", "0.69", "–"]}
    assert D.figure_label("customers_for_80pct_revenue_pct") == "Customers for 80 % revenue %"
