"""Buyer personas from customer data, as cards a marketer can use.

The method, step by step (notebook ``01_persona_discovery``):

1. :func:`persona_features`: one row per buyer, from the engine: demographics (customers),
   behaviour (:func:`workbench.rfm.rfm_table` plus basket and discount), category and
   channel mix, service incidents. Any customer table works too:
   :meth:`PersonaFeatures.from_frame`.
2. :class:`PersonaModel`: encodes the mixed data (log, winsorising, standardising, one-hot),
   chooses the number of personas by silhouette (or BIC for a Gaussian mixture), clusters
   (k-means, Gaussian mixture or Ward), checks each persona's bootstrap stability and
   projects customers on a plane. Deterministic for a seed.
3. :func:`persona_cards`: size, revenue share, traits ranked by effect size against the whole
   base written as sentences, a short name and contrasts; :func:`describe_base`,
   :func:`drilldown` and :func:`drilldown_findings` read a table as the article does.
4. Uses: :func:`category_affinity`, :func:`product_fit`, :func:`incident_profile` and
   :func:`recurring_incidents`.
5. Exports: :func:`write_personas`; any notebook reads segments with :func:`read_segments`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from workbench.data.dataset import CRMData
from workbench.personas import (
    examples,  # the notebook's worked example: the article's five-customer table
)
from workbench.personas import model as M
from workbench.personas.cards import (
    PersonaCard,
    PersonaCards,
    build_cards,
    describe_base,
    trait_table,
)
from workbench.personas.drill import compare_with, drilldown, drilldown_columns, drilldown_findings
from workbench.personas.features import (
    CATALOGUE,
    DEFAULT_GROUPS,
    GROUPS,
    PersonaFeatures,
    build_features,
    spec_of,
)
from workbench.personas.io import read_segments, write_personas
from workbench.personas.text import AGE_LABELS, age_band
from workbench.personas.uses import (
    category_affinity,
    incident_profile,
    product_fit,
    recurring_incidents,
)

__all__ = [
    "examples",
    "PersonaFeatures", "PersonaModel", "PersonaCard", "PersonaCards", "persona_features",
    "persona_cards", "trait_table", "describe_base", "drilldown", "drilldown_columns", "drilldown_findings", "compare_with",
    "category_affinity", "product_fit", "incident_profile", "recurring_incidents",
    "write_personas", "read_segments", "age_band", "GROUPS", "DEFAULT_GROUPS", "ALGORITHMS",
    "AGE_LABELS", "CATALOGUE",
]

log = logging.getLogger(__name__)

ALGORITHMS = M.ALGORITHMS
MAX_AGGLOMERATIVE = 20_000  # Ward's method holds an n x n distance matrix


def persona_features(crm: CRMData, *, as_of, features=None, mix_prior: float = 2.0) -> PersonaFeatures:
    """Descriptors of every buyer up to `as_of`, and the ones to cluster on.

    Parameters
    ----------
    crm
        A loaded source; needs ``orders`` or ``customers`` (more tables, more descriptors).
    as_of
        Analysis date, inclusive: later orders and incidents are ignored.
    features
        Names and/or groups (``demographics``, ``behaviour``, ``categories``, ``channels``,
        ``service``, ``profile``, ``value``), as a list or a comma-separated string. None: the
        default groups, with whatever this source can provide (what it cannot is listed in
        ``.skipped``). A feature named explicitly that is empty for every customer is an error.
    mix_prior
        Category and channel shares are shrunk toward the whole base's mix by this many
        average lines (orders), so that one order does not make a customer "100 % garden".
    """
    out = build_features(crm, as_of=as_of, features=None, mix_prior=mix_prior)
    order = sorted(out.descriptors, key=lambda c: GROUPS.index(g) if (g := spec_of(c).group) in GROUPS
                   else len(GROUPS))
    out.table = out.table[["customer_id", *order]]
    return out if features is None else out.select(features)


class PersonaModel:
    """Cluster customers into personas, choosing their number, and check their stability.

    Parameters
    ----------
    algorithm
        ``"kmeans"`` (default), ``"gmm"`` (Gaussian mixture, full regularised covariances) or
        ``"agglomerative"`` (Ward's method).
    n_personas
        A fixed number of personas; None chooses it in `k_range` by `criterion`.
    k_range
        Smallest and largest number of personas tried (inclusive).
    criterion
        ``"silhouette"`` (highest wins; any algorithm) or ``"bic"`` (lowest wins; ``gmm``).
    n_bootstrap
        Bootstrap resamples of the stability check (0 skips it).
    winsorize
        Share clipped at each end of every numeric feature (outliers).
    seed
        Seed of every random step: the same seed gives the same personas.

    Attributes
    ----------
    labels_ : Series
        Persona id (``P1`` the largest) per ``customer_id``.
    n_personas_ : int
    choice_ : DataFrame
        Per k: silhouette, BIC (mixtures), inertia, smallest persona, and the chosen one.
    encoding_ : DataFrame
        Per feature: transform, missing values imputed, outliers clipped, status.
    stability_ : DataFrame or None
        Per persona: mean and lowest bootstrap Jaccard, mean persona-vs-rest ARI, verdict.
    bootstrap_ari_ : ndarray
        Adjusted Rand index of each bootstrap partition against the fitted one.
    projection_ : DataFrame
        ``customer_id, x, y, persona``: the first two principal components.
    explained_variance_ : ndarray
        Share of variance carried by each of the two axes.
    """

    def __init__(self, *, algorithm: str = "kmeans", n_personas: int | None = None,
                 k_range: tuple[int, int] = (2, 8), criterion: str = "silhouette",
                 n_bootstrap: int = 20, winsorize: float = 0.01, seed: int = 42) -> None:
        self.algorithm, self.n_personas, self.k_range = algorithm, n_personas, k_range
        self.criterion, self.n_bootstrap, self.winsorize, self.seed = criterion, n_bootstrap, winsorize, seed

    def fit(self, features: PersonaFeatures | pd.DataFrame) -> PersonaModel:
        """Choose the number of personas, cluster, check stability; returns self."""
        if isinstance(features, pd.DataFrame):
            features = PersonaFeatures.from_frame(features)
        ks = self._check(features.n_customers)
        import sklearn.cluster  # noqa: F401  (loads the OpenMP runtime, so the limit below binds it)
        from threadpoolctl import threadpool_limits

        # one thread: OpenMP spinning makes k-means 10-30x slower on a shared or busy machine
        with threadpool_limits(limits=1):
            return self._fit(features, ks)

    def _fit(self, features: PersonaFeatures, ks: list[int]) -> PersonaModel:
        enc = M.encode(features, winsorize=self.winsorize)
        x = enc.matrix
        choice = M.model_choice(x, ks, algorithm=self.algorithm, seed=self.seed)
        k = self.n_personas or M.pick_k(choice, self.criterion)
        choice["chosen"] = choice["k"] == k
        labels, _ = M.fit_labels(x, k, self.algorithm, self.seed)
        labels = M.relabel_by_size(labels)
        ids = pd.Index(features.table["customer_id"].astype("str"), name="customer_id")
        self.labels_ = pd.Series([f"P{j + 1}" for j in labels], index=ids, name="persona")
        self.n_personas_, self.choice_, self.encoding_ = k, choice, enc.report
        self.feature_names_, self.columns_ = list(features.features), enc.columns
        self._stability(x, labels)
        xy, self.explained_variance_ = M.projection(x, seed=self.seed)
        self.projection_ = pd.DataFrame({"customer_id": ids, "x": xy[:, 0], "y": xy[:, 1],
                                         "persona": self.labels_.to_numpy()})
        log.info("%d personas (%s, %s) on %d customers and %d features", k, self.algorithm,
                 "fixed" if self.n_personas else self.criterion, len(x), len(self.feature_names_))
        return self

    def _stability(self, x: np.ndarray, labels: np.ndarray) -> None:
        self.stability_, self.bootstrap_ari_ = None, np.array([])
        if self.n_bootstrap:
            table, overall = M.bootstrap_stability(x, labels, algorithm=self.algorithm,
                                                   seed=self.seed, n_bootstrap=self.n_bootstrap)
            table.index = pd.Index([f"P{j + 1}" for j in range(len(table))], name="persona")
            self.stability_, self.bootstrap_ari_ = table, overall

    def _check(self, n: int) -> list[int]:
        """Validate the settings against `n` customers; the ks to try."""
        if self.algorithm not in M.ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(M.ALGORITHMS)}, not {self.algorithm!r}")
        if self.criterion not in M.CRITERIA:
            raise ValueError(f"criterion must be one of {', '.join(M.CRITERIA)}, not {self.criterion!r}")
        if self.criterion == "bic" and self.algorithm != "gmm":
            raise ValueError("criterion='bic' needs a likelihood: use algorithm='gmm', or criterion='silhouette'")
        if not (isinstance(self.n_bootstrap, int | np.integer) and self.n_bootstrap >= 0):
            raise ValueError(f"n_bootstrap must be a whole number >= 0, not {self.n_bootstrap!r}")
        if n < 3:
            raise ValueError(f"persona discovery needs at least 3 customers to compare groups; got {n}")
        if self.algorithm == "agglomerative" and n > MAX_AGGLOMERATIVE:
            raise ValueError(f"agglomerative clustering holds an n x n matrix: {n:,} customers is too "
                             f"many (at most {MAX_AGGLOMERATIVE:,}); use algorithm='kmeans' or 'gmm'")
        if self.n_personas is not None:
            k = self.n_personas
            if not (isinstance(k, int | np.integer) and k >= 2):
                raise ValueError(f"n_personas must be a whole number of at least 2 (or None to "
                                 f"choose it), not {k!r}")
            if k >= n:
                raise ValueError(f"asked for {k} personas but there are only {n} customers: ask for "
                                 f"at most {n - 1}, or None to choose by {self.criterion}")
        lo, hi = self.k_range
        if not (2 <= lo <= hi):
            raise ValueError(f"k_range must be (smallest, largest) with 2 <= smallest <= largest, "
                             f"not {self.k_range!r}")
        if lo > n - 1:
            raise ValueError(f"k_range starts at {lo} personas but there are only {n} customers")
        if hi > n - 1:
            log.warning("k_range capped at %d personas: there are only %d customers", n - 1, n)
        ks = list(range(lo, min(hi, n - 1) + 1))
        if self.n_personas is not None and self.n_personas not in ks:
            ks = sorted(ks + [int(self.n_personas)])
        return ks


def persona_cards(features: PersonaFeatures | pd.DataFrame, labels, *, currency: str = "",
                  max_traits: int = 6, min_effect: float = 0.3,
                  stability: pd.DataFrame | None = None) -> PersonaCards:
    """One card per persona: size, revenue share, traits as sentences, short name, contrasts.

    Parameters
    ----------
    features
        The descriptors (all of them describe, whichever were clustered on).
    labels
        Persona per ``customer_id`` (``model.labels_``), covering every customer of `features`.
    currency
        Prefix of amounts in sentences (``"€"``, ``"$"``).
    max_traits, min_effect
        Traits shown: those whose effect size reaches `min_effect` (at least three), at most
        `max_traits`, strongest first.
    stability
        ``model.stability_``, to show each persona's bootstrap stability on its card.
    """
    if isinstance(features, pd.DataFrame):
        features = PersonaFeatures.from_frame(features)
    traits = trait_table(features, labels, currency=currency)
    return build_cards(features, labels, traits=traits, max_traits=max_traits,
                       min_effect=min_effect, stability=stability)
