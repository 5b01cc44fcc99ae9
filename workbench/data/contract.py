"""The CRM data contract: tables, columns, types and rules, as code.

Every loader maps a source onto these canonical names once; downstream code never
takes ``*_col`` arguments. ``data/README.md`` documents the same contract for people and
is checked against this module by the tests.

A source may hold any subset of the tables. Within a table, only the columns marked
``required`` must be present; optional columns may be absent (they are then simply not
there) and extra columns are dropped unless a mapping keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Column", "Reference", "Table", "CONTRACT", "TABLE_ORDER", "DTYPES", "describe", "markdown", "table"]

#: The logical types a contract column may have, and the pandas dtype each becomes.
DTYPES = {
    "string": "str",
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    dtype: str
    description: str
    required: bool = False
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    #: Date columns that must not be later than the analysis date (`as_of`).
    not_after_as_of: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name}: unknown dtype {self.dtype!r}")


@dataclass(frozen=True)
class Reference:
    """``column`` of this table must name an accepted row of ``table.key``."""

    column: str
    table: str
    key: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    #: Pairs (earlier, later): when both are present, later must not precede earlier.
    date_order: tuple[tuple[str, str], ...] = ()
    #: Alternatives: derivations the loader applies when a column is missing.
    derivable: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no contract column {name!r}")


def _c(name: str, dtype: str, description: str, **rules) -> Column:
    return Column(name=name, dtype=dtype, description=description, **rules)


_FLAGS = ("sent", "delivered", "opened", "clicked", "bounced", "undeliverable",
          "unsubscribed", "attended", "responded")

CUSTOMERS = Table(
    "customers",
    "One row per contact: a person or a company.",
    (
        _c("customer_id", "string", "Unique identifier of the contact.", required=True, nullable=False),
        _c("kind", "string", "`person` or `company`.", allowed=("person", "company")),
        _c("name", "string", "Display name (free text; escaped in reports)."),
        _c("gender", "string", "`F`, `M` or `X` (other / not stated).", allowed=("F", "M", "X")),
        _c("birth_date", "date", "Date of birth (persons).", not_after_as_of=True),
        _c("age", "int", "Age in years, when no birth date is held.", min=0, max=120),
        _c("country", "string", "Country (ISO code or name)."),
        _c("city", "string", "City or region."),
        _c("sector", "string", "Business sector (companies)."),
        _c("first_contact_date", "date", "First contact with the company.", not_after_as_of=True),
        _c("signature_date", "date", "First signed deal.", not_after_as_of=True),
        _c("acquisition_channel", "string", "How the contact was acquired (web, trade show, referral...)."),
        _c("sales_rep", "string", "Sales representative in charge."),
        _c("newsletter_subscribed", "bool", "Subscribed to the newsletter."),
        _c("network_score", "float", "Referrals / influence score (0 = none).", min=0),
        _c("consent_email", "bool", "Consents to e-mail marketing."),
        _c("consent_phone", "bool", "Consents to phone marketing."),
        _c("consent_mail", "bool", "Consents to postal marketing."),
    ),
    key=("customer_id",),
    date_order=(("first_contact_date", "signature_date"),),
)

ORDERS = Table(
    "orders",
    "Order lines. Returns and cancellations are lines with a negative quantity and amount.",
    (
        _c("order_id", "string", "Order identifier (several lines may share it).", required=True, nullable=False),
        _c("line_id", "string", "Line identifier, unique when present."),
        _c("customer_id", "string", "Buyer; must exist in customers when that table is loaded.",
           required=True, nullable=False),
        _c("order_date", "date", "Date of the order (or of the return / cancellation).",
           required=True, nullable=False, not_after_as_of=True),
        _c("amount", "float", "Line amount, taxes excluded; negative for returns. "
           "Derived as quantity × unit_price when absent.", required=True, nullable=False),
        _c("quantity", "float", "Units; negative for returns."),
        _c("unit_price", "float", "Price per unit.", min=0),
        _c("product_id", "string", "Product; must exist in products when that table is loaded."),
        _c("category", "string", "Product category."),
        _c("channel", "string", "Sales channel: web, store, phone, sales_rep..."),
        _c("payment_method", "string", "Card, transfer, cash, cheque..."),
        _c("delivery_mode", "string", "Home, pickup, store..."),
    ),
    key=("line_id",),
    references=(Reference("customer_id", "customers", "customer_id"),
                Reference("product_id", "products", "product_id")),
    derivable={"amount": "quantity * unit_price"},
)

PRODUCTS = Table(
    "products",
    "Product catalogue with costs.",
    (
        _c("product_id", "string", "Unique product identifier.", required=True, nullable=False),
        _c("name", "string", "Product name."),
        _c("category", "string", "Product category."),
        _c("unit_cost", "float", "Cost of one unit (purchase or production).", min=0),
        _c("list_price", "float", "Catalogue selling price.", min=0),
    ),
    key=("product_id",),
)

CAMPAIGNS = Table(
    "campaigns",
    "Marketing actions.",
    (
        _c("campaign_id", "string", "Unique campaign identifier.", required=True, nullable=False),
        _c("name", "string", "Campaign name."),
        _c("kind", "string", "emailing, mailing, breakfast, trade_show, webinar, samples, tv, phone..."),
        _c("channel", "string", "Channel of the contact: email, post, event, phone, media..."),
        _c("start_date", "date", "First day of the campaign.", not_after_as_of=True),
        _c("end_date", "date", "Last day of the campaign."),
        _c("fixed_cost", "float", "Fixed cost (creation, venue, media).", min=0),
        _c("cost_per_contact", "float", "Variable cost per contact.", min=0),
    ),
    key=("campaign_id",),
    date_order=(("start_date", "end_date"),),
)

CAMPAIGN_CONTACTS = Table(
    "campaign_contacts",
    "Who each campaign reached (or held out), and what they did.",
    (
        _c("campaign_id", "string", "Campaign; must exist in campaigns when that table is loaded.",
           required=True, nullable=False),
        _c("customer_id", "string", "Contact; must exist in customers when that table is loaded.",
           required=True, nullable=False),
        _c("group", "string", "`target`, `control`, or an arm name.", required=True, nullable=False),
        *(_c(flag, "bool", f"The contact was {flag.replace('_', ' ')}.") for flag in _FLAGS),
        _c("sent_at", "datetime", "When the message was sent / the contact made.", not_after_as_of=True),
        _c("opened_at", "datetime", "First open.", not_after_as_of=True),
        _c("clicked_at", "datetime", "First click.", not_after_as_of=True),
        _c("responded_at", "datetime", "Response (visit, reply, registration).", not_after_as_of=True),
    ),
    key=("campaign_id", "customer_id"),
    references=(Reference("campaign_id", "campaigns", "campaign_id"),
                Reference("customer_id", "customers", "customer_id")),
    date_order=(("sent_at", "opened_at"), ("opened_at", "clicked_at")),
)

CAMPAIGN_STATS = Table(
    "campaign_stats",
    "Campaign-level results as an ads platform or e-mail tool reports them: one row per campaign "
    "(or ad, or day), no customer rows.",
    (
        _c("campaign_id", "string", "Campaign; must exist in campaigns when that table is loaded.",
           required=True, nullable=False),
        _c("ad_id", "string", "Ad, ad set or line of the campaign, when the export breaks it down."),
        _c("date", "date", "Day (or first day of the period) the figures cover; empty for totals.",
           not_after_as_of=True),
        _c("name", "string", "Campaign (or ad) name."),
        _c("kind", "string", "Kind of action, as in campaigns.kind (search, social, display, emailing...)."),
        _c("channel", "string", "Channel or platform: search, social, display, email..."),
        _c("spend", "float", "Amount spent (media and fees) on the row.", min=0),
        _c("impressions", "int", "Times the ad or message was shown (or e-mails delivered).", min=0),
        _c("clicks", "int", "Clicks.", min=0),
        _c("conversions", "float", "Conversions (purchases, sign-ups, leads) the platform attributes "
           "to the row; fractional when the platform shares them.", min=0),
        _c("revenue", "float", "Conversion value the platform attributes to the row.", min=0),
    ),
    key=("campaign_id", "ad_id", "date"),
    references=(Reference("campaign_id", "campaigns", "campaign_id"),),
)

INCIDENTS = Table(
    "incidents",
    "Service events: complaints, praise, late deliveries, support tickets.",
    (
        _c("incident_id", "string", "Unique identifier, when the source has one."),
        _c("customer_id", "string", "Contact concerned.", required=True, nullable=False),
        _c("date", "date", "When it happened.", required=True, nullable=False, not_after_as_of=True),
        _c("kind", "string", "complaint, praise, late_delivery, support_ticket, ...",
           required=True, nullable=False),
        _c("severity", "int", "1 (minor) to 5 (critical).", min=1, max=5),
        _c("resolved_date", "date", "When it was resolved; empty while open."),
        _c("satisfaction", "float", "Satisfaction with the outcome, 1 (very unhappy) to 5 (delighted).",
           min=1, max=5),
    ),
    key=("incident_id",),
    references=(Reference("customer_id", "customers", "customer_id"),),
    date_order=(("date", "resolved_date"),),
)

PRICE_SURVEY = Table(
    "price_survey",
    "Van Westendorp answers, one row per respondent and product.",
    (
        _c("respondent_id", "string", "Respondent identifier.", required=True, nullable=False),
        _c("customer_id", "string", "The respondent's customer id, when known."),
        _c("product_id", "string", "Product or concept asked about."),
        _c("category", "string", "Category asked about."),
        _c("too_cheap", "float", "Price so low that quality is doubted.", required=True, min=0),
        _c("cheap", "float", "Price felt as a bargain.", required=True, min=0),
        _c("expensive", "float", "Price felt as expensive but still considered.", required=True, min=0),
        _c("too_expensive", "float", "Price too high to consider buying.", required=True, min=0),
        _c("likelihood_cheap", "float", "Purchase probability at the `cheap` price (0–1).", min=0, max=1),
        _c("likelihood_expensive", "float", "Purchase probability at the `expensive` price (0–1).",
           min=0, max=1),
        _c("weight", "float", "Survey weight (1 when absent).", min=0),
    ),
    key=("respondent_id", "product_id"),
    references=(Reference("customer_id", "customers", "customer_id"),),
)

#: Loading order: parents before children, so references check against accepted parents.
INTERACTIONS = Table(
    "interactions",
    "Every touch a customer has with the company, on any channel: web visits, e-mail clicks, "
    "calls, store visits, chats, sales meetings, ad clicks.",
    (
        _c("interaction_id", "string", "Unique identifier, when the source has one."),
        _c("customer_id", "string", "Who; must exist in customers when that table is loaded.",
           required=True, nullable=False),
        _c("timestamp", "datetime", "When it happened.", required=True, nullable=False,
           not_after_as_of=True),
        _c("channel", "string", "web, email, call_centre, store, social, sales_force, chat...",
           required=True, nullable=False),
        _c("kind", "string", "What happened: visit, click, call, store_visit, meeting, ad_click..."),
        _c("campaign_id", "string", "The campaign behind the touch, when there is one."),
        _c("value", "float", "A measure of the touch (pages seen, call minutes...), when any."),
    ),
    key=("interaction_id",),
    references=(Reference("customer_id", "customers", "customer_id"),
                Reference("campaign_id", "campaigns", "campaign_id")),
)

TABLE_ORDER = ("customers", "products", "campaigns", "orders", "campaign_contacts",
               "campaign_stats", "incidents", "price_survey", "interactions")

CONTRACT: dict[str, Table] = {
    t.name: t
    for t in (CUSTOMERS, ORDERS, PRODUCTS, CAMPAIGNS, CAMPAIGN_CONTACTS, CAMPAIGN_STATS, INCIDENTS,
              PRICE_SURVEY, INTERACTIONS)
}


def table(name: str) -> Table:
    """Return the contract table called `name`, with a clear error for a typo."""
    try:
        return CONTRACT[name]
    except KeyError:
        raise KeyError(
            f"{name!r} is not a contract table; the tables are: {', '.join(TABLE_ORDER)}"
        ) from None


def describe(name: str | None = None) -> pd.DataFrame:
    """The contract as a table: one line per column (of one table, or of all of them).

    Columns: table, column, type, required, rules, description.
    """
    import pandas as pd

    rows = []
    for t in ([table(name)] if name else [CONTRACT[n] for n in TABLE_ORDER]):
        for c in t.columns:
            rows.append({
                "table": t.name, "column": c.name, "type": c.dtype,
                "required": "yes" if c.required else "", "rules": _rules_text(t, c),
                "description": c.description,
            })
    return pd.DataFrame(rows)


def _rules_text(t: Table, c: Column) -> str:
    rules = []
    if not c.nullable:
        rules.append("not empty")
    if t.key == (c.name,):
        rules.append("unique")
    elif c.name in t.key:
        rules.append(f"unique with {', '.join(k for k in t.key if k != c.name)}")
    if c.min is not None and c.max is not None:
        rules.append(f"{c.min:g} to {c.max:g}")
    elif c.min is not None:
        rules.append(f">= {c.min:g}")
    if c.allowed:
        rules.append("one of " + ", ".join(c.allowed))
    if c.not_after_as_of:
        rules.append("not after as_of")
    rules += [f"in {r.table}" for r in t.references if r.column == c.name]
    rules += [f"not before {a}" for a, b in t.date_order if b == c.name]
    return "; ".join(rules)


def markdown() -> str:
    """The contract as Markdown tables, as ``data/README.md`` shows it (kept in step by a test)."""
    parts = []
    for name in TABLE_ORDER:
        t = CONTRACT[name]
        parts.append(f"### `{name}`\n\n{t.description}\n")
        parts.append("| column | type | required | rules | description |\n|---|---|---|---|---|")
        for c in t.columns:
            parts.append(f"| `{c.name}` | {c.dtype} | {'yes' if c.required else ''} | "
                         f"{_rules_text(t, c)} | {c.description} |")
        parts.append("")
    return "\n".join(parts)
