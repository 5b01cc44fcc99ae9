"""Journeys in the engine: every customer's touches cut into journeys, each ending at a purchase.

A **journey** is a customer's sequence of touches (``interactions``) up to a purchase, or up to
a silence longer than ``session_gap_days``, or up to ``as_of``. Its **path** is the channels of
its touches in order (``web > email``); it **converted** when a purchase ends it. A journey
whose last touch is less than ``session_gap_days`` before ``as_of`` is **open**: it may still
end in a purchase, so it counts in no conversion rate. A purchase with no touch before it (since
the previous purchase or silence) is a journey with the path ``(no recorded touch)``.

Purchases are the orders with at least one line of positive amount, dated by ``order_date``; a
touch on the purchase day comes before it (orders carry a day, touches a time).
"""

from __future__ import annotations

import ibis
import pandas as pd

__all__ = ["NO_TOUCH", "journey_events", "journeys", "transitions"]

NO_TOUCH = "(no recorded touch)"
PURCHASE = "(purchase)"


def _purchases(orders, as_of):
    bought = orders.filter(orders.amount > 0)
    heads = bought.group_by(["customer_id", "order_id"] if "order_id" in orders.columns
                            else ["customer_id", "order_date"]).aggregate(day=bought.order_date.min())
    end_of_day = heads.day.cast("date").cast("timestamp") + ibis.interval(days=1) \
        - ibis.interval(seconds=1)
    out = heads.select(customer_id=heads.customer_id.cast("string"), ts=end_of_day,
                       channel=ibis.literal(PURCHASE), is_purchase=ibis.literal(True))
    return out.filter(out.ts < ibis.literal(pd.Timestamp(as_of) + pd.Timedelta(days=1)))


def journey_events(interactions, orders, *, as_of, session_gap_days: int = 30):
    """Touches and purchases, each with its customer's journey number (an Ibis table).

    Columns: customer_id, ts, channel, is_purchase, journey (1, 2... per customer), step
    (position of a touch in its journey, from 1), converted and open (of its journey).
    """
    if session_gap_days < 1:
        raise ValueError(f"session_gap_days={session_gap_days!r}: at least 1 day")
    limit = ibis.literal(pd.Timestamp(as_of) + pd.Timedelta(days=1))
    touches = interactions.filter(interactions.timestamp < limit)
    touches = touches.select(customer_id=touches.customer_id.cast("string"),
                             ts=touches.timestamp.cast("timestamp"),
                             channel=touches.channel.cast("string"),
                             is_purchase=ibis.literal(False))
    events = touches.union(_purchases(orders, as_of))
    w = ibis.window(group_by="customer_id", order_by=["ts", "is_purchase"])
    events = events.mutate(prev_ts=events.ts.lag().over(w),
                           prev_purchase=events.is_purchase.lag().over(w))
    silence = events.prev_ts + ibis.interval(days=session_gap_days) < events.ts
    starts = events.prev_ts.isnull() | events.prev_purchase | silence
    events = events.mutate(new=starts.cast("int64"))
    events = events.mutate(journey=events.new.sum().over(
        ibis.window(group_by="customer_id", order_by=["ts", "is_purchase"], rows=(None, 0))))
    wj = ibis.window(group_by=["customer_id", "journey"], order_by=["ts", "is_purchase"],
                     rows=(None, 0))
    events = events.mutate(step=(~events.is_purchase).cast("int64").sum().over(wj))
    whole = ibis.window(group_by=["customer_id", "journey"])
    cutoff = ibis.literal(pd.Timestamp(as_of) + pd.Timedelta(days=1 - session_gap_days))
    events = events.mutate(converted=events.is_purchase.cast("int64").max().over(whole) == 1,
                           last=events.ts.max().over(whole))
    events = events.mutate(open=~events.converted & (events.last >= cutoff))
    return events.select("customer_id", "ts", "channel", "is_purchase", "journey", "step",
                         "converted", "open")


def journeys(events) -> pd.DataFrame:
    """One row per journey: customer_id, journey, path, touches, start, last_touch, purchase
    (its date, when it converted), converted, open, days_to_purchase (first touch to purchase).
    """
    t = events
    touch = ~t.is_purchase
    agg = t.group_by(["customer_id", "journey"]).aggregate(
        path=t.channel.group_concat(" > ", where=touch, order_by=t.ts),
        touches=touch.cast("int64").sum(),
        start=t.ts.min(where=touch),
        last_touch=t.ts.max(where=touch),
        purchase=t.ts.max(where=t.is_purchase),
        converted=t.converted.any(),
        open=t.open.any(),
    )
    out = agg.to_pandas()
    out["path"] = out["path"].fillna(NO_TOUCH).astype("str")
    out["purchase"] = out["purchase"].dt.normalize()
    out["days_to_purchase"] = (out["purchase"] - out["start"]).dt.total_seconds() / 86400
    return out.sort_values(["customer_id", "journey"], ignore_index=True)


def transitions(events) -> pd.DataFrame:
    """Counts of ``from -> to`` moves between states, for the Markov chain (engine side).

    States: ``(start)``, the channels, ``(conversion)`` (the purchase ends the journey) and
    ``(null)`` (the journey ended without one). Open journeys and purchases without a touch
    are left out.
    """
    t = events.filter(~events.open)
    w = ibis.window(group_by=["customer_id", "journey"], order_by=["ts", "is_purchase"])
    moves = t.mutate(nxt=t.channel.lead().over(w), nxt_purchase=t.is_purchase.lead().over(w))
    moves = moves.filter(~moves.is_purchase)
    to = ibis.cases((moves.nxt.isnull(), "(null)"), (moves.nxt_purchase, "(conversion)"),
                    else_=moves.nxt)
    pairs = moves.mutate(frm=moves.channel, to=to)
    first = t.filter((~t.is_purchase) & (t.step == 1)).mutate(frm=ibis.literal("(start)"),
                                                               to=t.channel)
    both = pairs.select("frm", "to").union(first.select("frm", "to"), distinct=False)
    counts = both.group_by(["frm", "to"]).aggregate(n=both.count()).to_pandas()
    return counts.rename(columns={"frm": "from"}).sort_values(["from", "to"], ignore_index=True)
