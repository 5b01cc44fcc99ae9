"""Put each customer's segment (persona, RFM band, kind...) onto survey answers and orders.

Private to :mod:`workbench.pricing`, which re-exports :func:`attach_segments` and
:func:`segment_coverage`. Rows of customers the segments do not cover are kept, labelled
:data:`NO_SEGMENT`, and counted: nothing is dropped.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

logger = logging.getLogger(__name__)

NO_SEGMENT = "(no segment)"


def _labels(segments: pd.DataFrame | pd.Series, label: str | None) -> pd.Series:
    """customer_id -> label, checked: one label column, each customer once."""
    if isinstance(segments, pd.Series):
        s = segments.copy()
    else:
        if "customer_id" not in segments:
            raise ValueError(
                "segments need a customer_id column (columns: "
                f"{', '.join(map(str, segments.columns))}); e.g. the persona export"
            )
        others = [c for c in segments.columns if c != "customer_id"]
        if label is None:
            if len(others) != 1:
                raise ValueError(
                    f"segments have {len(others)} label columns besides customer_id "
                    f"({', '.join(map(str, others)) or 'none'}); say which with label="
                )
            label = others[0]
        elif label not in others:
            raise ValueError(
                f"segments have no label column {label!r} (columns: {', '.join(others)})"
            )
        s = segments.set_index("customer_id")[label]
    s.index = s.index.astype("str").str.strip()
    dup = s.index[s.index.duplicated()]
    if len(dup):
        raise ValueError(
            f"segments list {len(dup)} customer(s) more than once (e.g. {dup[0]!r}): "
            "one label per customer"
        )
    return s.dropna().astype("str")


def attach_segments(
    frame: pd.DataFrame,
    segments: pd.DataFrame | pd.Series,
    *,
    name: str = "segment",
    label: str | None = None,
    missing: str = NO_SEGMENT,
) -> pd.DataFrame:
    """A copy of `frame` with each row's customer segment in column `name`.

    Parameters
    ----------
    frame : DataFrame
        Rows with ``customer_id``: ``price_survey``, ``orders``...
    segments : DataFrame or Series
        ``customer_id`` and one label column (or ``label=``), e.g. the persona export read
        with ``wb.personas.read_segments``; or a Series of labels indexed by customer id.
    name : str
        The column to add (it must not exist yet).
    missing : str
        Label of rows whose customer has no segment (no ``customer_id``, or not in
        `segments`); they are kept, counted and logged.
    """
    if "customer_id" not in frame:
        raise ValueError(
            "cannot attach segments: the table has no customer_id (map the respondents' "
            "customer ids in the price_survey, or analyse without segments)"
        )
    if name in frame:
        raise ValueError(f"the table already has a {name!r} column: pass another name=")
    labels = _labels(segments, label)
    ids = frame["customer_id"].astype("str").str.strip()
    out = frame.copy()
    out[name] = ids.map(labels).where(frame["customer_id"].notna()).fillna(missing)
    unlabelled = int((out[name] == missing).sum())
    if unlabelled:
        logger.warning(
            "%d of %d rows have no %s (customer without a label): labelled %r",
            unlabelled,
            len(out),
            name,
            missing,
        )
    return out


def segment_coverage(
    tables: Mapping[str, pd.DataFrame], *, name: str = "segment", missing: str = NO_SEGMENT
) -> pd.DataFrame:
    """Per table (after :func:`attach_segments`): rows and customers with and without a segment."""
    rows = []
    for table, frame in tables.items():
        if name not in frame:
            raise ValueError(f"{table} has no {name!r} column: run attach_segments on it first")
        off = frame[name] == missing
        ids = frame["customer_id"] if "customer_id" in frame else pd.Series(pd.NA, frame.index)
        rows.append(
            {
                "table": table,
                "rows": len(frame),
                "rows_with_segment": int((~off).sum()),
                "rows_without_segment": int(off.sum()),
                "customers": int(ids.nunique()),
                "customers_without_segment": int(ids[off].nunique()),
                "segments": int(frame.loc[~off, name].nunique()),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class CustomerSegments:
    """Each customer's segment, and where the segments come from.

    Attributes
    ----------
    labels : DataFrame
        ``customer_id``, ``segment``.
    method : str
        ``"file"``, ``"personas"``, ``"kind"``, ``"spend band"`` or ``"none"``.
    source : str
        One sentence for the report: what the segments are and how they were made.
    notes : list of str
        What was tried and did not work (e.g. why persona discovery was not used).
    """

    labels: pd.DataFrame
    method: str
    source: str
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        from workbench.display import table

        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<p><b>Segments:</b> {html.escape(self.source)}</p>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + table(self.summary())._repr_html_()
        )

    def summary(self) -> pd.DataFrame:
        """Customers per segment and their share."""
        counts = self.labels["segment"].value_counts().rename_axis("segment")
        return (
            counts.rename("customers")
            .reset_index()
            .assign(share=lambda t: t["customers"] / t["customers"].sum())
        )


def _read_file(path, column: str | None) -> pd.DataFrame:
    try:
        from workbench.personas import read_segments
    except ImportError:  # the persona module is optional here: read the file directly
        frame = (
            pd.read_parquet(path)
            if str(path).lower().endswith((".parquet", ".pq"))
            else (pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""]))
        )
        labels = _labels(frame, column)
        return pd.DataFrame({"customer_id": labels.index, "segment": labels.to_numpy()})
    return read_segments(path, column=column)


def _personas(crm, as_of, seed) -> CustomerSegments:
    from workbench import personas

    features = personas.persona_features(crm, as_of=as_of)
    # the persona module's defaults; no bootstrap: it checks stability, it does not change labels
    model = personas.PersonaModel(seed=seed, n_bootstrap=0).fit(features)
    names = personas.persona_cards(features, model.labels_).names()
    taken = pd.Series(names).duplicated(keep=False)
    names = {k: f"{k} {v}" if taken[k] else v for k, v in names.items()}
    labels = model.labels_.map(names).rename("segment").rename_axis("customer_id").reset_index()
    source = (
        f"{model.n_personas_} personas discovered from the customer data with "
        f"wb.personas ({model.algorithm}, number chosen by {model.criterion}, seed {seed}), "
        f"for {len(labels):,} buyers"
    )
    return CustomerSegments(labels, "personas", source)


def _fallback(crm, as_of, notes: list[str]) -> CustomerSegments:
    customers = crm.tables.get("customers")
    if customers is not None and "kind" in customers and customers["kind"].nunique() >= 2:
        labels = customers[["customer_id", "kind"]].dropna().rename(columns={"kind": "segment"})
        return CustomerSegments(labels, "kind", "customers.kind (person / company)", notes)
    if "orders" in crm.tables:
        from workbench.rfm import rfm_table

        rfm = rfm_table(crm["orders"], as_of=as_of)
        rfm = rfm[rfm["monetary"].notna()]
        band = pd.qcut(rfm["monetary"].rank(method="first"), 3, labels=SPEND_BANDS)
        labels = pd.DataFrame({"customer_id": rfm["customer_id"], "segment": band.astype(str)})
        source = "spend band: thirds of the customers by net revenue (RFM monetary)"
        return CustomerSegments(labels, "spend band", source, notes)
    return CustomerSegments(
        pd.DataFrame(columns=["customer_id", "segment"]),
        "none",
        "no segments: every respondent is analysed together",
        notes,
    )


SPEND_BANDS = ("low spend", "mid spend", "high spend")


def customer_segments(
    crm,
    *,
    segments: str = "",
    as_of=None,
    seed: int = 42,
    column: str | None = None,
    discover: bool = True,
) -> CustomerSegments:
    """The segment of each customer, for analyses per persona or segment.

    1. ``segments`` given: that file (CSV or Parquet: ``customer_id`` and a label column, e.g.
       the persona notebook's export).
    2. Else, with ``discover``: personas discovered with :mod:`workbench.personas` at its
       default settings (k-means, number chosen by silhouette).
    3. Else (or when discovery cannot run on this source: the reason goes to ``notes``):
       ``customers.kind`` when it holds persons and companies, else spend thirds.
    """
    if segments:
        labels = _read_file(segments, column)
        return CustomerSegments(labels, "file", f"segments file {segments}")
    notes: list[str] = []
    if discover:
        try:
            return _personas(crm, as_of, seed)
        except (ImportError, ValueError) as exc:  # ContractError is a ValueError
            notes.append(
                f"persona discovery could not run ({exc}); fell back to a customer attribute"
            )
            logger.warning(notes[-1])
    return _fallback(crm, as_of, notes)
