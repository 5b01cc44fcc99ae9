"""Scoring grids: value bands -> points, a weight per criterion, total points -> letter grades.

Private to :mod:`workbench.rfm`, which re-exports :class:`ScoringGrid` and :class:`GridError`
(ready-made grids live in :mod:`workbench.rfm.presets`).

A grid is a dict (or the same structure in a YAML file)::

    criteria:
      revenue:                       # a name; `column` says which column it reads (default: the name)
        column: monetary
        label: Revenue with the contact (EUR)
        weight: 4
        bands:                       # numeric bands: min inclusive, max exclusive, either may be left out
          - {max: 50000, points: 1}
          - {min: 50000, max: 100000, points: 2}
          - {min: 100000, max: 200000, points: 3}
          - {min: 200000, points: 4}
      newsletter:
        column: newsletter_subscribed
        weight: 1
        required: false              # skipped (and reported) when the column is absent
        bands:                       # value bands: an exact value (booleans, codes)
          - {value: true, points: 2}
          - {value: false, points: 0}
    grades:                          # best first; a total at or above `min` earns the grade
      - {grade: A, label: VIP, min: 24}
      - {grade: B, label: Loyal, min: 16}
      - {grade: C, min: 0}

Points earned by a criterion = band points x weight. A value outside every band, or missing,
earns ``missing_points`` (default 0) x weight; both cases are counted in :meth:`ScoringGrid.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ScoringGrid", "GridError", "DEFAULT_GRID_FILE"]

_CRITERION_KEYS = {"column", "label", "weight", "bands", "required", "missing_points"}
_BAND_KEYS = {"min", "max", "value", "points", "label"}
_GRADE_KEYS = {"grade", "label", "min"}
_TOP_KEYS = {"criteria", "grades", "segments", "description"}

#: The grid file shipped with the project (`data/grids/default_grid.yml`).
DEFAULT_GRID_FILE = Path(__file__).resolve().parents[2] / "data" / "grids" / "default_grid.yml"


class GridError(ValueError):
    """A scoring grid that cannot be used: a typo, overlapping bands, grades out of order."""


@dataclass(frozen=True)
class Band:
    points: float
    lo: float | None = None
    hi: float | None = None
    value: object = None
    label: str = ""

    @property
    def is_value(self) -> bool:
        return self.lo is None and self.hi is None and self.value is not None

    def text(self) -> str:
        if self.label:
            return self.label
        if self.is_value:
            return f"= {self.value}"
        if self.lo is None:
            return f"< {_num(self.hi)}"
        if self.hi is None:
            return f">= {_num(self.lo)}"
        return f"{_num(self.lo)} to < {_num(self.hi)}"


@dataclass(frozen=True)
class Criterion:
    name: str
    column: str
    weight: float
    bands: tuple[Band, ...]
    label: str = ""
    required: bool = True
    missing_points: float = 0.0

    def points(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Band points of each value (before the weight), and masks: outside every band, missing."""
        missing = values.isna().to_numpy()
        out = np.full(len(values), np.nan)
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        x = values.to_numpy("float64", na_value=np.nan) if numeric else None
        if any(b.is_value for b in self.bands):
            for b in self.bands:
                if numeric and isinstance(b.value, int | float | bool):
                    hit = x == float(b.value)
                else:
                    hit = (values == b.value).fillna(False).to_numpy(bool)
                out[hit & ~missing] = b.points
        else:
            if x is None:
                x = pd.to_numeric(values, errors="coerce").to_numpy("float64", na_value=np.nan)
            for b in self.bands:
                inside = np.ones(len(x), bool) if b.lo is None else x >= b.lo
                inside &= True if b.hi is None else x < b.hi
                out[inside & ~missing] = b.points
        outside = np.isnan(out) & ~missing
        return np.where(np.isnan(out), self.missing_points, out), outside, missing


@dataclass(frozen=True)
class Grade:
    grade: str
    min: float
    label: str = ""


