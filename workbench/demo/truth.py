"""The truth the planted parameters imply: analytic answers and realised counts, as JSON.

Private to :mod:`workbench.demo`. The planted parameters live with the part of the generator
they drive (:mod:`~workbench.demo.personas`, ``customers``, ``orders``,
``catalogue``, ``incidents``, ``campaigns``, ``survey``); everything
here is a pure function of them and of the world's tallies, so the truth written next to the
demo data can be recomputed by hand.
"""

from __future__ import annotations

import numpy as np

from workbench.demo.campaigns import (
    ATTRIBUTION_WINDOW_DAYS,
    CONTROL_SHARE,
    INDUCED_DELAY_DAYS,
    KIND_CHANNEL,
    KIND_COST,
    UPLIFT,
)
from workbench.demo.catalogue import CATEGORIES, PRODUCTS, UNIT_COST_SHARE
from workbench.demo.customers import KEY_ACCOUNT_REP, RATE_SHAPE, REPS
from workbench.demo.incidents import INCIDENT_KINDS, INCIDENTS
from workbench.demo.journeys import journey_tally
from workbench.demo.orders import FREE_SHARE, RETURN_DELAY_DAYS, RETURN_SHARE, season_profiles
from workbench.demo.personas import NAMES, PERSONAS
from workbench.demo.survey import CONCEPTS, QUESTIONS, SURVEY

VERSION = "demo-1.0"
COST_PLUS = dict(own_margin=0.30, distribution_margin=0.25)
VERDICT_RULE = (
    "floor = unit_cost*(1+own_margin)*(1+distribution_margin); 'viable' if "
    "floor <= PMC, 'not viable' if floor > PME, else 'squeezed'"
)


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
    from scipy.optimize import brentq  # here: the truth is worked out on first use, SciPy with it
    from scipy.stats import norm

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
            "rate_gamma_shape": RATE_SHAPE,
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


def _incremental(n_target: float, conversions: float, revenue: float, margin: float) -> dict:
    """Expected incremental effects per target contact."""
    return {
        "incremental_conversion": _ratio(conversions, n_target),
        "incremental_revenue_per_contact": _ratio(revenue, n_target),
        "incremental_margin_per_contact": _ratio(margin, n_target),
    }


def _one_campaign(w, camp: dict, tally: np.ndarray) -> dict:
    n_t, n_c, alive, conv, rev, margin, induced = tally
    cost = KIND_COST[camp["kind"]]
    total_cost = camp["fixed"] + cost * n_t
    return {
        "name": camp["name"],
        "kind": camp["kind"],
        "channel": KIND_CHANNEL[camp["kind"]],
        "send_date": str((w.start + np.timedelta64(camp["send"], "D")).date()),
        "has_control": camp["control"],
        "target_personas": [NAMES[i] for i in camp["personas"]],
        "n_target": int(n_t),
        "n_control": int(n_c),
        "n_target_alive": int(alive),
        **_incremental(n_t, conv, rev, margin),
        "n_induced_orders": int(induced),
        "fixed_cost": camp["fixed"],
        "cost_per_contact": cost,
        "total_cost": total_cost,
        "expected_roi": _ratio(margin - total_cost, total_cost),
    }


def _one_kind(kind: str, n_t: float, conv: float, rev: float, margin: float) -> dict:
    m, cost = _ratio(margin, n_t), KIND_COST[kind]
    return {
        "n_target": int(n_t),
        **_incremental(n_t, conv, rev, margin),
        "cost_per_contact": cost,
        "net_margin_per_contact": None if m is None else m - cost,
        "margin_per_cost": None if m is None else m / cost,
    }


def _campaign_truth(w) -> dict:
    by_id, pooled = {}, {}
    for camp, tally in zip(w.camps, w.tally["camp"], strict=True):
        by_id[camp["id"]] = _one_campaign(w, camp, tally)
        p = pooled.setdefault(camp["kind"], np.zeros(4))
        p += tally[[0, 3, 4, 5]]  # targets, conversions, revenue, margin
    by_kind = {kind: _one_kind(kind, *sums) for kind, sums in pooled.items()}
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
            "return_line_probability": RETURN_SHARE,
            "free_sample_probability": FREE_SHARE,
            "return_delay_days": RETURN_DELAY_DAYS,
        },
        "products": {
            "categories": CATEGORIES,
            "n_products": len(PRODUCTS),
            "unit_cost_share_of_price": UNIT_COST_SHARE,
            "concepts": list(CONCEPTS),
        },
        "incidents": {
            **INCIDENTS,
            "kinds": INCIDENT_KINDS,
            "n_incidents": int(w.next["incident"] - 1),
        },
        "campaigns": _campaign_truth(w),
        "journeys": journey_tally(w.tally["journeys"]),
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
