"""The way in: the data contract, sources, parsing, mappings, validation and ``load``.

Every method reads its tables through :func:`load`, which gives a :class:`CRMData` of
contract tables (canonical names and types), with the rejects and the reconciliation beside
them. Modules, one role each: ``contract`` (tables, columns, types and rules as code),
``sources`` (files and databases read as raw text), ``parsing`` (numbers, dates, yes/no words
by dialect), ``mapping`` (an export's layout onto the contract, from YAML), ``transform``
(a mapping applied to a raw table), ``rules`` (the contract as a pandera schema, reasons a
person can act on), ``validation`` (one table checked, rejects split), ``dataset`` (``load``
and :class:`CRMData`), ``quality`` (reconciliation, rejects by rule, profiles), ``postgres``
(a PostgreSQL database as a source), ``remote`` and ``backends`` (the contract checked on
PostgreSQL or Spark, for ``--engine postgres`` / ``spark``). This package imports no method.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .contract import CONTRACT
    from .dataset import CRMData, load
    from .mapping import MappingError
    from .sources import SourceError
    from .validation import ContractError

__all__ = ["CONTRACT", "CRMData", "load", "MappingError", "SourceError", "ContractError"]

__getattr__ = lazy_getattr(
    __name__,
    {"CONTRACT": "contract", "CRMData": "dataset", "load": "dataset",
     "MappingError": "mapping", "SourceError": "sources", "ContractError": "validation"},
)