class ScoringGrid:
    """Criteria with value bands and weights, and grade thresholds on the total.

    Build it with :meth:`from_dict` or :meth:`from_yaml` (see the module docstring for the
    format); :meth:`apply` scores a table with one row per customer.
    """

    def __init__(self, criteria: list[Criterion], grades: list[Grade], *, source: str = "dict",
                 description: str = "") -> None:
        self.criteria, self.grades, self.source, self.description = criteria, grades, source, description

    # ------------------------------------------------------------------ building

    @classmethod
    def from_dict(cls, spec: dict, *, source: str = "dict") -> ScoringGrid:
        if not isinstance(spec, dict):
            raise GridError(f"{source}: a grid is a mapping with 'criteria' and 'grades'")
        _check_keys(spec, _TOP_KEYS, f"{source}")
        for key in ("criteria", "grades"):
            if not spec.get(key):
                raise GridError(f"{source}: the grid needs a non-empty '{key}:' section")
        if not isinstance(spec["criteria"], dict):
            raise GridError(f"{source}: 'criteria:' maps criterion names to their bands and weight")
        criteria = [_criterion(name, c, source) for name, c in spec["criteria"].items()]
        return cls(criteria, _grades(spec["grades"], source), source=source,
                   description=str(spec.get("description", "")).strip())

    @classmethod
    def from_yaml(cls, path: str | Path) -> ScoringGrid:
        from workbench.data.limits import load_yaml

        path = Path(path)
        if not path.is_file():
            raise GridError(f"grid file {path} not found (give a YAML file, or '' for the default grid)")
        spec = load_yaml(path, error=GridError)
        return cls.from_dict(spec, source=str(path))

    @classmethod
    def coerce(cls, grid: ScoringGrid | dict | str | Path | None) -> ScoringGrid:
        """A grid from a grid, a dict, a YAML path, or None / "" for the default grid."""
        if isinstance(grid, ScoringGrid):
            return grid
        if grid is None or grid == "":
            return cls.from_yaml(DEFAULT_GRID_FILE) if DEFAULT_GRID_FILE.is_file() \
                else cls.from_dict(_default_grid(), source="default grid")
        if isinstance(grid, dict):
            return cls.from_dict(grid)
        return cls.from_yaml(grid)

    def to_dict(self) -> dict:
        """The grid as the dict :meth:`from_dict` reads (write it with ``yaml.safe_dump``)."""
        def band(b: Band) -> dict:
            d = {"value": b.value} if b.is_value else {k: v for k, v in (("min", b.lo), ("max", b.hi))
                                                      if v is not None}
            return {**d, "points": b.points, **({"label": b.label} if b.label else {})}
        return {"criteria": {c.name: {"column": c.column, "label": c.label, "weight": c.weight,
                                      "required": c.required, "missing_points": c.missing_points,
                                      "bands": [band(b) for b in c.bands]} for c in self.criteria},
                "grades": [{"grade": g.grade, "label": g.label, "min": g.min} for g in self.grades]}

    # ------------------------------------------------------------------ reading

    def table(self) -> pd.DataFrame:
        """One line per band: criterion, column, band, points, weight, weighted points."""
        rows = [{"criterion": c.name, "label": c.label, "column": c.column, "band": b.text(),
                 "points": b.points, "weight": c.weight, "weighted_points": b.points * c.weight}
                for c in self.criteria for b in c.bands]
        return pd.DataFrame(rows)

    def grade_table(self) -> pd.DataFrame:
        """One line per grade, best first: grade, label, total points from, below."""
        upper = [math.inf] + [g.min for g in self.grades[:-1]]
        return pd.DataFrame({"grade": [g.grade for g in self.grades],
                             "label": [g.label for g in self.grades],
                             "points_from": [g.min for g in self.grades], "points_below": upper})

    @property
    def grade_order(self) -> list[str]:
        """Grades best first."""
        return [g.grade for g in self.grades]

    def max_points(self) -> float:
        return float(sum(c.weight * max(b.points for b in c.bands) for c in self.criteria))

    # ------------------------------------------------------------------ scoring

    def apply(self, table: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
        """`table` with ``points_<criterion>`` (weighted), ``points``, ``grade`` and ``grade_label``.

        Raises :class:`GridError` when a required criterion's column is missing. With
        ``copy=False`` the columns are added to `table` itself.
        """
        out = table.copy() if copy else table
        total = np.zeros(len(out))
        for c in self._usable(table):
            pts, _, _ = c.points(table[c.column])
            out[f"points_{c.name}"] = pts * c.weight
            total += pts * c.weight
        out["points"] = total
        out["grade"], out["grade_label"] = self.grade_of(total)
        return out

    def grade_of(self, total) -> tuple[pd.Series, pd.Series]:
        """Grade and label of each total (NA below the lowest threshold)."""
        total = np.asarray(total, float)
        code = np.full(len(total), -1)
        for i, g in reversed(list(enumerate(self.grades))):  # best grade written last wins
            code[total >= g.min] = i
        grade = pd.Categorical.from_codes(code, categories=self.grade_order)
        labels = list(dict.fromkeys(g.label or g.grade for g in self.grades))
        label_code = np.array([labels.index(g.label or g.grade) for g in self.grades] + [-1])[code]
        return (pd.Series(grade), pd.Series(pd.Categorical.from_codes(label_code, categories=labels)))

    def coverage(self, table: pd.DataFrame) -> pd.DataFrame:
        """Per criterion: rows scored in a band, outside every band, missing, or skipped (no column)."""
        rows = []
        for c in self.criteria:
            if c.column not in table:
                rows.append({"criterion": c.name, "column": c.column, "in_band": 0, "outside_bands": 0,
                             "missing": 0, "skipped": len(table), "note": "column absent: criterion skipped"})
                continue
            pts, outside, missing = c.points(table[c.column])
            rows.append({"criterion": c.name, "column": c.column,
                         "in_band": int((~outside & ~missing).sum()), "outside_bands": int(outside.sum()),
                         "missing": int(missing.sum()), "skipped": 0,
                         "note": f"outside / missing earn {c.missing_points:g} points"
                         if outside.any() or missing.any() else ""})
        return pd.DataFrame(rows)

    def _usable(self, table: pd.DataFrame) -> list[Criterion]:
        missing = [c for c in self.criteria if c.column not in table and c.required]
        if missing:
            names = ", ".join(f"{c.name} (column {c.column!r})" for c in missing)
            raise GridError(
                f"grid {self.source}: the table has no column for {names}. Columns available: "
                f"{', '.join(map(str, table.columns))}. Load the table that holds it (customers "
                "attributes come from the customers table), fix the column name, or mark the "
                "criterion `required: false`")
        return [c for c in self.criteria if c.column in table]

    def __repr__(self) -> str:
        return (f"ScoringGrid({len(self.criteria)} criteria: {', '.join(c.name for c in self.criteria)}; "
                f"grades {'/'.join(self.grade_order)}; from {self.source})")


# ---------------------------------------------------------------------- parsing and checks


def _default_grid() -> dict:
    from workbench.rfm.presets import DEFAULT_GRID

    return DEFAULT_GRID


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _check_keys(d: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(map(str, d)) - allowed)
    if unknown:
        raise GridError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GridError(f"{where}: {value!r} is not a number")
    return float(value)


def _criterion(name: str, c: dict, source: str) -> Criterion:
    where = f"{source}: criterion {name!r}"
    if not isinstance(c, dict):
        raise GridError(f"{where}: give its bands and weight as a mapping")
    _check_keys(c, _CRITERION_KEYS, where)
    weight = _number(c.get("weight", 1), f"{where}, weight")
    if weight < 0:
        raise GridError(f"{where}: weight {weight:g} is negative; use a weight >= 0")
    bands = c.get("bands")
    if not bands or not isinstance(bands, list):
        raise GridError(f"{where}: needs a list of bands (`bands: [{{min: .., max: .., points: ..}}]`)")
    parsed = [_band(b, f"{where}, band {i + 1}") for i, b in enumerate(bands)]
    kinds = {b.is_value for b in parsed}
    if len(kinds) > 1:
        raise GridError(f"{where}: mixes value bands and min/max bands; use one kind per criterion")
    _check_overlaps(parsed, where)
    return Criterion(name=str(name), column=str(c.get("column", name)), weight=weight,
                     bands=tuple(parsed), label=str(c.get("label", "")),
                     required=bool(c.get("required", True)),
                     missing_points=_number(c.get("missing_points", 0), f"{where}, missing_points"))


def _band(b: dict, where: str) -> Band:
    if not isinstance(b, dict):
        raise GridError(f"{where}: a band is a mapping such as {{min: 100000, max: 200000, points: 3}}")
    _check_keys(b, _BAND_KEYS, where)
    if "points" not in b:
        raise GridError(f"{where}: says no `points`")
    points = _number(b["points"], f"{where}, points")
    if "value" in b:
        if "min" in b or "max" in b:
            raise GridError(f"{where}: give either `value` or `min`/`max`, not both")
        return Band(points=points, value=b["value"], label=str(b.get("label", "")))
    lo = _number(b["min"], f"{where}, min") if b.get("min") is not None else None
    hi = _number(b["max"], f"{where}, max") if b.get("max") is not None else None
    if lo is not None and hi is not None and not lo < hi:
        raise GridError(f"{where}: min {lo:g} must be below max {hi:g} (min is inclusive, max exclusive)")
    return Band(points=points, lo=lo, hi=hi, label=str(b.get("label", "")))


def _check_overlaps(bands: list[Band], where: str) -> None:
    if bands[0].is_value:
        values = [b.value for b in bands]
        dup = {v for v in values if values.count(v) > 1}
        if dup:
            raise GridError(f"{where}: the value(s) {', '.join(map(str, dup))} appear in several bands")
        return
    ordered = sorted(bands, key=lambda b: -math.inf if b.lo is None else b.lo)
    for a, b in zip(ordered, ordered[1:], strict=False):
        a_hi = math.inf if a.hi is None else a.hi
        b_lo = -math.inf if b.lo is None else b.lo
        if b_lo < a_hi:
            raise GridError(f"{where}: bands [{a.text()}] and [{b.text()}] overlap; each value must "
                            "fall in one band (min is inclusive, max exclusive)")


def _grades(grades: list, source: str) -> list[Grade]:
    if not isinstance(grades, list):
        raise GridError(f"{source}: 'grades:' is a list, best grade first: [{{grade: A, min: 30}}, ...]")
    out = []
    for i, g in enumerate(grades):
        where = f"{source}: grade {i + 1}"
        if not isinstance(g, dict) or "grade" not in g or "min" not in g:
            raise GridError(f"{where}: give `grade` and `min` (total points from which it is earned)")
        _check_keys(g, _GRADE_KEYS, where)
        out.append(Grade(grade=str(g["grade"]), min=_number(g["min"], f"{where}, min"),
                         label=str(g.get("label", ""))))
    names = [g.grade for g in out]
    if len(set(names)) < len(names):
        raise GridError(f"{source}: grade names repeat ({', '.join(names)})")
    for a, b in zip(out, out[1:], strict=False):
        if not b.min < a.min:
            raise GridError(f"{source}: grades must be listed best first with decreasing thresholds; "
                            f"{b.grade} (min {b.min:g}) comes after {a.grade} (min {a.min:g})")
    return out
