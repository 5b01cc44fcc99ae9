"""The planted-truth demo company: a coherent CRM whose answers are known.

A fictional French retailer / wholesaler with five personas, seasonality, lapses made
likelier by incidents, campaigns with randomised control groups and planted uplift, and a
Van Westendorp price survey. :func:`generate` returns the contract tables with the planted
truth; :func:`write` streams the same data to CSV or Parquet in bounded memory.

Random draws about a customer come from the stream of that customer's block of
``_BLOCK`` consecutive customers (a child of ``np.random.SeedSequence(seed)``), so the data
depend on ``(customers, seed, start, as_of)`` only, never on the chunk size.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench import _demo_truth as P
from workbench.contract import CONTRACT, DTYPES

__all__ = ["DemoCompany", "generate", "write"]

log = logging.getLogger(__name__)

_BLOCK = 100  # customers per random stream; chunk sizes are rounded to a multiple of it
_RATE_SHAPE = 4.0  # gamma shape of the per-customer purchase rate (cv 0.5)
_EXISTING_BASE = (0.3, 90)  # share of customers acquired in the first days of the history
_RETURN_SHARE, _FREE_SHARE, _BIRTH_KNOWN = 0.031, 0.002, 0.85
_CHUNK_TABLES = ("customers", "orders", "campaign_contacts", "incidents", "price_survey")
_EMAIL_KINDS = ("emailing", "breakfast", "trade_show", "webinar")
_EVENT_KINDS = ("breakfast", "trade_show", "webinar")
_FUNNEL_STEPS = ("delivered", "opened", "clicked", "unsubscribed", "attended", "responded")
_PERSONA_COLUMNS = "rate lines qty basket_sigma elasticity lifetime_years incident_rate newsletter survey_rate".split()
_TRUTH_COLUMNS = {
    "customer_id": "str",
    "persona": "str",
    "first_purchase_date": "datetime64[ns]",
    "lapse_date": "datetime64[ns]",
    "lapse_cause": "str",
    "purchase_rate_per_year": "float64",
    "mean_basket": "float64",
    "mean_order_margin": "float64",
    "mean_discount": "float64",
}


@dataclass
class DemoCompany:
    """A generated demo company.

    Attributes
    ----------
    tables : dict of DataFrame
        The contract tables, with canonical columns and dtypes.
    truth : dict
        JSON-serialisable planted truth (see ``truth["definitions"]``).
    customers_truth : DataFrame
        One row per customer: persona, first purchase, lapse date and cause, planted rate,
        basket and margin.
    """

    tables: dict[str, pd.DataFrame]
    truth: dict
    customers_truth: pd.DataFrame


def generate(
    *, customers: int = 4000, seed: int = 42, start: str = "2023-01-01", as_of: str = "2025-12-31"
) -> DemoCompany:
    """Generate the demo company in memory.

    Parameters
    ----------
    customers : int
        Number of customers.
    seed : int
        Seed of every random draw; the same seed gives the same company.
    start, as_of : str
        First and last day of the history (inclusive); nothing is dated after `as_of`.

    Returns
    -------
    DemoCompany
        Same data as :func:`write` with the same arguments.
    """
    world = _World(customers, seed, start, as_of)
    parts = list(_chunks(world, 100_000))
    tables = {name: world.global_tables.get(name) for name in CONTRACT}
    for name in _CHUNK_TABLES:
        tables[name] = pd.concat([p[name] for p in parts], ignore_index=True)
    truth_rows = pd.concat([p["customers_truth"] for p in parts], ignore_index=True)
    return DemoCompany(tables=tables, truth=world.truth(), customers_truth=truth_rows)


def write(
    out_dir: str | Path,
    *,
    customers: int = 4000,
    seed: int = 42,
    file_format: str = "csv",
    chunk_customers: int = 100_000,
    start: str = "2023-01-01",
    as_of: str = "2025-12-31",
    progress: bool = False,
) -> Path:
    """Write the demo company to `out_dir`, chunk by chunk, in bounded memory.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write ``<table>.<ext>``, ``customers_truth.<ext>`` and ``truth.json`` into.
    customers, seed, start, as_of
        As in :func:`generate`, which returns the same data.
    file_format : {"csv", "parquet"}
        File format of the tables.
    chunk_customers : int
        Customers generated and written at a time (rounded up to a multiple of 100).
    progress : bool
        Show a progress bar over the chunks.

    Returns
    -------
    Path
        The output folder.
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = _World(customers, seed, start, as_of)
    sink = _Sink(out, file_format)
    for name, frame in world.global_tables.items():
        sink.append(name, frame)
    chunks = _chunks(world, chunk_customers)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, total=-(-customers // _chunk_size(chunk_customers)), unit="chunk")
    for part in chunks:
        for name, frame in part.items():
            sink.append(name, frame)
    sink.close()
    (out / "truth.json").write_text(
        json.dumps(world.truth(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    log.info("wrote demo company (%d customers, seed %d) to %s", customers, seed, out)
    return out


class _Sink:
    """Append frames to one file per table (Parquet row groups or CSV without repeated header)."""

    def __init__(self, out: Path, file_format: str) -> None:
        self.out, self.format, self.writers = out, file_format, {}

    def append(self, name: str, frame: pd.DataFrame) -> None:
        path = self.out / f"{name}.{self.format}"
        if self.format == "csv":
            frame.to_csv(
                path,
                mode="a" if name in self.writers else "w",
                header=name not in self.writers,
                index=False,
            )
            self.writers[name] = None
            return
        import pyarrow.parquet as pq

        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(path, _arrow_schema(name, frame))
        writer = self.writers[name]
        writer.write_table(pa.Table.from_pandas(frame, schema=writer.schema, preserve_index=False))

    def close(self) -> None:
        for writer in self.writers.values():
            if writer is not None:
                writer.close()


def _arrow_schema(name: str, frame: pd.DataFrame):
    """Explicit Arrow schema, so that a chunk with an all-empty column keeps the same types."""
    types = {
        "str": pa.large_string(),
        "Int64": pa.int64(),
        "float64": pa.float64(),
        "boolean": pa.bool_(),
        "datetime64[ns]": pa.timestamp("ns"),
    }
    dtypes = (
        _TRUTH_COLUMNS
        if name == "customers_truth"
        else {c.name: DTYPES[c.dtype] for c in CONTRACT[name].columns}
    )
    schema = pa.schema([(col, types[dtypes[col]]) for col in frame.columns])
    return schema.with_metadata(pa.Schema.from_pandas(frame, preserve_index=False).metadata)


class _Streams:
    """One numpy Generator per block of `_BLOCK` consecutive customers.

    Rows passed to :meth:`draw` are sorted by customer; each block's rows are drawn from the
    block's own stream, in the same sequence of calls whatever the chunk it falls in.
    """

    def __init__(self, seed: int, first_block: int, n_blocks: int) -> None:
        self.gens = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
            for b in range(first_block, first_block + n_blocks)
        ]

    def draw(self, block: np.ndarray, method: str, *params, cols: int | None = None) -> np.ndarray:
        bounds = np.searchsorted(block, np.arange(len(self.gens) + 1))
        parts = []
        for gen, lo, hi in zip(self.gens, bounds[:-1], bounds[1:], strict=True):
            args = [p[lo:hi] if isinstance(p, np.ndarray) else p for p in params]
            size = (hi - lo,) if cols is None else (hi - lo, cols)
            parts.append(getattr(gen, method)(*args, size=size))
        return np.concatenate(parts)


def _cdf(weights: np.ndarray) -> np.ndarray:
    """Row-wise cumulative distribution of non-negative weights, last column exactly 1."""
    w = np.atleast_2d(np.asarray(weights, float))
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return cdf


def _pick(cdf: np.ndarray, group: np.ndarray | int, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw per row from the distribution ``cdf[group]``."""
    k = cdf.shape[1]
    group = np.broadcast_to(np.asarray(group), u.shape)
    flat = (cdf + np.arange(len(cdf))[:, None]).ravel()
    return np.minimum(np.searchsorted(flat, u + group, side="right") - group * k, k - 1)


def _mix(mixes: list[dict], vocabulary: tuple[str, ...]) -> np.ndarray:
    return _cdf([[m.get(v, 0.0) for v in vocabulary] for m in mixes])


class _World:
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
        self._catalogue()
        self._plan()
        self.global_tables = {"products": self.products, "campaigns": self.campaigns_table}
        self.tally = {
            "camp": np.zeros((len(self.camps), 7)),
            "persona": np.zeros((len(P.NAMES), 8)),
            "survey": np.zeros(3),
        }
        self.next = {"order": 1, "line": 1, "incident": 1}

    def _calendar(self) -> None:
        dates = pd.date_range(self.start, self.as_of, freq="D")
        self.month_mult, self.weekday_mult = P.season_profiles()
        self.season = (
            np.array(self.month_mult)[dates.month - 1]
            * np.array(self.weekday_mult)[dates.day_of_week]
        )
        self.smax = float(self.season.max())
        self.cum = np.concatenate([[0.0], np.cumsum(self.season)])
        self.acq_cdf = _cdf(self.season[: self.days - 15])

    def _personas(self) -> None:
        ps = [P.PERSONAS[n] for n in P.NAMES]

        def col(key):
            return np.array([p[key] for p in ps], float)

        self.persona_cdf = _cdf([p["share"] for p in ps])
        self.company = np.array([p["kind"] == "company" for p in ps])
        for key in _PERSONA_COLUMNS:
            setattr(self, key, col(key))
        self.disc = np.array([p["discount"] for p in ps], float)
        self.consent = np.array([p["consent"] for p in ps], float)
        self.network = np.array([p["network"] for p in ps], float)
        self.likelihood = np.array([p["likelihood"] for p in ps], float)
        self.ages = np.array([p["age"] or (0, 0) for p in ps], float)
        self.gender_cdf = _cdf([p["gender"] or (1, 0, 0) for p in ps])
        self.channel_cdf = _mix([p["channel"] for p in ps], P.CHANNELS)
        self.payment_cdf = _mix([p["payment"] for p in ps], P.PAYMENTS)
        self.delivery_cdf = _mix([p["delivery"] for p in ps], P.DELIVERIES)
        self.acq_vocab = tuple(dict.fromkeys(k for p in ps for k in p["acquisition"]))
        self.acq_cdf_p = _mix([p["acquisition"] for p in ps], self.acq_vocab)
        self.incident_cdf = _cdf([p["incident_mix"] for p in ps])
        self.funnel = np.array([[p["funnel"][k] for k in _FUNNEL_STEPS] for p in ps])
        self.uplift = np.array([[P.UPLIFT[n][k] for k in P.KINDS] for n in P.NAMES])
        self.geo_cdf = _cdf([[g[2] for g in P.GEO], [g[3] for g in P.GEO]])
        self.severity_cdf = _cdf([P.INCIDENTS["severity"][k] for k in P.INCIDENT_KINDS[:3]])
        self.resolve_p = np.array([P.INCIDENTS["resolved"][k] for k in P.INCIDENT_KINDS[:3]] + [1])
        self.survey_means = np.array(
            [[c["means"][n] for n in P.NAMES] for c in P.CONCEPTS.values()], float
        )
        self.survey_step = np.array([c["step"] for c in P.CONCEPTS.values()])

    def _catalogue(self) -> None:
        names, cats, price = zip(*P.PRODUCTS, strict=True)
        self.price = np.array(price, float)
        self.cost = np.round(self.price * self.rng.uniform(0.35, 0.65, len(price)), 2)
        cat = np.array([P.CATEGORIES.index(c) for c in cats])
        weights = []
        for name, el in zip(P.NAMES, self.elasticity, strict=True):
            cat_w = np.array([P.PERSONAS[name]["categories"].get(c, 0.0) for c in P.CATEGORIES])
            within = self.price**-el
            within /= np.bincount(cat, within)[cat]
            weights.append(cat_w[cat] * within)
        self.prod_p = np.array(weights) / np.sum(weights, axis=1, keepdims=True)
        self.prod_cdf = _cdf(self.prod_p)
        mean_price = self.prod_p @ self.price * (1 - self.disc.mean(axis=1))
        self.unit_revenue, self.unit_margin = mean_price, mean_price - self.prod_p @ self.cost
        ids = [f"P{i:03d}" for i in range(1, len(names) + 1)]
        concepts = list(P.CONCEPTS.items())
        self.products = _frame(
            "products",
            {
                "product_id": ids + [k for k, _ in concepts],
                "name": list(names) + [c["name"] for _, c in concepts],
                "category": list(cats) + [c["category"] for _, c in concepts],
                "unit_cost": np.concatenate([self.cost, [c["unit_cost"] for _, c in concepts]]),
                "list_price": np.concatenate([self.price, np.full(len(concepts), np.nan)]),
            },
        )
        self.product_ids, self.product_cats = pa.array(ids), pa.array(cats)

    def _plan(self) -> None:
        """Campaign schedule: the plan mapped onto the history, keeping sends apart."""
        lo, hi = (pd.Timestamp(d) for d in P.PLAN_CALENDAR)
        last = self.days - 1 - (P.ATTRIBUTION_WINDOW_DAYS + P.INDUCED_DELAY_DAYS[1])
        self.camps, prev = [], -(10**9)
        for label, kind, date, audience, control in P.CAMPAIGN_PLAN:
            send = round((pd.Timestamp(date) - lo) / (hi - lo) * (self.days - 1))
            if send < 14 or send > last or send - prev < P.MIN_CAMPAIGN_GAP_DAYS:
                continue
            prev = send
            when = self.start + pd.Timedelta(days=send)
            self.camps.append(
                dict(
                    id=f"CMP{len(self.camps) + 1:02d}",
                    name=f"{label} {when:%Y-%m}",
                    kind=kind,
                    k=P.KINDS.index(kind),
                    send=send,
                    end=send + P.KIND_DURATION_DAYS[kind],
                    personas=np.array([P.NAMES.index(n) for n in P.AUDIENCES[audience]]),
                    reach=P.KIND_REACH[kind],
                    control=control,
                    fixed=P.KIND_FIXED_COST[kind],
                )
            )
        c = self.camps
        self.campaigns_table = _frame(
            "campaigns",
            {
                "campaign_id": [x["id"] for x in c],
                "name": [x["name"] for x in c],
                "kind": [x["kind"] for x in c],
                "channel": [P.KIND_CHANNEL[x["kind"]] for x in c],
                "start_date": self._dt([x["send"] for x in c]),
                "end_date": self._dt([x["end"] for x in c]),
                "fixed_cost": [x["fixed"] for x in c],
                "cost_per_contact": [P.KIND_COST[x["kind"]] for x in c],
            },
        )

    def _dt(self, days) -> np.ndarray:
        """Day offsets from `start` (fractions = time of day, NaN = missing) to datetime64[ns]."""
        days = np.asarray(days, float)
        out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = ~np.isnan(days)
        out[ok] = self.start64 + np.round(days[ok] * 86400).astype("int64").astype("timedelta64[s]")
        return out

    def truth(self) -> dict:
        """The planted truth, complete once every chunk has been generated."""
        return P.build_truth(self)


def _frame(name: str, data: dict) -> pd.DataFrame:
    """A contract table with its canonical columns, in contract order and dtypes."""
    out = {}
    for col in CONTRACT[name].columns:
        if col.name in data:
            out[col.name] = _as_dtype(data[col.name], DTYPES[col.dtype])
    return pd.DataFrame(out)


def _as_dtype(values, dtype: str):
    if isinstance(values, pa.Array):
        return pd.array(values, dtype=dtype)
    if dtype == "boolean":
        x = np.asarray(values, float)
        return pd.arrays.BooleanArray(x == 1, np.isnan(x))
    if dtype == "Int64":
        x = np.asarray(values, float)
        return pd.arrays.IntegerArray(np.nan_to_num(x).astype("int64"), np.isnan(x))
    if dtype == "str":
        return pd.array(np.asarray(values, dtype=object), dtype="str")
    return np.asarray(values).astype(dtype)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as ``C000042``: `prefix` and the number zero-padded to `width`."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, "int64")).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(vocabulary, index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``vocabulary[index]`` as an Arrow string array (null where `missing`), without objects."""
    if not isinstance(vocabulary, pa.Array):
        vocabulary = pa.array(list(vocabulary), pa.string())
    return vocabulary.take(pa.array(np.asarray(index, "int64"), mask=missing))


def _chunk_size(chunk_customers: int) -> int:
    """`chunk_customers` rounded up to a whole number of random-stream blocks."""
    return max(_BLOCK, -(-int(chunk_customers) // _BLOCK) * _BLOCK)


def _chunks(world: _World, chunk_customers: int):
    """Yield the per-customer tables chunk by chunk (dict of DataFrames)."""
    size = _chunk_size(chunk_customers)
    for lo in range(0, world.n, size):
        n = min(size, world.n - lo)
        log.info("generating customers %d-%d of %d", lo + 1, lo + n, world.n)
        yield _chunk(world, lo, n)


def _chunk(w: _World, lo: int, n: int) -> dict[str, pd.DataFrame]:
    """Generate customers ``lo .. lo + n - 1`` (``lo`` a multiple of `_BLOCK`) and their rows."""
    st = _Streams(w.seed, lo // _BLOCK, -(-n // _BLOCK))
    blk = np.arange(n) // _BLOCK
    c = _people(w, st, blk)
    inc = _incidents(w, st, c, blk)
    contacts, induced = _campaigns(w, st, c, blk)
    heads = _order_heads(w, st, c, blk, induced)
    lines = _lines(w, st, c, *heads)
    survey = _survey(w, st, c, blk)
    ids = _ids("C", lo + 1 + np.arange(n), w.width)
    _tally(w, c, heads, lines, survey)
    return {
        "customers": _customer_table(w, c, ids),
        "orders": _order_table(w, ids, heads, lines),
        "campaign_contacts": _contact_table(w, ids, contacts),
        "incidents": _incident_table(w, ids, inc),
        "price_survey": _survey_table(w, lo, ids, survey),
        "customers_truth": _truth_table(w, c, ids),
    }


def _people(w: _World, st: _Streams, blk: np.ndarray) -> dict[str, np.ndarray]:
    """Persona, planted behaviour and acquisition of each customer."""
    u = st.draw(blk, "random", cols=20)
    z = st.draw(blk, "standard_normal")
    e = st.draw(blk, "standard_exponential")
    g = st.draw(blk, "standard_gamma", _RATE_SHAPE)
    p = _pick(w.persona_cdf, 0, u[:, 0])
    c = {"u": u, "persona": p, "company": w.company[p], "rate": w.rate[p] * g / _RATE_SHAPE}
    s = w.basket_sigma[p]
    c["mu_q"] = w.qty[p] * np.exp(s * z - s**2 / 2)  # lognormal, mean w.qty
    scale = (1 + w.lines[p]) * (1 + c["mu_q"])
    c["basket"], c["margin"] = scale * w.unit_revenue[p], scale * w.unit_margin[p]
    share, days = _EXISTING_BASE
    acquired = np.where(u[:, 1] < share, np.floor(u[:, 2] * days), _pick(w.acq_cdf, 0, u[:, 2]))
    c["first"] = acquired.astype("int64")
    c["nat_lapse"] = c["first"] + np.floor(e * w.lifetime_years[p] * 365.25).astype("int64")
    c["consent"] = u[:, 3:6] < w.consent[p]
    return c


def _incidents(w: _World, st: _Streams, c: dict, blk: np.ndarray) -> dict[str, np.ndarray]:
    """Service events between first purchase and lapse; bad complaints may trigger the lapse."""
    end = np.minimum(c["nat_lapse"], w.days - 1)
    span = end - c["first"] + 1
    count = st.draw(blk, "poisson", w.incident_rate[c["persona"]] * span / 365.25)
    i = np.repeat(np.arange(len(blk)), count)
    v = st.draw(i // _BLOCK, "random", cols=9)
    day = c["first"][i] + np.floor(v[:, 0] * span[i]).astype("int64")
    kind = _pick(w.incident_cdf, c["persona"][i], v[:, 1])
    sev = np.where(kind == 3, np.nan, 1.0 + _pick(w.severity_cdf, np.minimum(kind, 2), v[:, 2]))
    planned = v[:, 3] < w.resolve_p[kind]
    delay = np.ceil(-np.log1p(-v[:, 4]) * P.INCIDENTS["resolution_days_per_severity"] * sev)
    resolved = np.where(kind == 3, day, np.where(planned, day + delay, np.nan))
    resolved[resolved > w.days - 1] = np.nan
    trigger = (kind == 0) & (~planned | (sev >= 4)) & (v[:, 5] < P.INCIDENTS["trigger_probability"])
    t0, t1 = P.INCIDENTS["trigger_days"]
    lapse = c["nat_lapse"].copy()
    np.minimum.at(
        lapse,
        i[trigger],
        day[trigger] + t0 + np.floor(v[trigger, 6] * (t1 - t0 + 1)).astype("int64"),
    )
    c["lapse"], c["by_incident"] = lapse, lapse < c["nat_lapse"]
    sat = _satisfaction(kind, np.isnan(resolved) & (kind != 3), sev, v[:, 7])
    sat[v[:, 8] < P.INCIDENTS["satisfaction_missing"]] = np.nan
    keep = day <= lapse[i]
    return {
        k: a[keep]
        for k, a in dict(i=i, day=day, kind=kind, sev=sev, resolved=resolved, sat=sat).items()
    }


def _satisfaction(kind, open_, sev, u) -> np.ndarray:
    resolved_mean = np.array([3.8, 3.6, 4.0, 4.7])[kind] - 0.3 * np.nan_to_num(sev - 1) * (
        kind == 0
    )
    mean = np.where(open_, np.array([1.3, 2.0, 2.2, 4.7])[kind], resolved_mean)
    return np.clip(np.round(mean + 2 * (u - 0.5)), 1, 5)


def _campaigns(w: _World, st: _Streams, c: dict, blk: np.ndarray):
    """Contacts of every campaign in send order; induced orders of treated customers."""
    unsub = np.zeros(len(blk), bool)
    contacts, induced = [], []
    for j, camp in enumerate(w.camps):
        u = st.draw(blk, "random", cols=16)
        sel, tgt = _targets(camp, c, u, unsub)
        alive = c["lapse"] > camp["send"]
        ui = w.uplift[c["persona"], camp["k"]] * alive
        ind = tgt & (u[:, 2] < ui)
        ind_day = (
            camp["send"]
            + 1
            + np.floor(u[:, 3] * np.minimum(P.INDUCED_DELAY_DAYS[1], c["lapse"] - camp["send"]))
        )
        flags, times = _funnel(w, camp, c["persona"], tgt, ind, ind_day, u)
        unsub |= flags["unsubscribed"] == 1
        rows = np.flatnonzero(sel)
        contacts.append(
            dict(
                i=rows,
                j=np.full(len(rows), j),
                tgt=tgt[rows],
                **{k: v[rows] for k, v in {**flags, **times}.items()},
            )
        )
        induced.append(np.stack([np.flatnonzero(ind), ind_day[ind], np.full(ind.sum(), j)], 1))
        end = np.minimum(
            np.minimum(camp["send"] + P.ATTRIBUTION_WINDOW_DAYS, c["lapse"]), w.days - 1
        )
        mass = np.where(end > camp["send"], w.cum[end + 1] - w.cum[camp["send"] + 1], 0.0)
        p0 = np.exp(-c["rate"] / 365.25 * mass)
        w.tally["camp"][j] += [
            tgt.sum(),
            (sel & ~tgt).sum(),
            (tgt & alive).sum(),
            (ui * p0)[tgt].sum(),
            (ui * c["basket"])[tgt].sum(),
            (ui * c["margin"])[tgt].sum(),
            ind.sum(),
        ]
    return contacts, np.concatenate(induced).astype("int64")


def _targets(camp: dict, c: dict, u: np.ndarray, unsub: np.ndarray):
    """Selected (target + control) and target masks of one campaign."""
    consent = {
        "email": c["consent"][:, 0],
        "online": c["consent"][:, 0],
        "post": c["consent"][:, 2],
        "event": c["consent"][:, 0] | c["consent"][:, 1],
    }[P.KIND_CHANNEL[camp["kind"]]]
    if camp["kind"] in _EMAIL_KINDS:
        consent = consent & ~unsub
    eligible = np.isin(c["persona"], camp["personas"]) & (c["first"] < camp["send"]) & consent
    sel = eligible & (u[:, 0] < camp["reach"])
    control = sel & (u[:, 1] < P.CONTROL_SHARE) if camp["control"] else np.zeros_like(sel)
    return sel, sel & ~control


def _funnel(w: _World, camp: dict, p: np.ndarray, tgt, ind, ind_day, u):
    """Funnel flags (1/0/NaN) and timestamps (fractional days) of one campaign's contacts."""
    f = w.funnel[p]
    none = np.full(len(p), np.nan)
    delivered = tgt & ((u[:, 4] < f[:, 0]) | ind)
    flags = dict(
        sent=tgt,
        delivered=delivered,
        responded=ind | (delivered & (u[:, 10] < f[:, 5])),
        attended=delivered & ((u[:, 9] < f[:, 4]) | ind) if camp["kind"] in _EVENT_KINDS else none,
    )
    if camp["kind"] in _EMAIL_KINDS:
        opened = delivered & ((u[:, 5] < f[:, 1]) | ind)
        flags.update(
            bounced=tgt & ~delivered,
            undeliverable=none,
            opened=opened,
            clicked=opened & ((u[:, 6] < f[:, 2]) | (ind & (u[:, 7] < 0.8))),
            unsubscribed=delivered & ~ind & (u[:, 8] < f[:, 3]),
        )
    else:
        flags.update(
            bounced=none,
            undeliverable=tgt & ~delivered,
            opened=none,
            clicked=none,
            unsubscribed=none,
        )
    flags = {
        k: np.where(tgt, np.asarray(v, float), 0.0 if k == "sent" else np.nan)
        for k, v in flags.items()
    }
    sent = np.where(tgt, camp["send"] + (8 + 2 * u[:, 11]) / 24, np.nan)
    opened_at = np.where(flags["opened"] == 1, sent + 0.5 * u[:, 12] ** 2, np.nan)
    response = np.where(ind, ind_day + (10 + 8 * u[:, 14]) / 24, camp["send"] + 1 + 13 * u[:, 14])
    times = dict(
        sent_at=sent,
        opened_at=opened_at,
        clicked_at=np.where(flags["clicked"] == 1, opened_at + (2 + 60 * u[:, 13]) / 1440, np.nan),
        responded_at=np.where(flags["responded"] == 1, response, np.nan),
    )
    return flags, times


def _order_heads(w: _World, st: _Streams, c: dict, blk: np.ndarray, induced: np.ndarray):
    """Orders (customer, day, source) sorted by customer and day: the first purchase, the
    thinned seasonal Poisson process up to the lapse, and campaign-induced orders."""
    n = len(blk)
    span = np.minimum(c["lapse"], w.days - 1) - c["first"] + 1
    count = st.draw(blk, "poisson", c["rate"] / 365.25 * w.smax * span)
    cand = np.repeat(np.arange(n), count)
    v = st.draw(cand // _BLOCK, "random", cols=2)
    day = c["first"][cand] + np.floor(v[:, 0] * span[cand]).astype("int64")
    keep = v[:, 1] * w.smax < w.season[day]
    cust = np.concatenate([np.arange(n), cand[keep], induced[:, 0]])
    day = np.concatenate([c["first"], day[keep], induced[:, 1]])
    src = np.concatenate([np.zeros(n), np.ones(keep.sum()), 2 + induced[:, 2]]).astype("int64")
    order = np.lexsort((src, day, cust))
    return cust[order], day[order], src[order]


def _lines(w: _World, st: _Streams, c: dict, cust, day, src) -> dict[str, np.ndarray]:
    """Order lines (products, quantities, prices), free samples and later return lines."""
    ob, p = cust // _BLOCK, c["persona"][cust]
    v = st.draw(ob, "random", cols=4)
    o = np.repeat(np.arange(len(cust)), 1 + st.draw(ob, "poisson", w.lines[p]))
    prod = _pick(w.prod_cdf, p[o], st.draw(cust[o] // _BLOCK, "random"))
    qty = 1.0 + st.draw(cust[o] // _BLOCK, "poisson", c["mu_q"][cust[o]])
    key, inverse = np.unique(o * len(w.price) + prod, return_inverse=True)  # one line per product
    o, prod, qty = key // len(w.price), key % len(w.price), np.bincount(inverse, qty)
    lc = cust[o]
    x = st.draw(lc // _BLOCK, "random", cols=4)
    disc = w.disc[p, 0] + v[:, 3] * (w.disc[p, 1] - w.disc[p, 0])  # one discount per order
    induced = src[o] >= 2
    free = (x[:, 0] < _FREE_SHARE) & ~induced
    price = np.where(free, 0.0, np.round(w.price[prod] * (1 - disc[o]), 2))
    ret_day = day[o] + 2 + np.floor(x[:, 2] * 19).astype("int64")
    ret = (
        (x[:, 1] < _RETURN_SHARE)
        & ~induced
        & ~free
        & (ret_day <= np.minimum(c["lapse"][lc], w.days - 1))
    )
    r = np.flatnonzero(ret)
    line = dict(
        order=np.concatenate([o, o[r]]),
        day=np.concatenate([day[o], ret_day[r]]),
        prod=np.concatenate([prod, prod[r]]),
        price=np.concatenate([price, price[r]]),
        qty=np.concatenate([qty, -(1 + np.floor(x[r, 3] * qty[r]))]),
        is_return=np.concatenate([np.zeros(len(o), bool), np.ones(len(r), bool)]),
    )
    line["cust"] = cust[line["order"]]
    pos = np.arange(len(line["order"]))
    sort = np.lexsort((pos, line["is_return"], line["order"], line["day"], line["cust"]))
    line = {k: a[sort] for k, a in line.items()}
    line["head"] = dict(
        channel=_pick(w.channel_cdf, p, v[:, 0]),
        payment=_pick(w.payment_cdf, p, v[:, 1]),
        delivery=_pick(w.delivery_cdf, p, v[:, 2]),
    )
    return line


def _survey(w: _World, st: _Streams, c: dict, blk: np.ndarray) -> dict[str, np.ndarray]:
    """Van Westendorp answers of the sampled customers, one row per concept."""
    r = np.flatnonzero(c["u"][:, 18] < w.survey_rate[c["persona"]])
    cust, concept = np.repeat(r, 2), np.tile([0, 1], len(r))
    p, rb = c["persona"][cust], np.repeat(r, 2) // _BLOCK
    z = st.draw(rb, "standard_normal", cols=5)
    x = st.draw(rb, "random")
    k, lk = P.SURVEY["likelihood_concentration"], w.likelihood[p]
    likes = [st.draw(rb, "beta", lk[:, q] * k, (1 - lk[:, q]) * k) for q in (0, 1)]
    rho = P.SURVEY["rho"]
    eps = rho * z[:, :1] + np.sqrt(1 - rho**2) * z[:, 1:]
    step = w.survey_step[concept][:, None]
    val = w.survey_means[concept, p] * (1 + P.SURVEY["cv"] * eps)
    val = np.maximum(step, np.round(val / step) * step)
    swap = x < P.SURVEY["non_monotone_share"]
    val[swap] = val[swap][:, [0, 2, 1, 3]]
    return dict(
        cust=cust,
        concept=concept,
        persona=p,
        val=val,
        swap=swap,
        like=np.round(np.stack(likes, 1), 1),
        non_monotone=~np.all(np.diff(val, axis=1) > 0, axis=1),
    )


def _tally(w: _World, c: dict, heads, lines: dict, survey: dict) -> None:
    """Add this chunk's counts to the world's tallies (the truth is built from them)."""
    lapsed = c["lapse"] <= w.days - 1
    cols = [np.ones_like(lapsed), lapsed, c["lapse"] <= w.days - 1 - 180, lapsed & c["by_incident"]]
    counts = [np.bincount(c["persona"], col, minlength=len(P.NAMES)) for col in cols]
    counts.append(np.bincount(c["persona"][heads[0]], minlength=len(P.NAMES)))
    for mask in (~lines["is_return"], lines["is_return"]):
        counts.append(np.bincount(c["persona"][lines["cust"][mask]], minlength=len(P.NAMES)))
    counts.append(np.bincount(survey["persona"], minlength=len(P.NAMES)) / 2)
    w.tally["persona"] += np.stack(counts, axis=1)
    w.tally["survey"] += [len(survey["cust"]), survey["non_monotone"].sum(), survey["swap"].sum()]


def _customer_table(w: _World, c: dict, ids: pa.Array) -> pd.DataFrame:
    u, p, comp = c["u"], c["persona"], c["company"]
    gender = _pick(w.gender_cdf, p, u[:, 6])
    age = w.ages[p, 0] + u[:, 7] * (w.ages[p, 1] - w.ages[p, 0] + 1)
    geo = _pick(w.geo_cdf, comp.astype(int), u[:, 8])
    rep = np.where(comp & (geo == 0), P.KEY_ACCOUNT_REP, np.array([g[4] for g in P.GEO])[geo])
    first_names = np.array([P.FIRST_NAMES[g] for g in "FMX"], object)
    last = np.array(P.LAST_NAMES, object)[(u[:, 10] * len(P.LAST_NAMES)).astype(int)]
    suffix = np.array(P.COMPANY_SUFFIXES, object)[(u[:, 11] * len(P.COMPANY_SUFFIXES)).astype(int)]
    person = first_names[gender, (u[:, 9] * first_names.shape[1]).astype(int)] + " " + last
    lead = np.floor(-np.log1p(-u[:, 17]) * np.where(comp, 60, 20))
    share0, mean = w.network[p, 1], w.network[p, 0]
    network = np.where(
        u[:, 14] < share0, 0.0, np.round(-np.log1p(-u[:, 15]) * mean / (1 - share0), 2)
    )
    birth = np.where(comp | (u[:, 16] >= _BIRTH_KNOWN), np.nan, w.days - 1 - age * 365.25)
    return _frame(
        "customers",
        dict(
            customer_id=ids,
            kind=np.where(comp, "company", "person"),
            name=np.where(comp, last + " " + suffix, person),
            gender=_take("FMX", gender, comp),
            birth_date=w._dt(np.floor(birth)),
            age=np.where(comp, np.nan, np.floor(age)),
            country=_take([g[0] for g in P.GEO], geo),
            city=_take([g[1] for g in P.GEO], geo),
            sector=_take(P.SECTORS, u[:, 9] * len(P.SECTORS), ~comp),
            first_contact_date=w._dt(np.maximum(0, c["first"] - lead)),
            signature_date=w._dt(c["first"]),
            acquisition_channel=_take(w.acq_vocab, _pick(w.acq_cdf_p, p, u[:, 12])),
            sales_rep=_take(P.REPS, rep),
            newsletter_subscribed=u[:, 13] < w.newsletter[p],
            network_score=network,
            consent_email=c["consent"][:, 0],
            consent_phone=c["consent"][:, 1],
            consent_mail=c["consent"][:, 2],
        ),
    )


def _order_table(w: _World, ids: pa.Array, heads, line: dict) -> pd.DataFrame:
    cust, _, _ = heads
    order_no = w.next["order"] + line["order"]
    line_no = w.next["line"] + np.arange(len(line["order"]))
    w.next["order"] += len(cust)
    w.next["line"] += len(line_no)
    h, o = line["head"], line["order"]
    store = h["channel"] == P.CHANNELS.index("store")
    cash = h["payment"] == P.PAYMENTS.index("cash")
    payment = np.where(cash & ~store, P.PAYMENTS.index("card"), h["payment"])
    delivery = np.where(store, len(P.DELIVERIES), h["delivery"])
    return _frame(
        "orders",
        dict(
            order_id=_ids("O", order_no, 7),
            line_id=_ids("L", line_no, 8),
            customer_id=ids.take(line["cust"]),
            order_date=w._dt(line["day"]),
            amount=np.round(line["qty"] * line["price"], 2),
            quantity=line["qty"],
            unit_price=line["price"],
            product_id=_take(w.product_ids, line["prod"]),
            category=_take(w.product_cats, line["prod"]),
            channel=_take(P.CHANNELS, h["channel"][o]),
            payment_method=_take(P.PAYMENTS, payment[o]),
            delivery_mode=_take((*P.DELIVERIES, "store"), delivery[o]),
        ),
    )


def _contact_table(w: _World, ids: pa.Array, contacts: list[dict]) -> pd.DataFrame:
    cols = {k: np.concatenate([x[k] for x in contacts]) for k in contacts[0]}
    order = np.lexsort((cols["j"], cols["i"]))
    cols = {k: v[order] for k, v in cols.items()}
    data = {k: v for k, v in cols.items() if k not in ("i", "j", "tgt")}
    for k in ("sent_at", "opened_at", "clicked_at", "responded_at"):
        data[k] = w._dt(data[k])
    return _frame(
        "campaign_contacts",
        dict(
            campaign_id=_take([x["id"] for x in w.camps], cols["j"]),
            customer_id=ids.take(cols["i"]),
            group=_take(("control", "target"), cols["tgt"]),
            **data,
        ),
    )


def _incident_table(w: _World, ids: pa.Array, inc: dict) -> pd.DataFrame:
    number = w.next["incident"] + np.arange(len(inc["i"]))
    w.next["incident"] += len(number)
    return _frame(
        "incidents",
        dict(
            incident_id=_ids("I", number, 7),
            customer_id=ids.take(inc["i"]),
            date=w._dt(inc["day"]),
            kind=_take(P.INCIDENT_KINDS, inc["kind"]),
            severity=inc["sev"],
            resolved_date=w._dt(inc["resolved"]),
            satisfaction=inc["sat"],
        ),
    )


def _survey_table(w: _World, lo: int, ids: pa.Array, s: dict) -> pd.DataFrame:
    base = float(np.dot(w.persona_cdf[0] - np.r_[0, w.persona_cdf[0, :-1]], w.survey_rate))
    return _frame(
        "price_survey",
        dict(
            respondent_id=_ids("R", lo + 1 + s["cust"], w.width),
            customer_id=ids.take(s["cust"]),
            product_id=_take(list(P.CONCEPTS), s["concept"]),
            category=_take([c["category"] for c in P.CONCEPTS.values()], s["concept"]),
            **{q: s["val"][:, k] for k, q in enumerate(P.QUESTIONS)},
            likelihood_cheap=s["like"][:, 0],
            likelihood_expensive=s["like"][:, 1],
            weight=np.round(base / w.survey_rate[s["persona"]], 6),
        ),
    )


def _truth_table(w: _World, c: dict, ids: pa.Array) -> pd.DataFrame:
    lapsed = c["lapse"] <= w.days - 1
    cause = np.where(c["by_incident"], "incident", "natural")
    data = dict(
        customer_id=ids,
        persona=_take(P.NAMES, c["persona"]),
        first_purchase_date=w._dt(c["first"]),
        lapse_date=w._dt(np.where(lapsed, c["lapse"], np.nan)),
        lapse_cause=np.where(lapsed, cause, None),
        purchase_rate_per_year=c["rate"],
        mean_basket=c["basket"],
        mean_order_margin=c["margin"],
        mean_discount=w.disc[c["persona"]].mean(axis=1),
    )
    return pd.DataFrame({k: _as_dtype(v, _TRUTH_COLUMNS[k]) for k, v in data.items()})
