"""Pseudonymised loads: keyed hashes for customer ids, no names, e-mails, phones or addresses.

``wb.load(..., pseudonymise=True)`` (the ``pseudonymise`` parameter of every notebook,
``workbench run|rfm|validate --pseudonymise``, ``parameters: {pseudonymise: true}`` in a schedule)
hands every method tables where:

- each ``customer_id`` is replaced by ``p_`` and 16 hex digits of an HMAC-SHA256 of the id
  under a secret key: the same customer gets the same pseudonym in every table, so joins and
  every analysis still work, but the id cannot be recovered without the key;
- the contract's ``name`` column and every kept extra column whose name says it holds a name,
  an e-mail, a phone number or an address are dropped (consent flags stay);
- rejects and rejected rows get the same treatment: a rejected value of such a column is
  replaced by ``(removed)``, a customer id (also in a raw column named like ``id``,
  ``client_no``..., and where a reason quotes it) by its pseudonym.

The key comes from the environment variable ``WORKBENCH_PSEUDONYM_KEY`` (set it to link
pseudonyms across runs and with the CRM); without it a random key is drawn for the process (the
command line draws one per run, shared by its reports) and pseudonyms differ between runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import os
import re
import secrets

import pandas as pd

__all__ = ["pseudonymise", "pseudonym", "personal_columns", "KEY_VARIABLE"]

log = logging.getLogger(__name__)

KEY_VARIABLE = "WORKBENCH_PSEUDONYM_KEY"
_PROCESS_KEY = secrets.token_hex(32)
#: Column names (normalised: lower case, ``_`` for spaces and dashes) that hold personal data.
_PERSONAL = re.compile(
    r"^(name|(first|last|full|given|family|sur|maiden|contact|customer|client)_?name|surname|"
    r"nom|prenom|e_?mail(_?address)?|mail_?address|courriel|phone(_?number)?|tel(ephone)?|mobile|"
    r"cell(_?phone)?|fax|portable|(postal_|street_|home_)?address(_?line_?\d)?|adresse|street|"
    r"rue|zip(_?code)?|post_?code|postal_?code|code_?postal|birth_?date|date_of_birth|dob)$")
_ID_COLUMNS = {"customer_id"}
REMOVED = "(removed)"


def _norm(name) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def personal_columns(columns) -> list[str]:
    """The columns among `columns` that hold names, e-mails, phones, addresses or birth dates."""
    return [c for c in columns if _PERSONAL.match(_norm(c))]


def _key() -> bytes:
    return (os.environ.get(KEY_VARIABLE) or _PROCESS_KEY).encode()


def pseudonym(values: pd.Series, *, key: bytes | None = None) -> pd.Series:
    """``p_`` + 16 hex digits of HMAC-SHA256(key, id) for each id; missing ids stay missing."""
    key = key or _key()

    def one(v):
        return "p_" + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:16]

    out = values.map(one, na_action="ignore")
    return out.astype(values.dtype) if isinstance(values.dtype, pd.StringDtype) else out


#: Raw column names that hold a customer's identifier in an export (rejected rows keep raw names).
_RAW_ID = re.compile(r"^(customer|client|cust|contact|buyer)?_?(id|no|nr|num|number|code|ref)$|^n°_?client$")


def _id_columns(frame: pd.DataFrame, *, raw: bool) -> list[str]:
    return [c for c in frame.columns if _norm(c) in _ID_COLUMNS
            or (raw and c not in ("row", "reasons") and _RAW_ID.match(_norm(c)))]


def _table(frame: pd.DataFrame, key: bytes, *, raw: bool = False) -> pd.DataFrame:
    out = frame.drop(columns=personal_columns(frame.columns))
    for col in _id_columns(out, raw=raw):
        out[col] = pseudonym(out[col], key=key)
    return out


_QUOTED = re.compile(r"'([^']*)'|(?<== )(\S+)")


def _scrub(text, known: set[str], key: bytes):
    """A reason with the customer ids it quotes ('C2', customer_id = C2) replaced by pseudonyms."""
    if not isinstance(text, str):
        return text

    def swap(m):
        value = m.group(1) if m.group(1) is not None else m.group(2)
        if value not in known:
            return m.group(0)
        new = pseudonym(pd.Series([value]), key=key)[0]
        return f"'{new}'" if m.group(1) is not None else new

    return _QUOTED.sub(swap, text)


def _known_ids(crm) -> set[str]:
    known = set()
    for frame in crm.tables.values():
        for col in _id_columns(frame, raw=False):
            known |= set(frame[col].dropna().astype(str))
    for frame in crm.rejected_rows.values():
        for col in _id_columns(frame, raw=True):
            known |= set(frame[col].dropna().astype(str))
    if not crm.rejects.empty and "column" in crm.rejects:
        known |= set(crm.rejects.loc[crm.rejects["column"].isin(_ID_COLUMNS), "value"].dropna().astype(str))
    return known


def _rejects(rejects: pd.DataFrame, key: bytes, known: set[str]) -> pd.DataFrame:
    if rejects.empty or "column" not in rejects:
        return rejects
    out = rejects.copy()
    ids = out["column"].isin(_ID_COLUMNS)
    personal = out["column"].isin(personal_columns(out["column"].unique()))
    if "reason" in out:  # reasons quote the value: say it without it
        for i in out.index[personal]:
            raw = rejects.at[i, "value"]
            if isinstance(raw, str) and raw:
                out.at[i, "reason"] = str(out.at[i, "reason"]).replace(raw, REMOVED)
        out["reason"] = out["reason"].map(lambda t: _scrub(t, known, key))
    out.loc[ids, "value"] = pseudonym(out.loc[ids, "value"], key=key)
    out.loc[personal, "value"] = REMOVED
    return out


def pseudonymise(crm, *, key: str | bytes | None = None):
    """A copy of a loaded :class:`~workbench.data.dataset.CRMData`, pseudonymised (see the module)."""
    key = key.encode() if isinstance(key, str) else (key or _key())
    if key == _PROCESS_KEY.encode():
        log.info("pseudonymised with a key drawn for this process (set %s to keep pseudonyms "
                 "stable across runs)", KEY_VARIABLE)
    dropped = sorted({c for f in crm.tables.values() for c in personal_columns(f.columns)})
    known = _known_ids(crm)
    tables = {name: _table(frame, key) for name, frame in crm.tables.items()}
    rejected = {}
    for name, frame in crm.rejected_rows.items():
        rejected[name] = _table(frame, key, raw=True)
        if "reasons" in rejected[name]:
            rejected[name]["reasons"] = rejected[name]["reasons"].map(lambda t: _scrub(t, known, key))
    note = ("pseudonymised: customer ids replaced by keyed hashes"
            + (f"; dropped {', '.join(dropped)}" if dropped else ""))
    return dataclasses.replace(crm, tables=tables, rejects=_rejects(crm.rejects, key, known),
                               rejected_rows=rejected, notes=[*crm.notes, note],
                               customers_truth=None if crm.customers_truth is None else
                               _table(crm.customers_truth, key), _engine=None)
