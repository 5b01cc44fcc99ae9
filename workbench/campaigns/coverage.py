"""Campaign ROI, part 0: what the source holds, so that each section runs or says what it needs.

Real exports come in many shapes: contact lists with or without a control group, with or
without funnel steps, dates or responses; call lists with an outcome and no orders; ads
platform results with no customer rows at all. :func:`coverage` reads what is there once;
:meth:`Coverage.needs` gives, for a section that cannot run, the one sentence that says what
it needs and what to map.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from workbench.campaigns.outcomes import CONTROL, FLAGS

__all__ = ["SECTIONS", "Coverage", "coverage"]

log = logging.getLogger(__name__)

_STEPS = tuple(f for f in FLAGS if f not in ("sent", "responded"))

#: section -> sentence shown when the source cannot serve it.
SECTIONS = {
    "campaigns": "This source holds no campaign data (no campaigns, campaign_contacts or campaign_stats "
                 "table): Campaign ROI has nothing to measure (the notebook stops in its first cell). Map a contact "
                 "list (campaign_contacts: campaign_id, customer_id, group) or campaign-level results "
                 "(campaign_stats: campaign_id, spend, impressions, clicks, conversions, revenue) to use it.",
    "contacts": "This section needs campaign_contacts (who each campaign reached or held out): map "
                "campaign_id, customer_id and group of each contact; skipped.",
    "responses": "Response rates need campaign_contacts.responded (a visit, reply or registration per "
                 "contact): map the outcome of each contact to responded (e.g. derive: responded: "
                 "outcome == 'yes'); skipped.",
    "orders": "This section needs an orders table (customer_id, order_date, amount) to measure what the "
              "contacts bought: map it; without orders only the response rates above can be shown.",
    "dated": "This section needs a date for each contact, to know which orders followed it: map "
             "campaign_contacts.sent_at or campaigns.start_date; skipped.",
    "control": "No campaign has a control group (customers drawn at random and not contacted): the "
               "incremental effect cannot be measured and every figure here is attributed, not "
               "incremental. Hold out 10-20 % of each list at random and map its rows with group = control.",
    "steps": "No funnel step between sent and converted is recorded (delivered, opened, clicked...): "
             "the funnel shows contacts and buyers only; map the flags of campaign_contacts to see "
             "where contacts drop out.",
    "stats": "Campaign-level results need a campaign_stats table (spend, impressions, clicks, conversions, "
             "revenue per campaign or ad): map an ads-platform export onto it, as in "
             "data/examples/ads_export; skipped.",
}

_NOTHING = "Skipped: this source holds no campaign data (see the first section)."


@dataclass(frozen=True)
class Coverage:
    """What a source holds for Campaign ROI (see :func:`coverage`)."""

    tables: tuple[str, ...]
    contacts: int
    dated: int
    orders: int
    controlled: int
    responses: int
    steps: tuple[str, ...]
    stats: int

    def ready(self, section: str) -> bool:
        """True when the source can serve `section` (a key of :data:`SECTIONS`, or "outcomes")."""
        return not self.needs(section)

    def needs(self, section: str) -> str:
        """"" when `section` can run; else the sentence saying what it needs and what to map.

        "outcomes" (what contacts bought) needs contacts, orders and dated contacts, and
        says which is missing first; "control" needs outcomes and a controlled campaign.
        """
        if section not in (*SECTIONS, "outcomes"):
            raise ValueError(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}, outcomes")
        checks = {
            "campaigns": bool(self.contacts or self.stats or "campaigns" in self.tables),
            "contacts": self.contacts > 0,
            "responses": self.responses > 0,
            "orders": self.orders > 0,
            "dated": self.dated > 0,
            "control": self.controlled > 0,
            "stats": self.stats > 0,
            "steps": bool(self.steps),
        }
        chain = {"responses": ["contacts", "responses"], "orders": ["contacts", "orders"],
                 "dated": ["contacts", "dated"], "steps": ["contacts", "steps"],
                 "outcomes": ["contacts", "orders", "dated"],
                 "control": ["contacts", "orders", "dated", "control"]}.get(section, [section])
        if not checks["campaigns"]:
            return SECTIONS["campaigns"] if section == "campaigns" else _NOTHING
        for step in chain:
            if not checks[step]:
                return SECTIONS[step]
        return ""

    def table(self) -> pd.DataFrame:
        """What the source holds, one line per item, as the notebook shows it first."""
        rows = [("tables loaded (campaigns, contacts, stats, orders)", ", ".join(self.tables) or "none"),
                ("contacts (campaign_contacts rows)", f"{self.contacts:,}"),
                ("contacts with a date", f"{self.dated:,}"),
                ("contacts with a recorded response", f"{self.responses:,}"),
                ("funnel steps recorded", ", ".join(self.steps) or "none"),
                ("campaigns with a control group", f"{self.controlled:,}"),
                ("order lines", f"{self.orders:,}"),
                ("campaign-level result rows (campaign_stats)", f"{self.stats:,}")]
        return pd.DataFrame(rows, columns=["item", "in this source"])


def coverage(crm, *, book=None, control: str = CONTROL) -> Coverage:
    """What `crm` holds for Campaign ROI: contacts, dates, responses, orders, control groups, stats.

    With `book` (a :class:`workbench.campaigns.Portfolio`), contacts, campaigns and orders are
    those of the portfolio: one sales rep's customers may have no control group where the
    whole base has some. A campaign counts as controlled with at least two control contacts (a difference of
    means needs two). Contacts count as dated by their own ``sent_at`` or their campaign's
    ``start_date`` or another contact's ``sent_at`` in the same campaign, as
    :func:`workbench.campaigns.contact_outcomes` dates them.
    """
    tables = tuple(t for t in ("campaigns", "campaign_contacts", "campaign_stats", "orders")
                   if t in crm.tables)
    contacts = crm.tables.get("campaign_contacts", pd.DataFrame(columns=["campaign_id", "group"]))
    campaigns = crm.tables.get("campaigns", pd.DataFrame(columns=["campaign_id"]))
    orders = crm.tables.get("orders", ())
    if book is not None:
        contacts, campaigns, orders = book.contacts, book.campaigns, book.orders
    own = contacts["sent_at"].notna() if "sent_at" in contacts else pd.Series(False, index=contacts.index)
    start = campaigns.set_index("campaign_id")["start_date"].dropna() if "start_date" in campaigns \
        else pd.Series(dtype="datetime64[ns]")
    dated = own | contacts["campaign_id"].isin(start.index) | \
        own.groupby(contacts["campaign_id"]).transform("any").astype(bool)
    n_control = (contacts["group"] == control).groupby(contacts["campaign_id"]).sum()
    steps = tuple(f for f in _STEPS if f in contacts and contacts[f].notna().any())
    responses = int(contacts["responded"].notna().sum()) if "responded" in contacts else 0
    out = Coverage(tables=tables, contacts=len(contacts), dated=int(dated.sum()),
                   orders=len(orders), controlled=int((n_control >= 2).sum()),
                   responses=responses, steps=steps, stats=len(crm.tables.get("campaign_stats", ())))
    log.info("campaign coverage: %s", out)
    return out
