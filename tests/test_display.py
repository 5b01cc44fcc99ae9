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
