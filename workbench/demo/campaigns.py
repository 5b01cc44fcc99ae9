"""Campaigns of the demo company: the plan, its sends, randomised control groups and uplift.

Private to :mod:`workbench.demo`. A treated customer alive at the send places an induced
order 1-14 days later with probability ``UPLIFT[persona][kind]``; every contact gets a funnel
(delivered, opened, clicked...) drawn from the persona's rates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.demo.draws import Streams
from workbench.demo.personas import NAMES
from workbench.demo.tables import frame, take

if TYPE_CHECKING:
    from workbench.demo.world import World

KINDS = ("emailing", "mailing", "breakfast", "trade_show", "webinar", "samples")
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
FUNNEL_STEPS = ("delivered", "opened", "clicked", "unsubscribed", "attended", "responded")
_EMAIL_KINDS = ("emailing", "breakfast", "trade_show", "webinar")
_EVENT_KINDS = ("breakfast", "trade_show", "webinar")


def plan(w: World) -> tuple[list[dict], pd.DataFrame]:
    """Campaign schedule: the plan mapped onto the history, keeping sends apart.

    Returns the campaigns (dicts with day offsets ``send`` and ``end``, persona indices...)
    and the ``campaigns`` table.
    """
    lo, hi = (pd.Timestamp(d) for d in PLAN_CALENDAR)
    last = w.days - 1 - (ATTRIBUTION_WINDOW_DAYS + INDUCED_DELAY_DAYS[1])
    camps, prev = [], -(10**9)
    for label, kind, date, audience, control in CAMPAIGN_PLAN:
        send = round((pd.Timestamp(date) - lo) / (hi - lo) * (w.days - 1))
        if send < 14 or send > last or send - prev < MIN_CAMPAIGN_GAP_DAYS:
            continue
        prev = send
        when = w.start + pd.Timedelta(days=send)
        camps.append(
            dict(
                id=f"CMP{len(camps) + 1:02d}",
                name=f"{label} {when:%Y-%m}",
                kind=kind,
                k=KINDS.index(kind),
                send=send,
                end=send + KIND_DURATION_DAYS[kind],
                personas=np.array([NAMES.index(n) for n in AUDIENCES[audience]]),
                reach=KIND_REACH[kind],
                control=control,
                fixed=KIND_FIXED_COST[kind],
            )
        )
    table = frame(
        "campaigns",
        {
            "campaign_id": [x["id"] for x in camps],
            "name": [x["name"] for x in camps],
            "kind": [x["kind"] for x in camps],
            "channel": [KIND_CHANNEL[x["kind"]] for x in camps],
            "start_date": w.dates([x["send"] for x in camps]),
            "end_date": w.dates([x["end"] for x in camps]),
            "fixed_cost": [x["fixed"] for x in camps],
            "cost_per_contact": [KIND_COST[x["kind"]] for x in camps],
        },
    )
    return camps, table


def send_campaigns(w: World, st: Streams, c: dict, blk: np.ndarray):
    """Contacts of every campaign in send order; induced orders of treated customers.

    Returns the contacts (one dict of arrays per campaign) and the induced orders as rows
    ``(customer, day, campaign)``; adds each campaign's expected effects to ``w.tally``.
    """
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
            + np.floor(u[:, 3] * np.minimum(INDUCED_DELAY_DAYS[1], c["lapse"] - camp["send"]))
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
        w.tally["camp"][j] += _expected(w, camp, c, sel, tgt, alive, ui, ind)
    return contacts, np.concatenate(induced).astype("int64")


def _expected(w: World, camp: dict, c: dict, sel, tgt, alive, ui, ind) -> list:
    """Tally row of one campaign: targets, controls, targets alive, expected incremental
    conversions, revenue and margin, induced orders."""
    end = np.minimum(np.minimum(camp["send"] + ATTRIBUTION_WINDOW_DAYS, c["lapse"]), w.days - 1)
    mass = np.where(end > camp["send"], w.cum[end + 1] - w.cum[camp["send"] + 1], 0.0)
    p0 = np.exp(-c["rate"] / 365.25 * mass)  # P(no baseline order in the window)
    return [
        tgt.sum(),
        (sel & ~tgt).sum(),
        (tgt & alive).sum(),
        (ui * p0)[tgt].sum(),
        (ui * c["basket"])[tgt].sum(),
        (ui * c["margin"])[tgt].sum(),
        ind.sum(),
    ]


def _targets(camp: dict, c: dict, u: np.ndarray, unsub: np.ndarray):
    """Selected (target + control) and target masks of one campaign."""
    consent = {
        "email": c["consent"][:, 0],
        "online": c["consent"][:, 0],
        "post": c["consent"][:, 2],
        "event": c["consent"][:, 0] | c["consent"][:, 1],
    }[KIND_CHANNEL[camp["kind"]]]
    if camp["kind"] in _EMAIL_KINDS:
        consent = consent & ~unsub
    eligible = np.isin(c["persona"], camp["personas"]) & (c["first"] < camp["send"]) & consent
    sel = eligible & (u[:, 0] < camp["reach"])
    control = sel & (u[:, 1] < CONTROL_SHARE) if camp["control"] else np.zeros_like(sel)
    return sel, sel & ~control


def _funnel(w: World, camp: dict, p: np.ndarray, tgt, ind, ind_day, u):
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
    return flags, _funnel_times(camp, flags, tgt, ind, ind_day, u)


def _funnel_times(camp: dict, flags: dict, tgt, ind, ind_day, u) -> dict[str, np.ndarray]:
    """Sent, opened, clicked and responded timestamps (fractional days; NaN when not done)."""
    sent = np.where(tgt, camp["send"] + (8 + 2 * u[:, 11]) / 24, np.nan)
    opened_at = np.where(flags["opened"] == 1, sent + 0.5 * u[:, 12] ** 2, np.nan)
    response = np.where(ind, ind_day + (10 + 8 * u[:, 14]) / 24, camp["send"] + 1 + 13 * u[:, 14])
    return dict(
        sent_at=sent,
        opened_at=opened_at,
        clicked_at=np.where(flags["clicked"] == 1, opened_at + (2 + 60 * u[:, 13]) / 1440, np.nan),
        responded_at=np.where(flags["responded"] == 1, response, np.nan),
    )


def contact_table(w: World, ids: pa.Array, contacts: list[dict]) -> pd.DataFrame:
    """The ``campaign_contacts`` rows of a chunk, sorted by customer and campaign."""
    cols = {k: np.concatenate([x[k] for x in contacts]) for k in contacts[0]}
    order = np.lexsort((cols["j"], cols["i"]))
    cols = {k: v[order] for k, v in cols.items()}
    data = {k: v for k, v in cols.items() if k not in ("i", "j", "tgt")}
    for k in ("sent_at", "opened_at", "clicked_at", "responded_at"):
        data[k] = w.dates(data[k])
    return frame(
        "campaign_contacts",
        dict(
            campaign_id=take([x["id"] for x in w.camps], cols["j"]),
            customer_id=ids.take(cols["i"]),
            group=take(("control", "target"), cols["tgt"]),
            **data,
        ),
    )
