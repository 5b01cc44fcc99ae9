"""Planted parameters of the demo company, and the truth they imply.

Private to :mod:`workbench.demo`. Everything here is plain data or a pure function, so
the truth written next to the demo data can be recomputed by hand from this file.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

VERSION = "demo-1.0"
KINDS = ("emailing", "mailing", "breakfast", "trade_show", "webinar", "samples")
CHANNELS = ("web", "app", "store", "phone", "sales_rep")
PAYMENTS = ("card", "paypal", "cash", "cheque", "transfer", "invoice")
DELIVERIES = ("home", "pickup_point", "click_and_collect", "freight")
INCIDENT_KINDS = ("complaint", "late_delivery", "support_ticket", "praise")
REPS = ("Alice Martin", "Bruno Petit", "Chloé Durand", "David Leroy")

#: persona -> planted behaviour. Rates are per year; `lines` and `qty` are the means of the
#: Poisson parts of 1 + Poisson(lines) lines per order and 1 + Poisson(qty) units per line.
PERSONAS: dict[str, dict] = {
    "young_digital": dict(
        display_name="Young digital natives",
        description="22-32, buy often on the web and the app: small baskets of electronics and fashion.",
        share=0.25,
        kind="person",
        age=(22, 32),
        gender=(0.48, 0.48, 0.04),
        rate=5.0,
        lines=0.4,
        qty=0.1,
        basket_sigma=0.3,
        elasticity=1.0,
        discount=(0.0, 0.08),
        lifetime_years=5.0,
        incident_rate=0.35,
        categories=dict(electronics=0.5, fashion=0.38, food=0.04, household=0.03, garden=0.05),
        channel=dict(web=0.55, app=0.35, store=0.10),
        payment=dict(card=0.6, paypal=0.4),
        delivery=dict(home=0.45, pickup_point=0.45, click_and_collect=0.10),
        acquisition=dict(social_media=0.4, web_search=0.35, referral=0.15, app_store=0.10),
        newsletter=0.5,
        consent=(0.8, 0.2, 0.3),
        network=(3.0, 0.3),
        funnel=dict(
            delivered=0.97,
            opened=0.35,
            clicked=0.25,
            unsubscribed=0.008,
            attended=0.15,
            responded=0.03,
        ),
        incident_mix=(0.3, 0.3, 0.3, 0.1),
        survey_rate=0.35,
        likelihood=(0.65, 0.25),
    ),
    "family_store": dict(
        display_name="Families in store",
        description="35-50, shop in store at a steady pace: household, food and kids' products.",
        share=0.25,
        kind="person",
        age=(35, 50),
        gender=(0.62, 0.36, 0.02),
        rate=2.5,
        lines=1.5,
        qty=0.3,
        basket_sigma=0.3,
        elasticity=0.5,
        discount=(0.0, 0.08),
        lifetime_years=7.0,
        incident_rate=0.45,
        categories=dict(household=0.3, food=0.3, kids=0.3, fashion=0.04, garden=0.06),
        channel=dict(web=0.15, store=0.80, phone=0.05),
        payment=dict(card=0.75, paypal=0.05, cash=0.12, cheque=0.08),
        delivery=dict(home=0.5, pickup_point=0.2, click_and_collect=0.3),
        acquisition=dict(store_visit=0.5, web_search=0.2, referral=0.2, mailing=0.1),
        newsletter=0.4,
        consent=(0.7, 0.4, 0.7),
        network=(1.5, 0.4),
        funnel=dict(
            delivered=0.97,
            opened=0.25,
            clicked=0.15,
            unsubscribed=0.005,
            attended=0.1,
            responded=0.02,
        ),
        incident_mix=(0.35, 0.3, 0.25, 0.1),
        survey_rate=0.4,
        likelihood=(0.6, 0.2),
    ),
    "senior_premium": dict(
        display_name="Senior premium",
        description="60-78, buy rarely by phone or in store: large baskets of premium products.",
        share=0.15,
        kind="person",
        age=(60, 78),
        gender=(0.55, 0.45, 0.0),
        rate=1.2,
        lines=0.6,
        qty=0.15,
        basket_sigma=0.35,
        elasticity=-1.0,
        discount=(0.0, 0.03),
        lifetime_years=8.0,
        incident_rate=0.3,
        categories=dict(premium=0.6, food=0.1, household=0.1, garden=0.15, fashion=0.05),
        channel=dict(web=0.05, store=0.5, phone=0.45),
        payment=dict(card=0.45, cash=0.1, cheque=0.45),
        delivery=dict(home=0.9, click_and_collect=0.1),
        acquisition=dict(store_visit=0.45, referral=0.3, phone=0.15, mailing=0.1),
        newsletter=0.25,
        consent=(0.45, 0.7, 0.85),
        network=(1.0, 0.5),
        funnel=dict(
            delivered=0.96,
            opened=0.2,
            clicked=0.1,
            unsubscribed=0.004,
            attended=0.2,
            responded=0.04,
        ),
        incident_mix=(0.25, 0.25, 0.25, 0.25),
        survey_rate=0.45,
        likelihood=(0.55, 0.4),
    ),
    "business_buyers": dict(
        display_name="Business buyers",
        description="Companies served by a sales rep: big, regular baskets of office supplies.",
        share=0.10,
        kind="company",
        age=None,
        gender=None,
        rate=3.0,
        lines=2.5,
        qty=3.0,
        basket_sigma=0.4,
        elasticity=0.3,
        discount=(0.05, 0.15),
        lifetime_years=7.0,
        incident_rate=0.7,
        categories=dict(office=0.7, electronics=0.15, household=0.05, food=0.05, premium=0.05),
        channel=dict(web=0.1, phone=0.1, sales_rep=0.8),
        payment=dict(card=0.05, transfer=0.35, invoice=0.6),
        delivery=dict(home=0.2, freight=0.8),
        acquisition=dict(trade_show=0.4, sales_prospecting=0.35, referral=0.2, web_search=0.05),
        newsletter=0.3,
        consent=(0.85, 0.8, 0.7),
        network=(4.0, 0.2),
        funnel=dict(
            delivered=0.98,
            opened=0.3,
            clicked=0.2,
            unsubscribed=0.003,
            attended=0.25,
            responded=0.05,
        ),
        incident_mix=(0.3, 0.35, 0.3, 0.05),
        survey_rate=0.5,
        likelihood=(0.7, 0.35),
    ),
    "bargain_hunters": dict(
        display_name="Bargain hunters",
        description="25-60, buy promotions on the web: low baskets, high price sensitivity, love e-mail.",
        share=0.25,
        kind="person",
        age=(25, 60),
        gender=(0.5, 0.48, 0.02),
        rate=3.5,
        lines=0.8,
        qty=0.2,
        basket_sigma=0.3,
        elasticity=1.5,
        discount=(0.10, 0.35),
        lifetime_years=3.6,
        incident_rate=0.55,
        categories=dict(fashion=0.3, household=0.25, food=0.25, kids=0.1, electronics=0.1),
        channel=dict(web=0.8, app=0.1, store=0.1),
        payment=dict(card=0.6, paypal=0.4),
        delivery=dict(home=0.3, pickup_point=0.6, click_and_collect=0.1),
        acquisition=dict(web_search=0.35, price_comparison=0.35, social_media=0.2, newsletter=0.1),
        newsletter=0.8,
        consent=(0.9, 0.3, 0.6),
        network=(0.8, 0.6),
        funnel=dict(
            delivered=0.96,
            opened=0.45,
            clicked=0.3,
            unsubscribed=0.01,
            attended=0.05,
            responded=0.04,
        ),
        incident_mix=(0.35, 0.35, 0.25, 0.05),
        survey_rate=0.4,
        likelihood=(0.7, 0.08),
    ),
}
NAMES = tuple(PERSONAS)

#: Probability that a treated customer, alive at the send, places an induced order.
UPLIFT: dict[str, dict[str, float]] = {
    "young_digital": dict(
        emailing=0.05, mailing=0.01, breakfast=0.02, trade_show=0.02, webinar=0.05, samples=0.08
    ),
    "family_store": dict(
        emailing=0.03, mailing=0.05, breakfast=0.02, trade_show=0.02, webinar=0.01, samples=0.07
    ),
    "senior_premium": dict(
        emailing=0.015, mailing=0.08, breakfast=0.10, trade_show=0.03, webinar=0.005, samples=0.02
    ),
    "business_buyers": dict(
        emailing=0.01, mailing=0.02, breakfast=0.15, trade_show=0.18, webinar=0.08, samples=0.03
    ),
    "bargain_hunters": dict(
        emailing=0.10, mailing=0.03, breakfast=0.01, trade_show=0.01, webinar=0.01, samples=0.15
    ),
}
KIND_CHANNEL = dict(
    emailing="email",
    mailing="post",
    breakfast="event",
    trade_show="event",
    webinar="online",
    samples="post",
)
KIND_COST = dict(
    emailing=0.05, mailing=1.2, breakfast=25.0, trade_show=40.0, webinar=2.0, samples=3.0
)
KIND_FIXED_COST = dict(
    emailing=800.0, mailing=3000.0, breakfast=2500.0, trade_show=15000.0, webinar=1200.0,
    samples=2000.0,
)  # fmt: skip
#: Share of the eligible audience a campaign of each kind selects (targets + control).
KIND_REACH = dict(
    emailing=0.9, mailing=0.6, breakfast=0.3, trade_show=0.5, webinar=0.5, samples=0.4
)
AUDIENCES = {
    "persons": ("young_digital", "family_store", "senior_premium", "bargain_hunters"),
    "households": ("family_store", "senior_premium"),
    "key_clients": ("business_buyers", "senior_premium"),
    "companies": ("business_buyers",),
    "samplers": ("bargain_hunters", "young_digital", "family_store"),
    "deal_seekers": ("bargain_hunters", "young_digital"),
    "tech": ("young_digital", "business_buyers"),
}
#: label, kind, send date on the default calendar (2023-01-01 to 2025-12-31; other histories
#: are mapped proportionally), audience, randomised control group
CAMPAIGN_PLAN = (
    ("Winter sale e-mail", "emailing", "2023-02-07", "persons", True),
    ("Spring catalogue", "mailing", "2023-04-04", "households", True),
    ("Business breakfast", "breakfast", "2023-06-06", "key_clients", True),
    ("Back-to-school e-mail", "emailing", "2023-09-05", "persons", True),
    ("Pro trade show", "trade_show", "2023-10-17", "companies", False),
    ("Free samples pack", "samples", "2024-01-16", "samplers", True),
    ("Smart home webinar", "webinar", "2024-03-12", "tech", True),
    ("Spring promo e-mail", "emailing", "2024-05-14", "persons", True),
    ("Summer catalogue", "mailing", "2024-06-25", "households", True),
    ("Samples relaunch", "samples", "2024-09-17", "deal_seekers", True),
    ("Black Friday teaser", "emailing", "2024-11-05", "persons", False),
    ("Partners breakfast", "breakfast", "2025-01-21", "key_clients", True),
    ("Office webinar", "webinar", "2025-03-11", "tech", True),
    ("Summer e-mail", "emailing", "2025-05-20", "persons", True),
    ("Autumn catalogue", "mailing", "2025-09-09", "households", True),
    ("Samples autumn", "samples", "2025-10-21", "samplers", True),
)
PLAN_CALENDAR = ("2023-01-01", "2025-12-31")
KIND_DURATION_DAYS = dict(emailing=14, mailing=30, breakfast=0, trade_show=2, webinar=0, samples=21)
ATTRIBUTION_WINDOW_DAYS = 30
INDUCED_DELAY_DAYS = (1, 14)
CONTROL_SHARE = 0.2
MIN_CAMPAIGN_GAP_DAYS = 40

MONTHS = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.85, 0.6, 1.0, 1.05, 1.3, 1.6)
WEEKDAYS = (0.9, 0.95, 1.0, 1.05, 1.15, 1.35, 0.6)  # Monday first

#: (name, category, list price); unit costs are drawn at 35-65 % of the price.
PRODUCTS = (
    ("USB-C cable", "electronics", 12),
    ("Phone case", "electronics", 15),
    ("Power bank", "electronics", 25),
    ("Wireless earbuds", "electronics", 39),
    ("Bluetooth speaker", "electronics", 59),
    ("Smartwatch", "electronics", 149),
    ("Organic T-shirt", "fashion", 15),
    ("Cap", "fashion", 19),
    ("Hoodie", "fashion", 39),
    ("Jeans", "fashion", 49),
    ("Sneakers", "fashion", 79),
    ("Storage boxes", "household", 19),
    ("Bath towels", "household", 25),
    ("Bed linen set", "household", 59),
    ("Cookware set", "household", 89),
    ("Vacuum cleaner", "household", 169),
    ("Olive oil 1 L", "food", 12),
    ("Chocolate box", "food", 14),
    ("Coffee beans 1 kg", "food", 18),
    ("Tea selection", "food", 22),
    ("Gourmet hamper", "food", 59),
    ("Plush toy", "kids", 15),
    ("Children's books set", "kids", 25),
    ("Board game", "kids", 32),
    ("Building blocks", "kids", 39),
    ("Kick scooter", "kids", 69),
    ("Fine wine case", "premium", 150),
    ("Crystal glasses set", "premium", 165),
    ("Cashmere scarf", "premium", 185),
    ("Champagne case", "premium", 240),
    ("Designer lamp", "premium", 320),
    ("Office supplies kit", "office", 22),
    ("Printer paper box", "office", 32),
    ("LED desk lamp", "office", 45),
    ("Toner cartridge", "office", 79),
    ("Ergonomic chair", "office", 289),
    ("Plant pots set", "garden", 24),
    ("Garden hose", "garden", 35),
    ("Tool kit", "garden", 59),
    ("Cordless drill", "garden", 99),
    ("Barbecue", "garden", 199),
)
CATEGORIES = tuple(dict.fromkeys(c for _, c, _ in PRODUCTS))

#: (country, city, share among persons, share among companies, sales rep index)
GEO = (
    ("FR", "Paris", 0.26, 0.25, 0),
    ("FR", "Lille", 0.06, 0.05, 0),
    ("FR", "Marseille", 0.08, 0.05, 1),
    ("FR", "Toulouse", 0.07, 0.05, 1),
    ("FR", "Nice", 0.04, 0.03, 1),
    ("FR", "Montpellier", 0.04, 0.03, 1),
    ("FR", "Lyon", 0.09, 0.08, 2),
    ("FR", "Strasbourg", 0.04, 0.04, 2),
    ("FR", "Grenoble", 0.03, 0.02, 2),
    ("FR", "Bordeaux", 0.06, 0.05, 3),
    ("FR", "Nantes", 0.06, 0.05, 3),
    ("FR", "Rennes", 0.03, 0.05, 3),
    ("BE", "Bruxelles", 0.03, 0.05, 0),
    ("BE", "Liège", 0.02, 0.03, 0),
    ("CH", "Genève", 0.025, 0.04, 2),
    ("CH", "Lausanne", 0.015, 0.03, 2),
    ("DE", "Berlin", 0.01, 0.03, 2),
    ("DE", "Munich", 0.01, 0.03, 2),
    ("ES", "Madrid", 0.02, 0.02, 1),
    ("ES", "Barcelona", 0.01, 0.02, 1),
)
#: Companies in Paris are key accounts, handled by this rep whatever the region.
KEY_ACCOUNT_REP = 3
FIRST_NAMES = {
    "F": "Camille Léa Manon Chloé Emma Inès Sarah Julie Marie Anne Sophie Isabelle Nathalie Claire "
    "Lucie Élodie".split(),
    "M": "Lucas Hugo Louis Thomas Nicolas Julien Pierre Antoine Paul Jean Michel Philippe Alain Marc "
    "Yann François".split(),
    "X": "Camille Dominique Claude Sacha Alex Charlie Morgan Eden Andrea Lou Noa Maxime Ange Alix "
    "Sasha Loïs".split(),
}
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert "
    "Bonnet François Martinez Legrand N'Diaye Nguyen".split()
)
COMPANY_SUFFIXES = "SARL|SAS|& Fils|Conseil|Distribution|Services|Industrie|Groupe".split("|")
SECTORS = "retail hospitality construction health education it_services public_sector manufacturing".split()

INCIDENTS = dict(
    severity=dict(
        complaint=(0.2, 0.3, 0.25, 0.15, 0.1),
        late_delivery=(0.4, 0.4, 0.2, 0, 0),
        support_ticket=(0.3, 0.35, 0.25, 0.1, 0),
    ),
    resolved=dict(complaint=0.75, late_delivery=0.9, support_ticket=0.9),
    resolution_days_per_severity=3.0,
    trigger_probability=0.5,
    trigger_days=(7, 60),
    satisfaction_missing=0.25,
)

QUESTIONS = ("too_cheap", "cheap", "expensive", "too_expensive")
#: concept -> name, category, unit cost, price step, persona -> means of the four answers
CONCEPTS: dict[str, dict] = {
    "NEW-PREMIUM": dict(
        name="Concept: connected espresso machine",
        category="household",
        unit_cost=100.0,
        step=5.0,
        means=dict(
            young_digital=(95, 140, 210, 280),
            family_store=(80, 120, 180, 240),
            senior_premium=(150, 220, 330, 440),
            business_buyers=(150, 225, 330, 440),
            bargain_hunters=(55, 80, 120, 160),
        ),
    ),
    "NEW-BASIC": dict(
        name="Concept: manual coffee grinder",
        category="household",
        unit_cost=12.0,
        step=0.5,
        means=dict(
            young_digital=(18, 28, 42, 58),
            family_store=(14, 22, 34, 46),
            senior_premium=(20, 32, 48, 64),
            business_buyers=(22, 34, 50, 68),
            bargain_hunters=(10, 16, 25, 34),
        ),
    ),
}
SURVEY = dict(cv=0.15, rho=0.9, non_monotone_share=0.02, likelihood_concentration=8.0)
COST_PLUS = dict(own_margin=0.30, distribution_margin=0.25)
VERDICT_RULE = (
    "floor = unit_cost*(1+own_margin)*(1+distribution_margin); 'viable' if "
    "floor <= PMC, 'not viable' if floor > PME, else 'squeezed'"
)


def season_profiles() -> tuple[list[float], list[float]]:
    """Month (Jan-Dec, day-weighted mean 1) and weekday (Mon-Sun, mean 1) multipliers."""
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    months = np.array(MONTHS) / (np.dot(MONTHS, days) / days.sum())
    weekdays = np.array(WEEKDAYS) / np.mean(WEEKDAYS)
    return [round(float(m), 6) for m in months], [round(float(w), 6) for w in weekdays]


def survey_params(concept: str, persona: str) -> dict[str, dict[str, float]]:
    """Planted normal distribution (mean, sd) of each Van Westendorp answer."""
    means = CONCEPTS[concept]["means"][persona]
    return {
        q: {"mean": float(m), "sd": round(SURVEY["cv"] * m, 4)}
        for q, m in zip(QUESTIONS, means, strict=True)
    }


def vw_points(components: list[tuple[float, dict]]) -> dict[str, float]:
    """Classic Van Westendorp points of a mixture of planted normal answer distributions.

    `components` holds (weight, survey_params(...)) pairs; the points are the crossings of
    TC(p)=P(too_cheap>=p) with 1-C(p) (PMC) and TE(p) (OPP), of C(p)=P(cheap>=p) with
    E(p)=P(expensive<=p) (IPP), and of TE(p)=P(too_expensive<=p) with 1-E(p) (PME).
    """
    total = sum(w for w, _ in components)

    def cdf(q: str, p: float) -> float:
        return sum(w * norm.cdf(p, c[q]["mean"], c[q]["sd"]) for w, c in components) / total

    lo = max(0.0, min(c[q]["mean"] - 8 * c[q]["sd"] for _, c in components for q in QUESTIONS))
    hi = max(c[q]["mean"] + 8 * c[q]["sd"] for _, c in components for q in QUESTIONS)
    crossings = {
        "PMC": lambda p: (1 - cdf("too_cheap", p)) - cdf("cheap", p),
        "OPP": lambda p: (1 - cdf("too_cheap", p)) - cdf("too_expensive", p),
        "IPP": lambda p: (1 - cdf("cheap", p)) - cdf("expensive", p),
        "PME": lambda p: (1 - cdf("expensive", p)) - cdf("too_expensive", p),
    }
    return {k: round(float(brentq(f, lo, hi, xtol=1e-9)), 4) for k, f in crossings.items()}


def verdict(floor: float, points: dict[str, float]) -> str:
    """Cost-plus verdict: see VERDICT_RULE."""
    if floor <= points["PMC"]:
        return "viable"
    return "not viable" if floor > points["PME"] else "squeezed"


def pricing_truth(customers: dict[str, float], respondents: dict[str, float]) -> dict:
    """Planted survey distributions, analytic points and verdicts per concept x persona.

    The `all` mixture is weighted by the customers of each persona (what an analysis weighted
    by `weight` estimates), `all_unweighted` by the respondents of each persona.
    """
    out = {}
    floor_factor = (1 + COST_PLUS["own_margin"]) * (1 + COST_PLUS["distribution_margin"])
    for pid, spec in CONCEPTS.items():
        floor = round(spec["unit_cost"] * floor_factor, 4)
        by_persona = {}
        for persona in NAMES:
            params = survey_params(pid, persona)
            points = vw_points([(1.0, params)])
            by_persona[persona] = {
                "params": params,
                "points": points,
                "verdict": verdict(floor, points),
            }
        out[pid] = {
            "name": spec["name"],
            "category": spec["category"],
            "unit_cost": spec["unit_cost"],
            "price_step": spec["step"],
            "floor": floor,
            "by_persona": by_persona,
        }
        for key, counts in (("all", customers), ("all_unweighted", respondents)):
            mix = [(float(counts.get(p, 0)), survey_params(pid, p)) for p in NAMES]
            points = vw_points(
                [m for m in mix if m[0] > 0] or [(1.0, survey_params(pid, NAMES[0]))]
            )
            out[pid][key] = {"points": points, "verdict": verdict(floor, points)}
    return out


DEFINITIONS = {
    "personas": "Planted segments; customers_truth.persona gives each customer's. "
    "purchase_rate_per_year is the mean of the gamma-distributed baseline Poisson rate "
    "(first order and campaign-induced orders come on top); mean_basket is the expected "
    "order amount (1+lines)*(1+qty)*mean unit price, before returns.",
    "seasonality": "Baseline order intensity on day d = rate/365.25 * month[d] * weekday[d] "
    "(thinned Poisson process); first purchases follow the same profile.",
    "lapse": "lapse_date: last day a customer can buy; no order line is dated after it. "
    "Natural lapse = first purchase + exponential lifetime (persona mean); a complaint "
    "that is unresolved or of severity >= 4 triggers, with trigger_probability, a lapse "
    "7-60 days later (lapse_cause 'incident' when that comes first).",
    "campaigns": "Each campaign has one send date (start_date); treated = group 'target'. "
    "A treated customer alive at the send (lapse_date > send) places an induced "
    "order 1-14 days later with probability uplift[persona][kind]. Conversion = at "
    "least one sale line (quantity > 0) dated in (send, send + attribution_window_days]. "
    "incremental_conversion = mean over targets of u_i * P(no baseline order in the "
    "window); incremental_revenue/margin_per_contact = mean over targets of u_i * "
    "expected induced order amount/margin (induced lines are never returned or free); "
    "expected_roi = (n_target * margin per contact - total_cost) / total_cost. Sends are at "
    "least 40 days apart, so no campaign's induced orders fall in another's window.",
    "by_kind": "Pooled over the campaigns of a kind, per target contact: incremental margin, "
    "cost_per_contact, net = margin - cost, margin_per_cost = margin / cost. "
    "best_action_kind maximises margin_per_cost.",
    "pricing": "Answers ~ Normal(mean, sd) per question, persona and concept (correlation rho "
    "through a shared respondent factor), rounded to price_step; points are analytic "
    "crossings of the planted distributions. Non-monotone rows (answers not strictly "
    "increasing) should be dropped before the analysis.",
    "orders": "Returns are extra negative lines of the same order_id, 2-20 days later; free "
    "samples are lines with unit_price 0.",
}


def _plain(x):
    """Recursively turn numpy scalars, arrays and tuples into JSON types."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return round(x, 10) if np.isfinite(x) else None
    return x


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def _persona_truth(w) -> dict:
    out = {}
    for k, name in enumerate(NAMES):
        s = PERSONAS[name]
        t = w.tally["persona"][k]
        scale = (1 + s["lines"]) * (1 + s["qty"])
        out[name] = {
            "display_name": s["display_name"],
            "description": s["description"],
            "kind": s["kind"],
            "share": s["share"],
            "age_range": s["age"],
            "gender_mix_FMX": s["gender"],
            "purchase_rate_per_year": s["rate"],
            "rate_gamma_shape": 4.0,
            "mean_basket": scale * w.unit_revenue[k],
            "mean_order_margin": scale * w.unit_margin[k],
            "lines_per_order": 1 + s["lines"],
            "units_per_line": 1 + s["qty"],
            "basket_lognormal_sigma": s["basket_sigma"],
            "discount_range": s["discount"],
            "mean_lifetime_years": s["lifetime_years"],
            "incident_rate_per_year": s["incident_rate"],
            "incident_mix": dict(zip(INCIDENT_KINDS, s["incident_mix"], strict=True)),
            "category_mix": s["categories"],
            "channel_mix": s["channel"],
            "payment_mix": s["payment"],
            "delivery_mix": s["delivery"],
            "acquisition_mix": s["acquisition"],
            "newsletter_rate": s["newsletter"],
            "consent_rates": dict(zip(("email", "phone", "mail"), s["consent"], strict=True)),
            "network_score": {"mean_when_positive": s["network"][0], "zero_share": s["network"][1]},
            "email_funnel": s["funnel"],
            "uplift": UPLIFT[name],
            "survey_rate": s["survey_rate"],
            "likelihood_means": dict(zip(("cheap", "expensive"), s["likelihood"], strict=True)),
            "realised": dict(
                zip(
                    (
                        "n_customers",
                        "n_lapsed",
                        "n_lapsed_180d",
                        "n_lapsed_incident",
                        "n_orders",
                        "n_lines",
                        "n_return_lines",
                        "n_respondents",
                    ),
                    (int(v) for v in t),
                    strict=True,
                )
            ),
        }
    return out


