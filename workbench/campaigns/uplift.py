"""Campaign ROI, part 8: a per-contact uplift model (two-model learner) and its Qini curve.

Private to :mod:`workbench.campaigns`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from workbench.campaigns.outcomes import CONTROL

__all__ = ["MIN_UPLIFT_GROUP", "uplift_needs", "uplift_scores", "qini_curve"]

log = logging.getLogger(__name__)

#: Treated and control contacts an uplift model needs, at least, in controlled campaigns.
MIN_UPLIFT_GROUP = 200


def uplift_needs(outcomes: pd.DataFrame, *, control: str = CONTROL) -> str:
    """"" when `outcomes` has enough contacts for :func:`uplift_scores`; else the sentence why not."""
    with_ctrl = outcomes.groupby("campaign_id")["group"].transform(lambda g: (g == control).any())
    data = outcomes[with_ctrl.astype(bool)] if len(outcomes) else outcomes
    n_t, n_c = int(data["treated"].sum()), int((~data["treated"].astype(bool)).sum())
    if min(n_t, n_c) >= MIN_UPLIFT_GROUP:
        return ""
    return (f"The uplift model needs at least {MIN_UPLIFT_GROUP} treated and {MIN_UPLIFT_GROUP} control "
            f"contacts in campaigns with a control group; this source has {n_t:,} and {n_c:,}: skipped "
            "(the segment effects above do not need it).")


def _design(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Numbers as they are (missing = NaN, which the model handles); text one-hot encoded."""
    parts = []
    for f in features:
        s = frame[f]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype("float64").to_frame())
        else:
            parts.append(pd.get_dummies(s.astype("str").fillna("(none)"), prefix=f, dtype=float))
    return pd.concat(parts, axis=1).to_numpy(float)


def uplift_scores(outcomes: pd.DataFrame, *, features, customers: pd.DataFrame | None = None,
                  outcome: str = "converted", arm: str | None = None, folds: int = 2, seed: int = 0,
                  control: str = CONTROL) -> pd.DataFrame:
    """Predicted uplift of each contact: P(outcome | treated, x) - P(outcome | control, x).

    A two-model ("T-") learner: gradient-boosted trees fitted on the treated and on the
    control contacts separately; the score is the difference of their predictions.
    Predictions are cross-fitted (each contact is scored by models that never saw it), so
    the Qini curve of the scores is an honest out-of-sample check.

    Parameters
    ----------
    outcomes : DataFrame
        :func:`workbench.campaigns.contact_outcomes` (or with segments added).
    features : list of str
        Columns of `outcomes` or of `customers` (joined on customer_id) known *before* the
        contact: ``pre_sales_6m``, ``kind``, segments, customer attributes.
    outcome : str
        ``converted``, ``revenue`` or ``margin`` (or any numeric column).
    arm : str, optional
        Compare this arm with the control group (default: every treated arm together).

    Returns
    -------
    DataFrame
        The contacts used (campaigns without a control group are left out) with ``treated``,
        the outcome, ``fold`` and ``uplift``.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    features = [features] if isinstance(features, str) else list(features)
    if folds < 2:
        raise ValueError(f"folds must be at least 2 (cross-fitting), not {folds}")
    data = _uplift_data(outcomes, features, customers, outcome, arm, control)
    x, y = _design(data, features), data[outcome].astype(float).to_numpy()
    t = data["treated"].to_numpy(bool)
    fold = np.random.default_rng(seed).integers(0, folds, len(data))
    score = np.empty(len(data))
    with threadpool_limits(limits=1):  # small data: threads cost more than they bring
        for k in range(folds):
            fit, pred = fold != k, fold == k
            mu = []
            for group in (t, ~t):
                model = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05,
                                                      min_samples_leaf=200, max_leaf_nodes=8,
                                                      random_state=seed)
                model.fit(x[fit & group], y[fit & group])
                mu.append(model.predict(x[pred]))
            score[pred] = mu[0] - mu[1]
    return data.assign(fold=fold, uplift=score)


def _uplift_data(outcomes, features, customers, outcome, arm, control) -> pd.DataFrame:
    data = outcomes
    extra = [f for f in features if f not in outcomes]
    if extra and customers is not None:
        have = [f for f in extra if f in customers]
        data = data.merge(customers[["customer_id", *have]], on="customer_id", how="left")
    missing = [f for f in [*features, outcome] if f not in data]
    if missing:
        raise ValueError(f"uplift feature(s) {', '.join(missing)} not found in the outcomes or the "
                         "customers table; pick features among their columns")
    with_ctrl = data.groupby("campaign_id")["group"].transform(lambda g: (g == control).any())
    unknown = data[outcome].isna()
    if unknown.any():
        log.warning("uplift: %d contacts without a value of %s left out", unknown.sum(), outcome)
    data = data[with_ctrl & ~unknown]
    if arm is not None:
        if arm not in set(data["group"]):
            raise ValueError(f"arm {arm!r} not found; arms: {', '.join(sorted(set(data['group']) - {control}))}")
        data = data[data["group"].isin([arm, control])]
    n_t, n_c = int(data["treated"].sum()), int((~data["treated"]).sum())
    if min(n_t, n_c) < MIN_UPLIFT_GROUP:
        raise ValueError(f"an uplift model needs at least {MIN_UPLIFT_GROUP} treated and "
                         f"{MIN_UPLIFT_GROUP} control contacts in "
                         f"campaigns with a control group; there are {n_t} and {n_c}")
    return data.reset_index(drop=True)


def qini_curve(scored: pd.DataFrame, *, outcome: str = "converted", points: int = 101) -> pd.DataFrame:
    """Qini curve of scored contacts (from :func:`uplift_scores`), stratified by campaign.

    Contacts are targeted by decreasing predicted uplift. At each share targeted, within each
    campaign, incremental = Y_t - Y_c x N_t / N_c (outcomes of its treated and control contacts
    targeted so far, the control's scaled to the treated count), summed over campaigns, so
    that campaigns with different baselines or control shares do not bias the curve. Random
    targeting gains the same share of the total. ``qini`` (constant column) is the area
    between the curve and the random line: > 0 means the model ranks contacts better than
    chance; ``qini_share`` divides it by the total incremental outcome.
    """
    d = scored.sort_values("uplift", ascending=False, kind="stable").reset_index(drop=True)
    cuts = np.unique(np.linspace(0, len(d), points).round().astype(int))
    total = np.zeros(len(cuts))
    for _, camp in d.groupby("campaign_id", sort=False):
        rank = camp.index.to_numpy()  # positions in the global order
        t = camp["treated"].to_numpy(bool)
        y = camp[outcome].astype(float).to_numpy()
        upto = np.searchsorted(rank, cuts, side="left")  # contacts of this campaign targeted
        nt, nc = np.r_[0, np.cumsum(t)][upto], np.r_[0, np.cumsum(~t)][upto]
        yt, yc = np.r_[0, np.cumsum(y * t)][upto], np.r_[0, np.cumsum(y * ~t)][upto]
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(nc > 0, yt - yc * nt / nc, 0.0)
    out = pd.DataFrame({"share_targeted": cuts / max(len(d), 1), "incremental": total})
    out["random"] = out["share_targeted"] * total[-1]
    diff = (out["incremental"] - out["random"]).to_numpy()
    x = out["share_targeted"].to_numpy()
    out["qini"] = float(np.sum((diff[1:] + diff[:-1]) / 2 * np.diff(x)))
    out["qini_share"] = out["qini"] / total[-1] if total[-1] else np.nan
    return out
