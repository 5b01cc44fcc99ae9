"""One safe expression language: mapping ``derive``/``where``, segment rules, scenario conditions.

An expression is parsed once with :mod:`ast`, every node checked against a short whitelist, and
then evaluated column-wise on a pandas frame (:meth:`Expression.evaluate`, :meth:`Expression.mask`)
or compiled to an Ibis expression that runs in the engine (:meth:`Expression.to_ibis`). Nothing
else is reachable, so a mapping, a segments file or a scenario table cannot run code.

The language::

    column names       quantity, r_score, risk_band (and row_number in a mapping)
    literals           12, 0.5, 'text', "text", True, False, lists [1, 2] / ('a', 'b') after in
    arithmetic         + - * / %   (text only joins with +)
    comparisons        == != < <= > >=, chained (1 <= r_score <= 3)
    boolean logic      and, or, not, parentheses
    membership         grade in ['A', 'B'], channel not in ('web',)
    functions          abs(x) round(x) round(x, 2) lower(x) upper(x) strip(x) year(x) month(x)
                       missing(x) present(x)

A missing value matches no comparison and no ``in`` (``!=`` included): ``missing(x)`` asks for it.
Anything else (attributes, subscripts, other calls, ``**``, lambdas...) is an
:class:`ExpressionError` naming where the expression comes from (file and key) and the token.
"""

from __future__ import annotations

import ast
import difflib
import functools
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Expression", "ExpressionError", "parse_expression", "FUNCTIONS", "MAX_LENGTH"]

#: Longest expression accepted, in characters, and most syntax nodes: bounds parse time and memory.
MAX_LENGTH, MAX_NODES = 2000, 500
_MAX_INT = 2**53

_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Mod: operator.mod}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
            ast.Compare, ast.In, ast.NotIn, ast.BinOp, ast.Name, ast.Load, ast.Constant, ast.List,
            ast.Tuple, ast.Call, *_COMPARE, *_ARITH)
_SYMBOL = {ast.Pow: "**", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
           ast.LShift: "<<", ast.RShift: ">>", ast.Is: "is", ast.IsNot: "is not", ast.Invert: "~",
           ast.MatMult: "@"}
_HELP = ("expressions use column names, numbers, 'text', True/False, + - * / %, comparisons, "
         "and/or/not, in [...], and the functions " )


class ExpressionError(ValueError):
    """An expression outside the language, or that cannot be evaluated: names where and what."""


def _text(s: pd.Series):
    return s.astype(object).str


#: name -> (number of arguments, on pandas Series, on Ibis values).
FUNCTIONS: dict[str, tuple[tuple[int, ...], object, object]] = {
    "abs": ((1,), lambda x: x.abs(), lambda x: x.abs()),
    "round": ((1, 2), lambda x, n=0: x.round(n), lambda x, n=0: x.round(n)),
    "lower": ((1,), lambda x: _text(x).lower(), lambda x: x.lower()),
    "upper": ((1,), lambda x: _text(x).upper(), lambda x: x.upper()),
    "strip": ((1,), lambda x: _text(x).strip(), lambda x: x.strip()),
    "year": ((1,), lambda x: pd.to_datetime(x).dt.year.astype("float64"), lambda x: x.year()),
    "month": ((1,), lambda x: pd.to_datetime(x).dt.month.astype("float64"), lambda x: x.month()),
    "missing": ((1,), lambda x: x.isna(), lambda x: x.isnull()),
    "present": ((1,), lambda x: x.notna(), lambda x: x.notnull()),
}
_HELP += ", ".join(f"{f}()" for f in FUNCTIONS)


class _Rejected(Exception):
    def __init__(self, token: str, reason: str):
        super().__init__(f"{token!r} {reason}")
        self.token = token