def _campaign_truth(w) -> dict:
    by_id, pooled = {}, {}
    for camp, t in zip(w.camps, w.tally["camp"], strict=True):
        n_t, n_c, alive, conv, rev, margin, induced = t
        cost = KIND_COST[camp["kind"]]
        total_cost = camp["fixed"] + cost * n_t
        by_id[camp["id"]] = {
            "name": camp["name"],
            "kind": camp["kind"],
            "channel": KIND_CHANNEL[camp["kind"]],
            "send_date": str((w.start + np.timedelta64(camp["send"], "D")).date()),
            "has_control": camp["control"],
            "target_personas": [NAMES[i] for i in camp["personas"]],
            "n_target": int(n_t),
            "n_control": int(n_c),
            "n_target_alive": int(alive),
            "incremental_conversion": _ratio(conv, n_t),
            "incremental_revenue_per_contact": _ratio(rev, n_t),
            "incremental_margin_per_contact": _ratio(margin, n_t),
            "n_induced_orders": int(induced),
            "fixed_cost": camp["fixed"],
            "cost_per_contact": cost,
            "total_cost": total_cost,
            "expected_roi": _ratio(margin - total_cost, total_cost),
        }
        p = pooled.setdefault(camp["kind"], np.zeros(4))
        p += [n_t, conv, rev, margin]
    by_kind = {}
    for kind, (n_t, conv, rev, margin) in pooled.items():
        m, cost = _ratio(margin, n_t), KIND_COST[kind]
        by_kind[kind] = {
            "n_target": int(n_t),
            "incremental_conversion": _ratio(conv, n_t),
            "incremental_revenue_per_contact": _ratio(rev, n_t),
            "incremental_margin_per_contact": m,
            "cost_per_contact": cost,
            "net_margin_per_contact": None if m is None else m - cost,
            "margin_per_cost": None if m is None else m / cost,
        }
    ranked = [k for k, v in by_kind.items() if v["margin_per_cost"] is not None]
    best = max(ranked, key=lambda k: by_kind[k]["margin_per_cost"]) if ranked else None
    return {
        "attribution_window_days": ATTRIBUTION_WINDOW_DAYS,
        "induced_delay_days": INDUCED_DELAY_DAYS,
        "control_share": CONTROL_SHARE,
        "uplift": UPLIFT,
        "cost_per_contact": KIND_COST,
        "no_control_campaigns": [c["id"] for c in w.camps if not c["control"]],
        "by_campaign": by_id,
        "by_kind": by_kind,
        "best_action_kind": best,
    }


