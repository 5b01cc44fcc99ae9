"""The demo world and its chunks: what every chunk shares, and how one chunk is generated.

Private to :mod:`workbench.demo`. :class:`World` holds the calendar, the persona tables, the
catalogue and the campaign plan, and accumulates the running numbers and the tallies the
truth is built from; :func:`chunks` yields the per-customer tables, chunk by chunk.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from workbench.demo import truth as planted
from workbench.demo.campaigns import (
    FUNNEL_STEPS,
    KINDS,
    UPLIFT,
    contact_table,
    plan,
    send_campaigns,
)
from workbench.demo.catalogue import catalogue
from workbench.demo.customers import GEO, customer_table, people, truth_table
from workbench.demo.draws import BLOCK, Streams, cdf, mix
from workbench.demo.incidents import INCIDENT_KINDS, INCIDENTS, incident_table, incidents
from workbench.demo.journeys import interaction_table
from workbench.demo.orders import (
    CHANNELS,
    DELIVERIES,
    PAYMENTS,
    order_heads,
    order_lines,
    order_table,
    season_profiles,
)
from workbench.demo.personas import NAMES, PERSONAS
from workbench.demo.survey import CONCEPTS, survey_answers, survey_table
from workbench.demo.tables import identifiers

log = logging.getLogger(__name__)

_PERSONA_COLUMNS = "rate lines qty basket_sigma elasticity lifetime_years incident_rate newsletter survey_rate".split()


class World:
    """Calendar, catalogue, persona tables and campaign plan shared by every chunk; tallies."""

    def __init__(self, customers: int, seed: int, start: str, as_of: str) -> None:
        if customers < 1:
            raise ValueError(f"customers must be at least 1, not {customers}")
        self.n, self.seed = int(customers), int(seed)
        self.start, self.as_of = pd.Timestamp(start).normalize(), pd.Timestamp(as_of).normalize()
        self.days = (self.as_of - self.start).days + 1
        if self.days < 366:
            raise ValueError(f"the history {start} to {as_of} must span at least a year")
        self.start64 = np.datetime64(self.start.date(), "ns")
        self.width = max(6, len(str(self.n)))
        self.rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(0,)))
        self._calendar()
        self._personas()
        vars(self).update(catalogue(self))
        self.camps, self.campaigns_table = plan(self)
        self.global_tables = {"products": self.products, "campaigns": self.campaigns_table}
        self.tally = {
            "camp": np.zeros((len(self.camps), 7)),
            "persona": np.zeros((len(NAMES), 8)),
            "survey": np.zeros(3),
            "journeys": [],
        }
        self.next = {"order": 1, "line": 1, "incident": 1, "interaction": 1}

    def _calendar(self) -> None:
        dates = pd.date_range(self.start, self.as_of, freq="D")
        month_mult, weekday_mult = season_profiles()
        self.season = (
            np.array(month_mult)[dates.month - 1] * np.array(weekday_mult)[dates.day_of_week]
        )
        self.smax = float(self.season.max())
        self.cum = np.concatenate([[0.0], np.cumsum(self.season)])
        self.acq_day_cdf = cdf(self.season[: self.days - 15])

    def _personas(self) -> None:
        ps = [PERSONAS[n] for n in NAMES]

        def col(key):
            return np.array([p[key] for p in ps], float)

        self.persona_cdf = cdf([p["share"] for p in ps])
        self.company = np.array([p["kind"] == "company" for p in ps])
        for key in _PERSONA_COLUMNS:
            setattr(self, key, col(key))
        self.disc, self.consent = col("discount"), col("consent")
        self.network, self.likelihood = col("network"), col("likelihood")
        self.ages = np.array([p["age"] or (0, 0) for p in ps], float)
        self.gender_cdf = cdf([p["gender"] or (1, 0, 0) for p in ps])
        self.channel_cdf = mix([p["channel"] for p in ps], CHANNELS)
        self.payment_cdf = mix([p["payment"] for p in ps], PAYMENTS)
        self.delivery_cdf = mix([p["delivery"] for p in ps], DELIVERIES)
        self.acq_vocab = tuple(dict.fromkeys(k for p in ps for k in p["acquisition"]))
        self.acq_channel_cdf = mix([p["acquisition"] for p in ps], self.acq_vocab)
        self.incident_cdf = cdf([p["incident_mix"] for p in ps])
        self.funnel = np.array([[p["funnel"][k] for k in FUNNEL_STEPS] for p in ps])
        self.uplift = np.array([[UPLIFT[n][k] for k in KINDS] for n in NAMES])
        self.geo_cdf = cdf([[g[2] for g in GEO], [g[3] for g in GEO]])
        self.severity_cdf = cdf([INCIDENTS["severity"][k] for k in INCIDENT_KINDS[:3]])
        self.resolve_p = np.array([INCIDENTS["resolved"][k] for k in INCIDENT_KINDS[:3]] + [1])
        self.survey_means = np.array(
            [[c["means"][n] for n in NAMES] for c in CONCEPTS.values()], float
        )
        self.survey_step = np.array([c["step"] for c in CONCEPTS.values()])

    def dates(self, days) -> np.ndarray:
        """Day offsets from `start` (fractions = time of day, NaN = missing) to datetime64[ns]."""
        days = np.asarray(days, float)
        out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = ~np.isnan(days)
        out[ok] = self.start64 + np.round(days[ok] * 86400).astype("int64").astype("timedelta64[s]")
        return out

    def number(self, counter: str, count: int) -> np.ndarray:
        """The next `count` numbers of the running `counter` (``order``, ``line``, ``incident``)."""
        first = self.next[counter]
        self.next[counter] += count
        return first + np.arange(count)

    def truth(self) -> dict:
        """The planted truth, complete once every chunk has been generated."""
        return planted.build_truth(self)


def chunk_size(chunk_customers: int) -> int:
    """`chunk_customers` rounded up to a whole number of random-stream blocks."""
    return max(BLOCK, -(-int(chunk_customers) // BLOCK) * BLOCK)


def chunks(world: World, chunk_customers: int):
    """Yield the per-customer tables chunk by chunk (dict of DataFrames)."""
    size = chunk_size(chunk_customers)
    for lo in range(0, world.n, size):
        n = min(size, world.n - lo)
        log.info("generating customers %d-%d of %d", lo + 1, lo + n, world.n)
        yield _chunk(world, lo, n)


def _chunk(w: World, lo: int, n: int) -> dict[str, pd.DataFrame]:
    """Generate customers ``lo .. lo + n - 1`` (``lo`` a multiple of `BLOCK`) and their rows."""
    st = Streams(w.seed, lo // BLOCK, -(-n // BLOCK))
    blk = np.arange(n) // BLOCK
    c = people(w, st, blk)
    inc = incidents(w, st, c, blk)
    contacts, induced = send_campaigns(w, st, c, blk)
    heads = order_heads(w, st, c, blk, induced)
    lines = order_lines(w, st, c, *heads)
    survey = survey_answers(w, st, c)
    ids = identifiers("C", lo + 1 + np.arange(n), w.width)
    _tally(w, c, heads, lines, survey)
    orders = order_table(w, ids, heads, lines)
    interactions, journeys = interaction_table(w, lo, ids, orders)
    w.tally["journeys"].append(journeys)
    return {
        "customers": customer_table(w, c, ids),
        "orders": orders,
        "interactions": interactions,
        "campaign_contacts": contact_table(w, ids, contacts),
        "incidents": incident_table(w, ids, inc),
        "price_survey": survey_table(w, lo, ids, survey),
        "customers_truth": truth_table(w, c, ids),
    }


def _tally(w: World, c: dict, heads, lines: dict, survey: dict) -> None:
    """Add this chunk's counts to the world's tallies (the truth is built from them)."""
    lapsed = c["lapse"] <= w.days - 1
    cols = [np.ones_like(lapsed), lapsed, c["lapse"] <= w.days - 1 - 180, lapsed & c["by_incident"]]
    counts = [np.bincount(c["persona"], col, minlength=len(NAMES)) for col in cols]
    counts.append(np.bincount(c["persona"][heads[0]], minlength=len(NAMES)))
    for mask in (~lines["is_return"], lines["is_return"]):
        counts.append(np.bincount(c["persona"][lines["cust"][mask]], minlength=len(NAMES)))
    counts.append(np.bincount(survey["persona"], minlength=len(NAMES)) / 2)
    w.tally["persona"] += np.stack(counts, axis=1)
    w.tally["survey"] += [len(survey["cust"]), survey["non_monotone"].sum(), survey["swap"].sum()]