@dataclass(frozen=True)
class Expression:
    """A checked expression: ``text``, its syntax tree, the names it reads, and where it comes from."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    where: str = "expression"

    def _fail(self, message: str) -> ExpressionError:
        return ExpressionError(f"{self.where}: {self.text!r}: {message}")

    # ------------------------------------------------------------------ pandas
    def evaluate(self, frame: pd.DataFrame, *, names: dict | None = None):
        """The value over `frame` (a Series on its index, or a scalar for a constant expression).

        `names` adds values besides the columns (``row_number`` in a mapping).
        """
        env = _Env(frame, names or {}, self)
        with np.errstate(all="ignore"):
            try:
                return env.node(self.tree.body)
            except ExpressionError:
                raise
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError) as exc:
                raise self._fail(f"cannot be evaluated ({type(exc).__name__}: {exc})") from None

    def mask(self, frame: pd.DataFrame, *, names: dict | None = None) -> pd.Series:
        """A true/false Series over `frame`: an error when the expression is not a condition."""
        value = self.evaluate(frame, names=names)
        if isinstance(value, bool | np.bool_):
            return pd.Series(bool(value), index=frame.index)
        if not isinstance(value, pd.Series) or not pd.api.types.is_bool_dtype(value.dtype):
            raise self._fail("is not a true/false expression: compare a value, e.g. amount > 0")
        return value.fillna(False).astype(bool)

    # ------------------------------------------------------------------ ibis
    def to_ibis(self, table, *, names: dict | None = None):
        """The same expression on an Ibis table (missing values never match, as in pandas)."""
        import ibis

        def node(n):  # noqa: PLR0911 - one branch per construct
            if isinstance(n, ast.Name):
                if n.id in (names or {}):
                    return names[n.id]
                if n.id not in table.columns:
                    raise self._fail(_unknown(n.id, list(table.columns)))
                return table[n.id]
            if isinstance(n, ast.Constant):
                return ibis.literal(n.value)
            if isinstance(n, ast.BoolOp):
                parts = [node(v) for v in n.values]
                return functools.reduce(operator.and_ if isinstance(n.op, ast.And) else operator.or_, parts)
            if isinstance(n, ast.UnaryOp):
                value = node(n.operand)
                return ~value if isinstance(n.op, ast.Not) else (-value if isinstance(n.op, ast.USub) else value)
            if isinstance(n, ast.BinOp):
                return _ARITH[type(n.op)](node(n.left), node(n.right))
            if isinstance(n, ast.Call):
                return FUNCTIONS[n.func.id][2](node(n.args[0]), *[a.value for a in n.args[1:]])
            left, out = node(n.left), None
            for op, comp in zip(n.ops, n.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    values = [e.value for e in comp.elts]
                    hit = left.isin(values) if isinstance(op, ast.In) else left.notin(values)
                    right = None
                else:
                    right = node(comp)
                    hit = _COMPARE[type(op)](left, right)
                hit = hit.fill_null(False)
                out = hit if out is None else out & hit
                left = right
            return out

        return node(self.tree.body)


class _Env:
    """Evaluation of one expression over one frame (columns converted once)."""

    def __init__(self, frame: pd.DataFrame, names: dict, expr: Expression):
        self.frame, self.names, self.expr, self.cache = frame, names, expr, {}

    def column(self, name: str) -> pd.Series:
        if name not in self.cache:
            if name in self.names:
                value = self.names[name]
            elif name in self.frame.columns:
                value = self.frame[name]
            else:
                raise self.expr._fail(_unknown(name, [*map(str, self.frame.columns), *self.names]))
            self.cache[name] = _plain(pd.Series(value, index=self.frame.index)
                                      if not isinstance(value, pd.Series) else value)
        return self.cache[name]

    def node(self, n):  # noqa: PLR0911 - one branch per construct
        if isinstance(n, ast.Name):
            return self.column(n.id)
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.BoolOp):
            parts = [self.truth(v) for v in n.values]
            return functools.reduce(operator.and_ if isinstance(n.op, ast.And) else operator.or_, parts)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            value = self.truth(n.operand)
            return ~value if isinstance(value, pd.Series) else not value
        if isinstance(n, ast.UnaryOp):
            value = self.number(n.operand)
            return -value if isinstance(n.op, ast.USub) else value
        if isinstance(n, ast.BinOp):
            return self.arith(n)
        if isinstance(n, ast.Call):
            return self.call(n)
        return self.compare(n)

    def truth(self, n):
        value = self.node(n)
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, pd.Series) and pd.api.types.is_bool_dtype(value.dtype):
            return value.fillna(False).astype(bool)
        raise self.expr._fail(f"{ast.unparse(n)!r} is not true/false: compare it (e.g. {ast.unparse(n)} > 0)")

    def number(self, n):
        value = self.node(n)
        if _is_text(value):
            raise self.expr._fail(f"{ast.unparse(n)!r} is text: only numbers take a sign")
        return value

    def arith(self, n: ast.BinOp):
        left, right = self.node(n.left), self.node(n.right)
        if (_is_text(left) or _is_text(right)) and not isinstance(n.op, ast.Add):
            raise self.expr._fail(f"{ast.unparse(n)!r}: text only joins with +")
        if isinstance(n.op, ast.Add) and _is_text(left) != _is_text(right):
            raise self.expr._fail(f"{ast.unparse(n)!r}: cannot add text and a number")
        return _ARITH[type(n.op)](left, right)

    def call(self, n: ast.Call):
        args = [self.node(a) for a in n.args]
        first = args[0] if isinstance(args[0], pd.Series) else pd.Series(args[0], index=self.frame.index)
        return _plain(FUNCTIONS[n.func.id][1](first, *args[1:]))

    def compare(self, n: ast.Compare):
        left, out = self.node(n.left), None
        for op, comp in zip(n.ops, n.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                values = [e.value for e in comp.elts]
                series = left if isinstance(left, pd.Series) else pd.Series([left] * len(self.frame),
                                                                            index=self.frame.index)
                hit = series.isin(values)
                hit = (~hit if isinstance(op, ast.NotIn) else hit) & series.notna()
                right = None
            else:
                right = self.node(comp)
                hit = _compare(_COMPARE[type(op)], left, right, self.frame.index)
            out = hit if out is None else out & hit
            left = right
        return out


def _compare(op, left, right, index) -> pd.Series:
    """`left op right`, False wherever either side is missing; text compared as text."""
    ls = left if isinstance(left, pd.Series) else pd.Series([left] * len(index), index=index, dtype=object
                                                            if isinstance(left, str) else None)
    known = ls.notna() & (right.notna() if isinstance(right, pd.Series) else pd.notna(right))
    out = pd.Series(False, index=index)
    if known.any():
        r = right[known] if isinstance(right, pd.Series) else right
        out[known] = np.asarray(op(ls[known], r), dtype=bool)
    return out


def _is_text(value) -> bool:
    return isinstance(value, str) or (isinstance(value, pd.Series) and value.dtype == object)


def _plain(s: pd.Series) -> pd.Series:
    """Numbers as numpy (float with NaN when something is missing); text as objects with None."""
    if pd.api.types.is_bool_dtype(s.dtype) or (pd.api.types.is_numeric_dtype(s.dtype)
                                               and not isinstance(s.dtype, pd.CategoricalDtype)):
        if s.isna().any():
            return s.astype("float64") if not pd.api.types.is_extension_array_dtype(s.dtype) \
                else pd.Series(s.to_numpy("float64", na_value=np.nan), index=s.index)
        return pd.Series(s.to_numpy(), index=s.index)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    return s.astype(object).where(s.notna(), None)


def _unknown(name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no column {name!r}{hint}; the columns are {', '.join(available)}"


def parse_expression(text, *, where: str = "expression") -> Expression:
    """Parse and check `text` (once: trees are cached); `where` names the file and key in errors."""
    if not isinstance(text, str | int | float):
        raise ExpressionError(f"{where}: expected an expression as text, got {text!r}")
    text = str(text).strip()
    if not text:
        raise ExpressionError(f"{where}: the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{where}: the expression is {len(text)} characters long; "
                              f"at most {MAX_LENGTH} are accepted")
    try:
        tree, names = _checked(text)
    except SyntaxError as exc:
        raise ExpressionError(f"{where}: {text!r} is not a valid expression "
                              f"(at character {exc.offset or 0}: {exc.msg})") from None
    except _Rejected as exc:
        raise ExpressionError(f"{where}: {text!r}: {exc}; {_HELP}") from None
    return Expression(text, tree, names, where)


@functools.lru_cache(maxsize=1024)
def _checked(text: str) -> tuple[ast.Expression, frozenset[str]]:
    try:
        tree = ast.parse(text.replace("\r", " ").replace("\n", " "), mode="eval")
    except (RecursionError, MemoryError):
        raise _Rejected(text[:40], "is nested too deeply") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise _Rejected(text[:40] + "...", f"has {len(nodes)} parts; at most {MAX_NODES} are accepted")
    lists = {id(c) for n in nodes if isinstance(n, ast.Compare)
             for op, c in zip(n.ops, n.comparators, strict=True) if isinstance(op, ast.In | ast.NotIn)}
    for n in nodes:
        _check(n)
        if isinstance(n, ast.List | ast.Tuple) and id(n) not in lists:
            raise _Rejected(ast.unparse(n), "is a list: lists only follow in / not in")
    names = frozenset(n.id for n in nodes if isinstance(n, ast.Name)) - {
        n.func.id for n in nodes if isinstance(n, ast.Call)}
    return tree, names


def _check(n: ast.AST) -> None:  # noqa: PLR0912 - one branch per construct
    if type(n) in _SYMBOL:
        raise _Rejected(_SYMBOL[type(n)], "is not allowed")
    if not isinstance(n, _ALLOWED):
        token = ast.unparse(n) if isinstance(n, ast.expr) else type(n).__name__
        raise _Rejected(token, "is not allowed")
    if isinstance(n, ast.Constant):
        if isinstance(n.value, bool) or isinstance(n.value, str | float):
            return
        if isinstance(n.value, int) and abs(n.value) <= _MAX_INT:
            return
        raise _Rejected(repr(n.value)[:40], "is not an accepted literal")
    if isinstance(n, ast.Call):
        if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS:
            raise _Rejected(ast.unparse(n.func), "is not one of the functions")
        counts = FUNCTIONS[n.func.id][0]
        if n.keywords or len(n.args) not in counts or any(isinstance(a, ast.Starred) for a in n.args):
            raise _Rejected(ast.unparse(n), f"takes {' or '.join(map(str, counts))} plain argument(s)")
        if n.func.id == "round" and len(n.args) == 2 and not (
                isinstance(n.args[1], ast.Constant) and type(n.args[1].value) is int):
            raise _Rejected(ast.unparse(n), "takes a whole number of decimals")
    if isinstance(n, ast.Compare):
        for op, comp in zip(n.ops, n.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn) and not (
                    isinstance(comp, ast.List | ast.Tuple)
                    and all(isinstance(e, ast.Constant) for e in comp.elts)):
                raise _Rejected(ast.unparse(comp), "must be a list of values, e.g. ['a', 'b']")
