"""Exports of personas as segments, and the reader other notebooks use for any segments file.

Private to :mod:`workbench.personas`. A segments file is any CSV or Parquet file with a
``customer_id`` column and one label column; the persona export is one of them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from workbench.exports import atomic_path, write_csv
from workbench.personas.cards import PersonaCards

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet", "json", "md")
SEGMENT_SUFFIXES = (".csv", ".parquet", ".pq")


def write_personas(labels, cards: PersonaCards, output_dir, *, stem: str = "personas",
                   formats=FORMATS, neutralise: bool = True) -> dict[str, Path]:
    """Write the persona of every customer and the cards.

    Each file is written whole or not at all; in the CSV, text a spreadsheet would read as a
    formula is neutralised unless ``neutralise=False`` (:mod:`workbench.exports`).

    ``<stem>.csv`` / ``<stem>.parquet``: columns ``customer_id, persona`` (the card's short
    name); ``<stem>_cards.json`` and ``<stem>_cards.md``: the cards. Returns the paths by format.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown export format(s) {', '.join(bad)}; choose among {', '.join(FORMATS)}")
    names = cards.names()
    labels = pd.Series(labels)
    unknown = sorted(set(labels.astype(str)) - set(names))
    if unknown:
        raise ValueError(f"labels use persona id(s) {', '.join(unknown)} that have no card: "
                         "build the cards from the same labels")
    frame = pd.DataFrame({"customer_id": labels.index.astype("str"),
                          "persona": labels.astype(str).map(names).to_numpy()})
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    if "csv" in formats:
        paths["csv"] = out / f"{stem}.csv"
        write_csv(frame, paths["csv"], neutralise=neutralise, bom=False)
    if "parquet" in formats:
        paths["parquet"] = out / f"{stem}.parquet"
        with atomic_path(paths["parquet"]) as tmp:
            frame.to_parquet(tmp, index=False)
    if "json" in formats:
        paths["json"] = out / f"{stem}_cards.json"
        with atomic_path(paths["json"]) as tmp:
            tmp.write_text(cards.to_json(), encoding="utf-8")
    if "md" in formats:
        paths["md"] = out / f"{stem}_cards.md"
        with atomic_path(paths["md"]) as tmp:
            tmp.write_text(cards.to_markdown(), encoding="utf-8")
    log.info("wrote personas of %d customers to %s", len(frame), out)
    return paths


def read_segments(path, *, column: str | None = None) -> pd.DataFrame:
    """Read a segments file: ``customer_id`` and one label column, as ``customer_id, segment``.

    Parameters
    ----------
    path
        A CSV or Parquet file (for example the persona export of notebook 01).
    column
        The label column, when the file has several besides ``customer_id`` (``segment`` is
        taken when present).

    Raises
    ------
    ValueError
        When the file lacks ``customer_id``, has no or several label columns and `column` is
        not given, repeats a customer, or leaves a customer without a label (rows named).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such segments file (give the CSV or Parquet written "
                                "by write_personas, or any file with customer_id and a label)")
    suffix = path.suffix.lower()
    if suffix not in SEGMENT_SUFFIXES:
        raise ValueError(f"{path.name}: a segments file must be CSV or Parquet, not {suffix or 'no suffix'}")
    if suffix == ".csv":  # separator sniffed: French exports use ';'
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""], sep=None,
                            engine="python")
    else:
        frame = pd.read_parquet(path)
    if "customer_id" not in frame:
        raise ValueError(f"{path.name}: no customer_id column (columns: {', '.join(map(str, frame.columns))})")
    others = [c for c in frame.columns if c != "customer_id"]
    if column is None and "segment" in others:  # e.g. the RFM export, which has many columns
        column = "segment"
    if column is None:
        if len(others) != 1:
            raise ValueError(f"{path.name}: {len(others)} label columns besides customer_id "
                             f"({', '.join(map(str, others)) or 'none'}); say which with column=")
        column = others[0]
    elif column not in others:
        raise ValueError(f"{path.name}: no label column {column!r} (columns: {', '.join(map(str, others))})")
    return _checked(frame, column, path.name)


def _checked(frame: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    ids = frame["customer_id"].astype("str").str.strip()
    label = frame[column]
    empty_id = frame["customer_id"].isna() | (ids == "")
    empty = label.isna() | (label.astype("str").str.strip() == "")
    for mask, what in ((empty_id, "no customer_id"), (empty, f"no {column}")):
        if mask.any():
            csv = name.lower().endswith(".csv")
            rows = [str(i + 2 if csv else i + 1) for i in mask[mask].index[:5]]
            raise ValueError(f"{name}: {int(mask.sum())} row(s) with {what} ("
                             f"{'line' if csv else 'row'}s {', '.join(rows)}): fill them or remove them")
    dup = ids[ids.duplicated()]
    if len(dup):
        first = dup.iloc[0]
        raise ValueError(f"{name}: customer_id must appear once; repeated: {', '.join(dup.unique()[:5])} "
                         f"(customer_id {first!r} appears {int((ids == first).sum())} times)")
    return pd.DataFrame({"customer_id": ids.to_numpy(), "segment": label.astype("str").to_numpy()})
