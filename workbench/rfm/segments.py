"""Named segments from declared rules with precedence, and what the rules leave uncovered.

Private to :mod:`workbench.rfm`, which re-exports :class:`SegmentRules`, :class:`SegmentReport`
and :data:`DEFAULT_SEGMENTS`.

A rule is a boolean expression over the columns of the scored table (``r_score >= 4 and
f_score >= 4``, ``dominant_channel == "web"``, ``grade in ["A", "B"]``), evaluated column-wise
in the project's one safe expression language (:mod:`workbench.data.expressions`: comparisons,
arithmetic, and / or / not, in, a few functions; nothing else, so a rule cannot run code); rules are tried in the order given
and the first that holds names the segment (precedence). Customers with no purchase yet are put
in :data:`PROSPECT` before any rule. A customer that no rule matches is ``Unassigned``, and is
counted, never dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.data.expressions import ExpressionError, parse_expression
from workbench.rfm.grid import GridError

__all__ = ["SegmentRules", "SegmentReport", "DEFAULT_SEGMENTS", "PROSPECT", "UNASSIGNED",
           "INACTIVE_SEGMENTS"]

PROSPECT, UNASSIGNED = "Prospect / no purchase", "Unassigned"
SCORE_COLUMNS = ("r_score", "f_score", "m_score")

#: Classic RFM segments on quintile scores, in precedence order: (name, rule, meaning).
#: Together they cover every R x F x M combination of scores 1-5.
DEFAULT_SEGMENTS: list[dict] = [
    {"name": "Champions", "rule": "r_score >= 4 and f_score >= 4 and m_score >= 4",
     "meaning": "bought recently, often, and spend the most"},
    {"name": "Loyal", "rule": "r_score >= 3 and f_score >= 3",
     "meaning": "buy regularly and still recently"},
    {"name": "New", "rule": "tenure_days <= 90",
     "meaning": "first purchase within the last 90 days"},
    {"name": "Promising", "rule": "r_score >= 4 and f_score <= 2",
     "meaning": "bought recently, but only a few times"},
    {"name": "Need attention", "rule": "r_score == 3 and f_score <= 2",
     "meaning": "average recency, few purchases"},
    {"name": "At risk", "rule": "r_score <= 2 and f_score >= 3",
     "meaning": "used to buy often, not for a long time"},
    {"name": "About to sleep", "rule": "r_score == 2 and f_score <= 2",
     "meaning": "few purchases, and not recently"},
    {"name": "Hibernating", "rule": "r_score == 1 and f_score <= 2",
     "meaning": "few purchases, the last one long ago: inactive"},
]
#: The default segments that mean "lapsing or lapsed" (used with the potential class `inactive`).
INACTIVE_SEGMENTS = ("At risk", "About to sleep", "Hibernating")


@dataclass
class SegmentReport:
    """What the rules did on one table.

    Attributes
    ----------
    sizes
        Per segment (precedence order, then prospects and unassigned): customers assigned,
        customers whose rule matched (before precedence), share of customers.
    overlaps
        Per pair of rules that both matched some customers: the segment that won by precedence,
        the one that lost, and the customers concerned.
    uncovered
        Score combinations no rule covers on the scores alone: ``r_score, f_score, m_score,
        customers`` (unassigned customers who have the combination).
    unassigned
        Customers who bought but matched no rule.
    """

    sizes: pd.DataFrame
    overlaps: pd.DataFrame
    uncovered: pd.DataFrame
    unassigned: int


class SegmentRules:
    """Ordered segment rules: ``SegmentRules([{"name": .., "rule": .., "meaning": ..}, ...])``."""

    def __init__(self, rules: list[dict] | None = None, *, bins: int = 5, source: str = "default segments"):
        rules = DEFAULT_SEGMENTS if rules is None else rules
        if not rules:
            raise GridError(f"{source}: give at least one segment rule")
        self.rules, self.bins, self.source = [], bins, source
        for i, r in enumerate(rules):
            if not isinstance(r, dict) or not {"name", "rule"} <= set(r) or set(r) - {"name", "rule", "meaning"}:
                raise GridError(f"{source}: segment {i + 1} must be {{name: .., rule: .., meaning: ..}}, "
                                f"got {r!r}")
            self.rules.append({"name": str(r["name"]), "rule": str(r["rule"]),
                               "meaning": str(r.get("meaning", ""))})
        names = [r["name"] for r in self.rules]
        if len(set(names)) < len(names) or {PROSPECT, UNASSIGNED} & set(names):
            raise GridError(f"{source}: segment names must be unique and not {PROSPECT!r} / {UNASSIGNED!r}")

    @classmethod
    def coerce(cls, segments, *, bins: int = 5) -> SegmentRules:
        """Rules from rules, a list of dicts, a YAML file with a ``segments:`` list, or None (default)."""
        if isinstance(segments, SegmentRules):
            return segments
        if segments is None or segments == "":
            return cls(None, bins=bins)
        if isinstance(segments, list):
            return cls(segments, bins=bins, source="segment list")
        from pathlib import Path

        from workbench.data.limits import load_yaml

        if not Path(segments).is_file():
            raise GridError(f"segments file {segments} not found (give a YAML file with a "
                            "'segments:' list, or '' for the default segments)")
        spec = load_yaml(segments, error=GridError)
        if not isinstance(spec, dict) or "segments" not in spec:
            return cls(None, bins=bins)
        return cls(spec["segments"], bins=bins, source=str(segments))

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.rules]

    def table(self) -> pd.DataFrame:
        """The rules in precedence order."""
        return pd.DataFrame(self.rules).assign(precedence=range(1, len(self.rules) + 1))[
            ["precedence", "name", "rule", "meaning"]]

    def matches(self, table: pd.DataFrame) -> pd.DataFrame:
        """Boolean frame: does each rule hold for each row (missing values never match)."""
        out = {}
        for r in self.rules:
            try:
                hit = _evaluate(r["rule"], table, f"{self.source}: segment {r['name']!r}: rule")
            except ExpressionError as exc:
                columns = "" if "the columns are" in str(exc) else \
                    f"; the columns are {', '.join(map(str, table.columns))}"
                raise GridError(f"{exc}. Rules compare columns with numbers or text, joined by "
                                f"and / or / not{columns}") from None
            out[r["name"]] = hit
        return pd.DataFrame(out, index=table.index)

    def assign(self, table: pd.DataFrame) -> tuple[pd.Series, SegmentReport]:
        """The segment of each row, and the :class:`SegmentReport`."""
        bought = table["frequency"].fillna(0).to_numpy() > 0 if "frequency" in table else \
            np.ones(len(table), bool)
        m = self.matches(table)
        m.loc[~bought, :] = False
        hits = m.to_numpy()
        n = len(self.names)
        code = np.where(hits.any(axis=1), hits.argmax(axis=1), n + 1)  # n + 1: unassigned
        code = np.where(bought, code, n)  # n: prospects and customers with no purchase
        seg = pd.Series(pd.Categorical.from_codes(code, categories=self.names + [PROSPECT, UNASSIGNED]),
                        index=table.index, name="segment")
        return seg, self._report(table, m, seg, bought)

    def _report(self, table, m: pd.DataFrame, seg: pd.Series, bought) -> SegmentReport:
        counts = seg.value_counts().reindex(seg.cat.categories, fill_value=0)
        matched = [int(m[n].sum()) for n in self.names] + [None, None]
        sizes = pd.DataFrame({"segment": counts.index.astype(str), "customers": counts.to_numpy(),
                              "rule_matched": matched,
                              "share_pct": (100 * counts / max(len(seg), 1)).round(2).to_numpy()})
        overlaps = []
        for i, j in itertools.combinations(range(len(self.names)), 2):
            both = int((m.iloc[:, i] & m.iloc[:, j]).sum())
            if both:
                overlaps.append({"segment": self.names[i], "also_matched": self.names[j],
                                 "customers": both, "resolution": f"{self.names[i]} wins (earlier rule)"})
        overlaps = pd.DataFrame(overlaps, columns=["segment", "also_matched", "customers", "resolution"])
        unassigned = int((seg == UNASSIGNED).sum())
        return SegmentReport(sizes=sizes, overlaps=overlaps, uncovered=self._uncovered(table, seg),
                             unassigned=unassigned)

    def _uncovered(self, table: pd.DataFrame, seg: pd.Series) -> pd.DataFrame:
        """Every R x F x M combination that no rule covers on the scores alone (a rule that also
        reads another column, such as ``tenure_days``, counts as not covering), with the number
        of unassigned customers who have it."""
        cols = ["r_score", "f_score", "m_score", "customers"]
        if not set(SCORE_COLUMNS) <= set(table):
            return pd.DataFrame(columns=cols)
        grid = pd.DataFrame(list(itertools.product(range(1, self.bins + 1), repeat=3)),
                            columns=list(SCORE_COLUMNS))
        for name in set().union(*(_identifiers(r["rule"]) for r in self.rules)) - set(SCORE_COLUMNS):
            grid[name] = np.nan
        hit = self.matches(grid).any(axis=1).to_numpy()
        out = grid.loc[~hit, list(SCORE_COLUMNS)].reset_index(drop=True)
        observed = table.loc[seg == UNASSIGNED, list(SCORE_COLUMNS)].astype("int64").value_counts()
        keys = pd.MultiIndex.from_frame(out)
        out["customers"] = observed.reindex(keys, fill_value=0).to_numpy() if len(out) else 0
        return out[cols].astype("int64")


def _identifiers(rule: str) -> set[str]:
    try:
        return set(parse_expression(rule).names)
    except ExpressionError:
        return {"?"}


def _evaluate(rule: str, table: pd.DataFrame, where: str = "rule") -> np.ndarray:
    """A rule in the safe expression language (:mod:`workbench.data.expressions`) over the table.

    Missing values match no comparison; text columns are compared as text.
    """
    return parse_expression(rule, where=where).mask(table).to_numpy()