def build_truth(w) -> dict:
    """The JSON-serialisable planted truth of a generated world (see DEFINITIONS)."""
    months, weekdays = season_profiles()
    pt, (rows, non_mono, swaps) = w.tally["persona"], w.tally["survey"]
    n = float(pt[:, 0].sum())
    customers = {p: pt[k, 0] for k, p in enumerate(NAMES)}
    respondents = {p: pt[k, 7] for k, p in enumerate(NAMES)}
    truth = {
        "generator": {"name": "workbench.demo", "version": VERSION},
        "seed": w.seed,
        "n_customers": w.n,
        "start": str(w.start.date()),
        "as_of": str(w.as_of.date()),
        "definitions": DEFINITIONS,
        "personas": _persona_truth(w),
        "sales_reps": {
            "names": REPS,
            "rule": "by region of the city; companies in Paris go to "
            f"{REPS[KEY_ACCOUNT_REP]} (key accounts)",
        },
        "seasonality": {
            "month_multipliers": months,
            "weekday_multipliers": weekdays,
            "weekday_order": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        },
        "lapse": {
            "share_lapsed": _ratio(pt[:, 1].sum(), n),
            "share_lapsed_180d_before_as_of": _ratio(pt[:, 2].sum(), n),
            "n_lapsed": int(pt[:, 1].sum()),
            "n_lapsed_by_incident": int(pt[:, 3].sum()),
            "incident_trigger": {
                "kinds": ["complaint"],
                "condition": "never resolved or severity >= 4",
                "probability": INCIDENTS["trigger_probability"],
                "days_after": INCIDENTS["trigger_days"],
            },
        },
        "orders": {
            "n_orders": int(pt[:, 4].sum()),
            "n_lines": int(pt[:, 5].sum() + pt[:, 6].sum()),
            "n_return_lines": int(pt[:, 6].sum()),
            "return_line_probability": 0.031,
            "free_sample_probability": 0.002,
            "return_delay_days": [2, 20],
        },
        "products": {
            "categories": CATEGORIES,
            "n_products": len(PRODUCTS),
            "unit_cost_share_of_price": [0.35, 0.65],
            "concepts": list(CONCEPTS),
        },
        "incidents": {
            **INCIDENTS,
            "kinds": INCIDENT_KINDS,
            "n_incidents": int(w.next["incident"] - 1),
        },
        "campaigns": _campaign_truth(w),
        "pricing": {
            "cost_plus": COST_PLUS,
            "verdict_rule": VERDICT_RULE,
            "survey": SURVEY,
            "n_rows": int(rows),
            "n_respondents": int(rows // 2),
            "n_non_monotone": int(non_mono),
            "n_planted_swaps": int(swaps),
            "concepts": pricing_truth(customers, respondents),
        },
    }
    return _plain(truth)
