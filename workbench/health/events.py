"""The dated events that move a customer's tolerance capital (private to :mod:`workbench.health`).

Orders give the first purchase, later purchase days and return days; incidents give praise,
incidents, complaints (severe or not), their resolution or lack of it, and the satisfaction
with how they were handled; campaign contacts give over-contacts and unsubscriptions. Every
event is dated; nothing after ``as_of`` is used (such rows are counted in ``attrs``).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from workbench.health.points import EVENT_ORDER, CapitalRules

__all__ = ["capital_events", "EVENT_COLUMNS"]

logger = logging.getLogger(__name__)

EVENT_COLUMNS = ["customer_id", "date", "event", "source", "ref", "detail"]


def _tables(source, *, orders: bool = True) -> dict[str, pd.DataFrame]:
    """The tables of a CRMData or of a dict of DataFrames, checking that orders are there
    (unless ``orders=False``: the contact history needs none)."""
    from workbench.data.dataset import CRMData

    if isinstance(source, CRMData):
        if orders:
            source.require("orders", purpose="the tolerance capital")
        return {n: source[n] for n in ("orders", "incidents", "campaign_contacts", "campaigns",
                                       "customers") if n in source}
    if isinstance(source, dict):
        if orders and "orders" not in source:
            raise ValueError("the tolerance capital needs an 'orders' table; got "
                             f"{', '.join(source) or 'no table'}")
        return source
    raise TypeError(f"give a CRMData (wb.load) or a dict of tables, not {type(source).__name__}")


def capital_events(source, *, as_of, rules: CapitalRules | None = None) -> pd.DataFrame:
    """Every dated event that moves the tolerance capital, up to ``as_of`` (inclusive).

    Parameters
    ----------
    source : CRMData or dict of DataFrames
        Needs ``orders``; uses ``incidents`` and ``campaign_contacts`` when present (with
        ``campaigns`` to date contacts that have no ``sent_at``).
    as_of : date-like
        Events after this day are left out (counted in ``attrs["after_as_of"]``).
    rules : CapitalRules
        Severity, satisfaction and contact-window rules (defaults if None).

    Returns
    -------
    DataFrame with ``customer_id``, ``date`` (a day), ``event`` (``first_purchase`` or a
    points-table event), ``source`` (table), ``ref`` (order, incident or campaign id) and
    ``detail`` (what happened, in words), sorted by customer, date and event order.
    ``attrs`` holds ``after_as_of`` (rows by table), ``undated`` and ``notes``.
    """
    rules = rules or CapitalRules()
    as_of = pd.Timestamp(as_of).normalize()
    tables = _tables(source)
    info = {"after_as_of": {}, "undated": {}, "notes": []}
    parts = [_order_events(tables["orders"], as_of, info)]
    if "incidents" in tables:
        parts.append(_incident_events(tables["incidents"], as_of, rules, info))
    else:
        info["notes"].append("no incidents table: no complaint, incident, praise or satisfaction event")
    if "campaign_contacts" in tables:
        parts.append(_contact_events(tables["campaign_contacts"], tables.get("campaigns"), as_of,
                                     rules, info))
    else:
        info["notes"].append("no campaign_contacts table: no over-contact or unsubscribe event")
    events = pd.concat([p for p in parts if len(p)], ignore_index=True)
    events = events[events["date"] <= as_of]
    order = pd.Categorical(events["event"], categories=EVENT_ORDER, ordered=True)
    events = events.assign(_o=order.codes).sort_values(["customer_id", "date", "_o"], kind="stable")
    events = events.drop(columns="_o").reset_index(drop=True)[EVENT_COLUMNS]
    events.attrs.update(info, as_of=as_of)
    return events


def _frame(customer_id, date, event, source: str, ref, detail) -> pd.DataFrame:
    n = len(customer_id)
    return pd.DataFrame({
        "customer_id": np.asarray(customer_id, dtype=object).astype(str),
        "date": pd.to_datetime(pd.Series(np.asarray(date))).dt.normalize().to_numpy(),
        "event": np.broadcast_to(np.asarray(event, dtype=object), n),
        "source": source,
        "ref": np.asarray(ref, dtype=object) if ref is not None else None,
        "detail": np.asarray(detail, dtype=object),
    })


def _order_events(orders: pd.DataFrame, as_of: pd.Timestamp, info: dict) -> pd.DataFrame:
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in orders.columns]
    if missing:
        raise ValueError(f"orders lacks {', '.join(missing)}: map them in the mapping file")
    day = pd.to_datetime(orders["order_date"]).dt.normalize()
    late = day > as_of
    info["after_as_of"]["orders"] = int(late.sum())
    o = pd.DataFrame({"customer_id": orders["customer_id"].astype(str), "day": day,
                      "amount": orders["amount"].astype(float),
                      "ref": orders["order_id"].astype(str) if "order_id" in orders else ""})[~late]
    o["buy"] = o["amount"] >= 0
    buys = o[o["buy"]].groupby(["customer_id", "day"], sort=True).agg(
        amount=("amount", "sum"), ref=("ref", "first"), lines=("amount", "size")).reset_index()
    first = ~buys["customer_id"].duplicated()
    rets = o[~o["buy"]].groupby(["customer_id", "day"], sort=True).agg(
        amount=("amount", "sum"), ref=("ref", "first"), lines=("amount", "size")).reset_index()
    return pd.concat([
        _frame(buys["customer_id"], buys["day"], np.where(first, "first_purchase", "purchase"),
               "orders", buys["ref"], buys["lines"].astype(str) + " line(s), "
               + buys["amount"].map("{:.2f}".format).astype(str)),
        _frame(rets["customer_id"], rets["day"], "return", "orders", rets["ref"],
               rets["lines"].astype(str) + " returned line(s), " + rets["amount"].map("{:.2f}".format).astype(str)),
    ], ignore_index=True)


def _incident_events(inc: pd.DataFrame, as_of: pd.Timestamp, rules: CapitalRules,
                     info: dict) -> pd.DataFrame:
    def col(name, default=np.nan):
        return inc[name] if name in inc.columns else pd.Series(default, index=inc.index)

    kind = inc["kind"].astype(str).str.strip().str.lower()
    date = pd.to_datetime(inc["date"]).dt.normalize()
    info["after_as_of"]["incidents"] = int((date > as_of).sum())
    resolved = pd.to_datetime(col("resolved_date", pd.NaT)).dt.normalize()
    sev = pd.to_numeric(col("severity"), errors="coerce")
    sat = pd.to_numeric(col("satisfaction"), errors="coerce")
    ref = col("incident_id", "").astype(str)
    cust = inc["customer_id"].astype(str)
    what = kind + np.where(sev.notna(), " (severity " + sev.astype("Float64").astype(str).str.replace(
        r"\.0$", "", regex=True) + ")", "")
    complaint, praise = kind == "complaint", kind == "praise"
    parts = [
        _frame(cust, date, np.where(praise, "praise", np.where(complaint, "complaint", "incident")),
               "incidents", ref, what),
    ]
    severe = complaint & (sev >= rules.severe_min)
    parts.append(_frame(cust[severe], date[severe], "severe_complaint", "incidents", ref[severe],
                        what[severe]))
    done = complaint & resolved.notna()
    parts.append(_frame(cust[done], resolved[done], "complaint_resolved", "incidents", ref[done],
                        "complaint of " + date[done].dt.strftime("%Y-%m-%d") + " resolved"))
    due = date + pd.Timedelta(days=rules.unresolved_after_days)
    late = complaint & (resolved.isna() | (resolved > due))
    parts.append(_frame(cust[late], due[late], "complaint_unresolved", "incidents", ref[late],
                        "complaint of " + date[late].dt.strftime("%Y-%m-%d") + f" still open after "
                        f"{rules.unresolved_after_days} days"))
    rated = sat.notna() & ~praise
    verdict = np.where(sat >= rules.satisfied_min, "satisfied",
                       np.where(sat <= rules.unsatisfied_max, "unsatisfied", ""))
    keep = rated & (verdict != "")
    when = resolved.where(resolved.notna(), date)  # satisfaction is known once the case is closed
    parts.append(_frame(cust[keep], when[keep], verdict[keep.to_numpy()], "incidents", ref[keep],
                        "satisfaction " + sat[keep].map("{:g}".format).astype(str) + "/5 with " + kind[keep]))
    return pd.concat(parts, ignore_index=True)


def _contact_events(contacts: pd.DataFrame, campaigns, as_of: pd.Timestamp, rules: CapitalRules,
                    info: dict) -> pd.DataFrame:
    c = contacts
    group = c["group"].astype(str).str.strip().str.lower()
    sent = c["sent"].astype("boolean").fillna(True) if "sent" in c else pd.Series(True, index=c.index)
    reached = (group != "control") & sent.astype(bool)
    when = pd.to_datetime(c["sent_at"]) if "sent_at" in c else pd.Series(pd.NaT, index=c.index)
    if campaigns is not None and "start_date" in campaigns:
        start = c["campaign_id"].map(campaigns.set_index("campaign_id")["start_date"])
        when = when.fillna(pd.to_datetime(start))
    when = when.dt.normalize()
    info["undated"]["campaign_contacts"] = int((reached & when.isna()).sum())
    info["after_as_of"]["campaign_contacts"] = int((reached & (when > as_of)).sum())
    keep = reached & when.notna() & (when <= as_of)
    k = pd.DataFrame({"customer_id": c.loc[keep, "customer_id"].astype(str), "day": when[keep],
                      "ref": c.loc[keep, "campaign_id"].astype(str)})
    k = k.sort_values(["customer_id", "day"], kind="stable").reset_index(drop=True)
    n_within = _rolling_count(k["customer_id"], k["day"], rules.contact_window_days)
    over = n_within > rules.max_contacts
    parts = [_frame(k.loc[over, "customer_id"], k.loc[over, "day"], "over_contact", "campaign_contacts",
                    k.loc[over, "ref"], "contact no. " + pd.Series(n_within[over]).astype(str).to_numpy()
                    + f" within {rules.contact_window_days} days")]
    if "unsubscribed" in c:
        unsub = keep & c["unsubscribed"].astype("boolean").fillna(False).astype(bool)
        parts.append(_frame(c.loc[unsub, "customer_id"], when[unsub], "unsubscribe", "campaign_contacts",
                            c.loc[unsub, "campaign_id"], "unsubscribed from campaign " +
                            c.loc[unsub, "campaign_id"].astype(str)))
    return pd.concat(parts, ignore_index=True)


def _rolling_count(customer: pd.Series, day: pd.Series, window: int) -> np.ndarray:
    """For rows sorted by customer and day: the rank of each contact among the same customer's
    contacts in (day - window, day], itself included (the 3rd within the window gives 3)."""
    if len(day) == 0:
        return np.zeros(0, dtype="int64")
    code = pd.factorize(customer, sort=False)[0].astype("int64")
    d = (day - day.min()).dt.days.to_numpy("int64")
    span = int(d.max()) + window + 1
    key = code * span + d
    return np.arange(len(key)) - np.searchsorted(key, key - window, side="right") + 1
