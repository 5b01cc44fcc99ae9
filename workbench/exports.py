"""Write result tables where the CRM (or a spreadsheet) can pick them up."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

__all__ = ["write_tables"]

log = logging.getLogger(__name__)


def write_tables(output_dir: str | Path, *, prefix: str = "", **tables: pd.DataFrame) -> list[Path]:
    """Write each table as ``<prefix><name>.csv`` in `output_dir` (created if needed).

    UTF-8 with a byte-order mark, so that a spreadsheet shows accents right. Returns the paths
    written, in the order given.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
        paths.append(out / f"{prefix}{name}.csv")
        frame.to_csv(paths[-1], index=False, encoding="utf-8-sig")  # the BOM makes Excel read UTF-8
    log.info("wrote %s", ", ".join(p.name for p in paths))
    return paths
