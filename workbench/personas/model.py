"""Encoding, clustering, model choice and bootstrap stability for persona discovery.

Private to :mod:`workbench.personas`.

Mixed data are handled by encoding, on purpose: numbers are log-scaled when skewed,
winsorised, imputed (with a missing-value indicator) and standardised; each categorical
variable becomes one-hot columns weighted by sqrt(1/2), so that two customers in different
levels are as far apart as two customers one standard deviation apart on a number. The
encoded matrix is Euclidean, which lets k-means, a Gaussian mixture and Ward's agglomerative
clustering share it, and lets one 2-D projection show all three.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.personas.features import PersonaFeatures

log = logging.getLogger(__name__)

ALGORITHMS = ("kmeans", "gmm", "agglomerative")
CRITERIA = ("silhouette", "bic")
ONE_HOT_WEIGHT = np.sqrt(0.5)
MIN_LEVEL_SHARE = 0.01  # rarer categorical levels are pooled into "other"


@dataclass
class Encoded:
    """The design matrix, its column names, and a line per feature saying what was done."""

    matrix: np.ndarray
    columns: list[str]
    report: pd.DataFrame


def encode(features: PersonaFeatures, *, winsorize: float = 0.01) -> Encoded:
    """Turn the clustering features into a standardised numeric matrix, reporting every step."""
    if not 0 <= winsorize < 0.5:
        raise ValueError(f"winsorize must be a share in [0, 0.5), e.g. 0.01; got {winsorize!r}")
    table = features.table
    blocks, names, rows = [], [], []
    for name in features.features:
        spec = features.spec(name)
        if spec.kind == "numeric":
            block, cols, row = _numeric(name, features.shrunk(name), spec.log, winsorize)
            if name in features.mix_base and features.mix_prior:
                row["transform"] = f"shrunk toward the base by {features.mix_prior:g}, " + row["transform"]
        else:
            block, cols, row = _categorical(name, table[name])
        rows.append(row)
        if block is not None:
            blocks.append(block)
            names += cols
    report = pd.DataFrame(rows).astype({"levels": "Int64"})
    if not blocks:
        raise ValueError("every feature is constant for these customers: nothing separates them; "
                         "choose other features")
    return Encoded(np.column_stack(blocks), names, report)


def _numeric(name: str, s: pd.Series, log_scale: bool, q: float):
    x = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(x)
    row = {"feature": name, "kind": "numeric", "missing": int(missing.sum()), "transform": "",
           "clipped": 0, "levels": np.nan, "status": "used"}
    steps = []
    if log_scale and np.nanmin(x) >= 0:
        x = np.log1p(x)
        steps.append("log1p")
    ok = x[~missing]
    if q > 0 and len(ok) > 2:
        lo, hi = np.quantile(ok, [q, 1 - q])
        row["clipped"] = int(((ok < lo) | (ok > hi)).sum())
        x = np.where(missing, np.nan, np.clip(x, lo, hi))
        steps.append(f"winsorised at {100 * q:g}-{100 * (1 - q):g} %")
    fill = float(np.nanmedian(x))
    x = np.where(missing, fill, x)
    sd = float(x.std())
    row["transform"] = ", ".join(steps + ["standardised"])
    if sd == 0 or not np.isfinite(sd):
        row.update(status="dropped: the same value for every customer", transform="")
        return None, [], row
    cols, block = [name], [(x - np.median(x)) / sd]
    if missing.any():
        row["transform"] += f"; {int(missing.sum())} missing set to the median, with an indicator"
        cols.append(f"{name} missing")
        block.append(ONE_HOT_WEIGHT * missing.astype(float))
    return np.column_stack(block), cols, row


def _categorical(name: str, s: pd.Series):
    v = s.astype("object").where(s.notna(), "not stated").astype(str)
    share = v.value_counts(normalize=True)
    rare = share[share < MIN_LEVEL_SHARE].index
    row = {"feature": name, "kind": "categorical", "missing": int(s.isna().sum()), "clipped": 0,
           "status": "used"}
    if len(rare) > 1:
        v = v.where(~v.isin(rare), "other")
    levels = sorted(v.unique())
    row["levels"] = len(levels)
    row["transform"] = f"one-hot x {ONE_HOT_WEIGHT:.3f}" + (
        f"; {len(rare)} levels under {100 * MIN_LEVEL_SHARE:g} % pooled as 'other'" if len(rare) > 1 else "")
    if len(levels) < 2:
        row.update(status="dropped: the same value for every customer", transform="")
        return None, [], row
    block = np.column_stack([ONE_HOT_WEIGHT * (v == lv).to_numpy(float) for lv in levels])
    return block, [f"{name}={lv}" for lv in levels], row


def fit_labels(x: np.ndarray, k: int, algorithm: str, seed: int):
    """Cluster labels of `x` into `k` groups, and the fitted estimator (or the centroids)."""
    if algorithm == "kmeans":
        from sklearn.cluster import KMeans

        est = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
        return est.labels_, est
    if algorithm == "gmm":
        from sklearn.mixture import GaussianMixture

        # full covariances, regularised: the one-hot columns make a diagonal model degenerate
        est = GaussianMixture(n_components=k, covariance_type="full", n_init=3, reg_covar=1e-3,
                              random_state=seed).fit(x)
        return est.predict(x), est
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    return labels, _centroids(x, labels, k)


def _centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.vstack([x[labels == j].mean(axis=0) for j in range(k)])


def predict(est, x: np.ndarray) -> np.ndarray:
    """Labels of new rows: the estimator's own rule, or the nearest centroid (agglomerative)."""
    if isinstance(est, np.ndarray):
        d = ((x[:, None, :] - est[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)
    return est.predict(x)


def model_choice(x: np.ndarray, ks, *, algorithm: str, seed: int, sample: int = 2000) -> pd.DataFrame:
    """Silhouette (on a seeded sample of at most `sample` rows), BIC (mixtures), inertia, per k."""
    from sklearn.metrics import silhouette_score

    rows = []
    for k in ks:
        labels, est = fit_labels(x, k, algorithm, seed)
        n_found = len(np.unique(labels))
        sil = (silhouette_score(x, labels, sample_size=min(sample, len(x)), random_state=seed)
               if 1 < n_found < len(x) else np.nan)
        bic = est.bic(x) if algorithm == "gmm" else np.nan
        centers = _centroids(x, labels, k) if n_found == k else None
        inertia = float(((x - centers[labels]) ** 2).sum()) if centers is not None else np.nan
        rows.append({"k": k, "silhouette": float(sil), "bic": float(bic), "inertia": inertia,
                     "smallest_pct": round(100 * np.bincount(labels, minlength=k).min() / len(x), 1)})
    return pd.DataFrame(rows)


def pick_k(choice: pd.DataFrame, criterion: str) -> int:
    """The k that maximises the silhouette, or minimises the BIC."""
    col = "silhouette" if criterion == "silhouette" else "bic"
    valid = choice.dropna(subset=[col])
    if valid.empty:
        raise ValueError(f"no k in the range gives a {col}: widen k_range or use more customers")
    best = valid[col].idxmax() if criterion == "silhouette" else valid[col].idxmin()
    return int(choice.loc[best, "k"])


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 from the largest to the smallest (ties: first seen first)."""
    counts = np.bincount(labels)
    order = sorted(range(len(counts)), key=lambda j: (-counts[j], int(np.argmax(labels == j))))
    mapping = np.empty(len(counts), int)
    mapping[order] = np.arange(len(counts))
    return mapping[labels]


def bootstrap_stability(x: np.ndarray, labels: np.ndarray, *, algorithm: str, seed: int,
                        n_bootstrap: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Refit on bootstrap resamples; per persona, how well it is found again.

    For each resample the model is refitted with the same k and every customer is assigned
    by it. Per persona: the Jaccard similarity with its best-matching bootstrap cluster
    (Hennig 2007) and the adjusted Rand index of the persona-versus-rest split; overall: the
    adjusted Rand index of the whole partition. Returns the per-persona means and the
    overall index of each resample.
    """
    from sklearn.metrics import adjusted_rand_score

    k = int(labels.max()) + 1
    rng = np.random.default_rng(seed)
    jac, ari = np.zeros((n_bootstrap, k)), np.zeros((n_bootstrap, k))
    overall = np.zeros(n_bootstrap)
    for b in range(n_bootstrap):
        idx = rng.integers(0, len(x), len(x))
        _, est = fit_labels(x[idx], k, algorithm, seed + b + 1)
        other = predict(est, x)
        overall[b] = adjusted_rand_score(labels, other)
        for p in range(k):
            mine = labels == p
            inter = np.array([(mine & (other == q)).sum() for q in range(k)])
            union = np.array([(mine | (other == q)).sum() for q in range(k)])
            scores = inter / np.maximum(union, 1)
            best = int(scores.argmax())
            jac[b, p] = scores[best]
            ari[b, p] = adjusted_rand_score(mine, other == best)
    table = pd.DataFrame({"jaccard": jac.mean(axis=0), "jaccard_min": jac.min(axis=0),
                          "ari": ari.mean(axis=0)})
    table["verdict"] = pd.cut(table["jaccard"], [-1, 0.6, 0.75, 2],
                              labels=["unstable", "fair", "stable"], right=False).astype(str)
    return table, overall


def projection(x: np.ndarray, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """First two principal components of the encoded matrix and their explained variance."""
    from sklearn.decomposition import PCA

    n = min(2, x.shape[1])
    pca = PCA(n_components=n, random_state=seed).fit(x)
    xy = pca.transform(x)
    if n == 1:
        xy = np.column_stack([xy, np.zeros(len(x))])
    ratio = np.pad(pca.explained_variance_ratio_, (0, 2 - n))
    return xy, ratio
