"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma models by maximum likelihood.

The workflow is ``orders -> rfm_summary -> fit -> predict``::

    summary = wb.clv.rfm_summary(orders, calibration_end="1997-09-30", observation_end="1998-06-30")
    bgf = wb.clv.BetaGeoFitter().fit(summary)
    bgf.conditional_expected_number_of_purchases_up_to_time(39, summary)
    wb.clv.holdout_check(bgf, summary)

or, in one estimator that also values each customer and forecasts revenue::

    lv = wb.clv.LifetimeValue(model="pareto/nbd").fit(orders, calibration_end="2025-06-30")
    lv.score(orders, as_of="2025-12-31", horizon_months=12, discount_rate=0.10)
    lv.forecast(orders, as_of="2025-12-31", months=6)

Time is measured in units of ``freq`` (weeks by default) from each customer's first
purchase day; ``frequency`` counts *repeat* purchase days, ``recency`` is the customer's
age at the last repeat purchase (not the time since it) and ``T`` the age at the end of
calibration. The code lives in private modules: ``summary`` (orders -> summary),
``fitters`` (the three estimators), ``likelihoods`` (closed forms, optimiser),
``checks`` (holdout checks, P(alive) matrix) and ``value`` (:class:`LifetimeValue`).
"""

from __future__ import annotations

from workbench.health.clv.checks import (
    expected_vs_actual_by_period,
    holdout_check,
    p_alive_matrix,
    split_summary,
)
from workbench.health.clv.fitters import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from workbench.health.clv.likelihoods import ConvergenceError
from workbench.health.clv.summary import default_calibration_end, rfm_summary
from workbench.health.clv.value import MODELS, LifetimeValue, compare_models

__all__ = ["rfm_summary", "default_calibration_end", "BetaGeoFitter", "ParetoNBDFitter", "GammaGammaFitter",
           "ConvergenceError", "holdout_check", "expected_vs_actual_by_period", "p_alive_matrix",
           "split_summary",
           "LifetimeValue", "MODELS", "compare_models"]
