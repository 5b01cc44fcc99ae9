"""The scenario table of the action plan (private to :mod:`workbench.health`).

A scenario says which customers an action is for (``condition``, a true/false expression over
the columns of the health table, in the project's safe expression language:
:mod:`workbench.data.expressions`), what to do
(``action``), through which channels in order of preference (``channel``: ``phone|email``),
and how long to wait before the same scenario may reach the same customer again
(``cooldown_days``). Scenarios are tried in the order given: the first one that matches, is
out of cooldown and has a consented channel gives the customer's next action.

**Sequences.** A scenario may follow an earlier one: ``after: welcome`` (the name of the
scenario it follows), ``delay_days: 7`` (how long after it, at least) and ``unless:
purchased`` (skip it, and end the sequence for that customer, when the customer bought after
the step before; ``unless`` also takes a condition over the health table). A chained scenario
fires at most once per firing of the step before it, in order: welcome -> follow-up ->
win-back, complaint -> survey -> callback. Its own ``condition`` may be ``True``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.data.expressions import ExpressionError, parse_expression

__all__ = ["Scenarios", "DEFAULT_SCENARIOS", "CONSENT_COLUMNS"]

#: Default scenarios, in priority order.
DEFAULT_SCENARIOS: list[dict] = [
    {"scenario": "complaint_follow_up", "trigger": "a complaint in the last 30 days",
     "condition": "days_since_complaint <= 30",
     "action": "satisfaction survey on how the complaint was handled, with a callback offer",
     "channel": "phone|email", "cooldown_days": 90},
    {"scenario": "rescue", "trigger": "tolerance capital near the break threshold, or just under it",
     "condition": "capital_status == 'near' or (capital_status == 'broken' and intervals_since_purchase < 2)",
     "action": "personal call and a goodwill gesture before the customer leaves",
     "channel": "phone|email", "cooldown_days": 90},
    {"scenario": "welcome", "trigger": "first purchase in the last 30 days",
     "condition": "purchases == 1 and days_since_first_purchase <= 30",
     "action": "welcome and thank-you message, how to reach the service",
     "channel": "email|post", "cooldown_days": 365},
    {"scenario": "win_back", "trigger": "inactive: high churn risk, 2+ purchase intervals and at most 18 months "
     "since the last purchase",
     "condition": "risk_band in ['high', 'critical'] and intervals_since_purchase >= 2 "
                  "and days_since_purchase <= 548",
     "action": "win-back offer",
     "channel": "email|post", "cooldown_days": 120},
    {"scenario": "high_potential", "trigger": "top-20 % predicted value, few purchases yet, low risk",
     "condition": "clv_percentile >= 0.8 and purchases <= 3 and risk_band in ['low', 'medium']",
     "action": "more attention: a call from the sales team with a tailored offer",
     "channel": "phone|email", "cooldown_days": 90},
]
COLUMNS = ["scenario", "trigger", "condition", "action", "channel", "cooldown_days"]
#: Optional columns of a chained scenario.
CHAIN_COLUMNS = ["after", "delay_days", "unless"]
#: ``unless: purchased`` is this column: the customer bought after the step before.
PURCHASED = "purchased"
#: Channel -> the customers column holding the consent it needs (other channels need none).
CONSENT_COLUMNS = {"email": "consent_email", "phone": "consent_phone", "post": "consent_mail",
                   "mail": "consent_mail"}


class Scenarios:
    """Ordered scenarios: ``Scenarios([{"scenario": .., "condition": .., ...}, ...])``."""

    def __init__(self, rows: list[dict] | None = None, *, source: str = "default scenarios"):
        rows = DEFAULT_SCENARIOS if rows is None else rows
        if not rows:
            raise ValueError(f"{source}: give at least one scenario")
        self.source, self.rows = source, []
        for i, r in enumerate(rows):
            missing = [c for c in ("scenario", "condition", "action", "channel", "cooldown_days")
                       if c not in r or r[c] is None or (isinstance(r[c], float) and np.isnan(r[c]))]
            extra = set(r) - set(COLUMNS) - set(CHAIN_COLUMNS)
            if missing or extra:
                raise ValueError(f"{source}: scenario {i + 1} ({r.get('scenario', '?')}): "
                                 + (f"missing {', '.join(missing)}" if missing else "")
                                 + ("; " if missing and extra else "")
                                 + (f"unknown key(s) {', '.join(sorted(extra))}" if extra else "")
                                 + f". Each scenario has {', '.join(COLUMNS)}.")
            cooldown = pd.to_numeric(r["cooldown_days"], errors="coerce")
            if not cooldown >= 0:
                raise ValueError(f"{source}: scenario {r['scenario']!r}: cooldown_days "
                                 f"{r['cooldown_days']!r} must be a number of days >= 0")
            channels = [c.strip().lower() for c in str(r["channel"]).split("|") if c.strip()]
            if not channels:
                raise ValueError(f"{source}: scenario {r['scenario']!r}: give at least one channel")
            self.rows.append({"scenario": str(r["scenario"]), "trigger": str(r.get("trigger", "")),
                              "condition": str(r["condition"]), "action": str(r["action"]),
                              "channel": "|".join(channels), "cooldown_days": float(cooldown),
                              **_chain(r, source)})
        names = [r["scenario"] for r in self.rows]
        if len(set(names)) < len(names):
            raise ValueError(f"{source}: scenario names must be unique ({', '.join(names)})")
        for r in self.rows:
            if r["after"] and r["after"] not in names:
                raise ValueError(f"{source}: scenario {r['scenario']!r}: after {r['after']!r} names "
                                 f"no scenario ({', '.join(names)})")
            if r["after"] and self._root(r["scenario"]) is None:
                raise ValueError(f"{source}: scenario {r['scenario']!r}: its 'after' chain loops")

    def _root(self, name: str, seen=()) -> str | None:
        """The first scenario of the sequence `name` belongs to (None for a loop)."""
        if name in seen:
            return None
        after = self.row(name)["after"]
        return name if not after else self._root(after, (*seen, name))

    def row(self, name: str) -> dict:
        return next(r for r in self.rows if r["scenario"] == name)

    def sequences(self) -> dict[str, list[str]]:
        """Each sequence by its first scenario: the scenarios in order (chains only)."""
        out: dict[str, list[str]] = {}
        for r in self.rows:
            if r["after"]:
                root = self._root(r["scenario"])
                chain, name = [], r["scenario"]
                while name:
                    chain.insert(0, name)
                    name = self.row(name)["after"]
                if len(chain) > len(out.get(root, [])):
                    out[root] = chain
        return out

    @classmethod
    def coerce(cls, scenarios) -> Scenarios:
        """From Scenarios, a list of dicts, a DataFrame, a YAML (``scenarios:`` list) or CSV file, or None."""
        if isinstance(scenarios, Scenarios):
            return scenarios
        if scenarios is None or (isinstance(scenarios, str) and scenarios == ""):
            return cls()
        if isinstance(scenarios, list):
            return cls(scenarios, source="scenario list")
        if isinstance(scenarios, pd.DataFrame):
            return cls(scenarios.to_dict("records"), source="scenario table")
        path = Path(scenarios)
        if not path.is_file():
            raise FileNotFoundError(f"scenario table {path}: no such file (a .yaml or .csv file, or "
                                    "empty for the defaults)")
        if path.suffix.lower() == ".csv":
            return cls(pd.read_csv(path).to_dict("records"), source=str(path))
        from workbench.data.limits import load_yaml

        spec = load_yaml(path, error=ValueError)
        if not isinstance(spec, dict) or not isinstance(spec.get("scenarios"), list):
            raise ValueError(f"{path}: expected a 'scenarios:' list of {{{', '.join(COLUMNS)}}}")
        return cls(spec["scenarios"], source=str(path))

    @property
    def names(self) -> list[str]:
        return [r["scenario"] for r in self.rows]

    def table(self) -> pd.DataFrame:
        """The scenarios in priority order (with the chain columns when any scenario chains)."""
        chained = any(r["after"] for r in self.rows)
        return pd.DataFrame(self.rows).assign(priority=range(1, len(self.rows) + 1))[
            ["priority", *COLUMNS, *(CHAIN_COLUMNS if chained else [])]]

    def matches(self, health: pd.DataFrame) -> pd.DataFrame:
        """Boolean frame: does each scenario's condition hold for each customer (NaN never matches)."""
        out = {}
        for r in self.rows:
            if r["condition"].strip() == "True":  # a sequence step that only waits for its turn
                out[r["scenario"]] = np.ones(len(health), bool)
                continue
            where = f"{self.source}: scenario {r['scenario']!r}: condition"
            try:
                hit = parse_expression(r["condition"], where=where).mask(health)
            except ExpressionError as exc:
                columns = "" if "the columns are" in str(exc) else \
                    f". Conditions read the columns {', '.join(map(str, health.columns))}"
                raise ValueError(f"{exc}{columns}") from None
            out[r["scenario"]] = hit.to_numpy()
        return pd.DataFrame(out, index=health.index)

    def stops(self, health: pd.DataFrame, name: str, purchased: np.ndarray) -> np.ndarray:
        """Where the ``unless`` of scenario `name` holds (the sequence stops there)."""
        unless = self.row(name)["unless"]
        if not unless:
            return np.zeros(len(health), bool)
        if unless == PURCHASED:
            return purchased
        where = f"{self.source}: scenario {name!r}: unless"
        try:  # the same safe expression language as conditions
            hit = parse_expression(unless, where=where).mask(health.assign(**{PURCHASED: purchased}))
        except ExpressionError as exc:
            raise ValueError(str(exc)) from None
        return hit.to_numpy()


def _chain(r: dict, source: str) -> dict:
    after = r.get("after")
    after = "" if after is None or (isinstance(after, float) and np.isnan(after)) else str(after)
    delay = r.get("delay_days", 0)
    delay = 0 if delay is None or (isinstance(delay, float) and np.isnan(delay)) else delay
    delay = pd.to_numeric(delay, errors="coerce")
    if not delay >= 0:
        raise ValueError(f"{source}: scenario {r.get('scenario')!r}: delay_days "
                         f"{r.get('delay_days')!r} must be a number of days >= 0")
    if delay and not after:
        raise ValueError(f"{source}: scenario {r.get('scenario')!r}: delay_days needs 'after'")
    unless = r.get("unless")
    unless = "" if unless is None or (isinstance(unless, float) and np.isnan(unless)) else str(unless)
    return {"after": after, "delay_days": float(delay), "unless": unless}

