"""Customer lifetime value: BG/NBD for purchase counts, Gamma-Gamma for spend per purchase.

Staff want "how many more purchases can we expect, and who has probably lapsed" from nothing
but order history, so we use the buy-till-you-die models of Fader, Hardie & Lee (2005,
"Counting your customers the easy way") and Fader & Hardie (2013, "The Gamma-Gamma model of
monetary value"). Time is measured in weeks, as in the papers, so fitted parameters can be
compared with the published CDNOW values. A purchase is a calendar day: several order lines
on one day are one shopping trip, which is what the models count.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

FloatArray: TypeAlias = NDArray[np.float64]
DateLike: TypeAlias = pd.Timestamp | date | str  # datetime and Timestamp are dates too
MIN_CUSTOMERS = 2
# Log-parameters stay within exp(+-15): wide enough for weeks or days as the time unit, narrow
# enough that a degenerate sample cannot push the optimiser into overflow.
_LOG_BOUND = 15.0
_INFEASIBLE = 1e10  # an objective value no real fit reaches


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, eq=False)  # eq=False: DataFrame fields have no truth value to compare.
class Backtest:
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    customers: int
    predicted: float
    actual: int
    mae: float
    weekly: pd.DataFrame
    per_customer: pd.DataFrame

    def as_json(self) -> dict[str, Any]:
        return {
            "bgnbd": {k: round(v, 4) for k, v in self.bgnbd.as_dict().items()},
            "gamma_gamma": {k: round(v, 4) for k, v in self.gamma_gamma.as_dict().items()},
            "holdout": {
                "predicted": round(self.predicted, 2),
                "actual": int(self.actual),
                "mae": round(self.mae, 2),
            },
            "customers": int(self.customers),
        }


class NotEnoughData(ValueError):
    """The data cannot support a fit (too few customers, no repeat purchases, no
    convergence): a report answers this as a question about the data, not a failure."""


def _day(value: DateLike) -> pd.Timestamp:
    """Calendar day of a moment; a zoned moment counts on its local wall-clock day."""
    ts = pd.Timestamp(value)
    return (ts.tz_localize(None) if ts.tz is not None else ts).normalize()


def _purchase_days(
    transactions: pd.DataFrame, customer_col: str, date_col: str, amount_col: str
) -> pd.DataFrame:
    """One row per customer and calendar day with the day's total, sorted by customer, day."""
    missing = [c for c in (customer_col, date_col, amount_col) if c not in transactions.columns]
    if missing:
        raise ValueError(f"transactions lack the column(s): {', '.join(missing)}")
    days = pd.to_datetime(transactions[date_col])
    if days.dt.tz is not None:
        days = days.dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "customer": transactions[customer_col].to_numpy(),
            "day": days.dt.normalize().to_numpy(),
            "amount": pd.to_numeric(transactions[amount_col]).to_numpy(dtype=float),
        }
    ).dropna(subset=["customer", "day"])
    return frame.groupby(["customer", "day"], as_index=False, sort=True)["amount"].sum()


def _summarise_days(days: pd.DataFrame, cutoff: pd.Timestamp, customer_col: str) -> pd.DataFrame:
    days = days[days["day"] <= cutoff]
    is_repeat = days.groupby("customer").cumcount() > 0
    grouped = days.groupby("customer", sort=True)
    first, last = grouped["day"].min(), grouped["day"].max()
    frequency = grouped["day"].count() - 1
    repeat_spend = days["amount"].where(is_repeat, 0.0).groupby(days["customer"]).sum()
    out = pd.DataFrame(
        {
            "frequency": frequency.astype("int64"),
            "recency": (last - first).dt.days / 7.0,
            "T": (cutoff - first).dt.days / 7.0,
            "monetary_value": (repeat_spend / frequency.where(frequency > 0)).fillna(0.0),
            "first_purchase": first,
        }
    )
    out.index.name = customer_col
    return out


def summarise(
    transactions: pd.DataFrame,
    *,
    calibration_end: DateLike,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> pd.DataFrame:
    """The (x, t_x, T, zbar) summary both models are fitted on; the first purchase day only
    starts the clock, so it counts in neither ``frequency`` nor ``monetary_value``."""
    days = _purchase_days(transactions, customer_col, date_col, amount_col)
    return _summarise_days(days, _day(calibration_end), customer_col)


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    if len({a.shape for a in arrays}) > 1 or not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("model inputs must be finite arrays of one length")
    return arrays


def _maximise(negloglik: Any, start: FloatArray) -> FloatArray:
    """On log-parameters (positivity for free): L-BFGS-B walks most of the way in a few
    hundred evaluations, then Nelder-Mead polishes (a quasi-Newton step can stop early on
    the flat ridges these likelihoods have). Non-finite objectives count as very large."""

    def objective(theta: FloatArray) -> float:
        with np.errstate(all="ignore"):
            value = float(negloglik(np.exp(theta)))
        return value if math.isfinite(value) else _INFEASIBLE

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    gradient_opts = {"ftol": 1e-14, "gtol": 1e-9}
    theta = minimize(objective, np.log(start), method="L-BFGS-B", bounds=bounds,
                     options=gradient_opts).x  # fmt: skip
    simplex_opts = {"xatol": 1e-7, "fatol": 1e-11, "maxiter": 5000, "maxfev": 10000}
    theta = minimize(objective, theta, method="Nelder-Mead", bounds=bounds,
                     options=simplex_opts).x  # fmt: skip
    if objective(theta) >= _INFEASIBLE:
        raise NotEnoughData("the model fit did not converge to a finite likelihood")
    return np.exp(theta)


class _BgNbdLikelihood:
    """FHL (2005) eq. 6 as a mean negative log-likelihood. The gamma and beta terms depend
    on the purchase count alone, so they are computed once per distinct count (a few
    hundred) rather than per customer (a hundred thousand)."""

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> None:
        self.counts, self.index = np.unique(x, return_inverse=True)
        self.x, self.t_x, self.T = x, t_x, T
        self.repeat = x > 0

    def __call__(self, params: FloatArray) -> float:
        r, alpha, a, b = params
        counts, index, x = self.counts, self.index, self.x
        a1 = (gammaln(r + counts) - gammaln(r))[index] + r * np.log(alpha)
        a2 = (betaln(a, b + counts) - betaln(a, b))[index]
        a3 = -(r + x) * np.log(alpha + self.T)
        a4 = (np.log(a) - np.log(b + np.maximum(counts, 1) - 1))[index] - (r + x) * np.log(
            alpha + self.t_x
        )
        return -float(np.mean(a1 + a2 + np.logaddexp(a3, np.where(self.repeat, a4, -np.inf))))


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters from per-customer (x, t_x, T) in weeks."""
    x, t_x, t_obs = _arrays(frequency, recency, T)
    if x.size < MIN_CUSTOMERS:
        raise NotEnoughData(f"BG/NBD needs at least {MIN_CUSTOMERS} customers to fit, got {x.size}")
    if not (x > 0).any():
        raise NotEnoughData("BG/NBD cannot be fitted: no customer made a repeat purchase")
    if (x < 0).any() or (t_x < 0).any() or (t_x > t_obs).any():
        raise ValueError("BG/NBD inputs need frequency >= 0 and 0 <= recency <= T")
    # Start near the observed weekly repeat rate, with a neutral beta dropout prior.
    alpha0 = max(float(t_obs.mean()) / max(float(x.mean()), 1e-3), 1e-3)
    start = np.array([1.0, alpha0, 1.0, 1.0])
    r, alpha, a, b = _maximise(_BgNbdLikelihood(x, t_x, t_obs), start)
    return BgNbdParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b))


def _odds_dead(params: BgNbdParams, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """Log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); -inf for x == 0 because a BG/NBD
    customer can only drop out right after a repeat purchase, so one without any is alive."""
    p = params
    log_odds = (
        np.log(p.a)
        - np.log(p.b + np.maximum(x, 1) - 1)
        + (p.r + x) * (np.log(p.alpha + T) - np.log(p.alpha + t_x))
    )
    return np.where(x > 0, log_odds, -np.inf)


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(still active | x, t_x, T): falls the longer a repeat buyer has been silent."""
    x, t_x, t_obs = _arrays(frequency, recency, T)
    return np.exp(-np.logaddexp(0.0, _odds_dead(params, x, t_x, t_obs)))


def expected_purchases(
    params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[purchases in the next t weeks | x, t_x, T] (FHL 2005 eq. 10); t broadcasts, so a
    column of horizons against a row of customers gives a whole curve at once."""
    x, t_x, t_obs = _arrays(frequency, recency, T)
    horizon = np.asarray(t, dtype=float)
    p = params
    rx = p.r + x
    scale = p.alpha + t_obs + horizon
    with np.errstate(under="ignore"):
        tail = np.exp(rx * (np.log(p.alpha + t_obs) - np.log(scale)))
        growth = 1.0 - tail * hyp2f1(rx, p.b + x, p.a + p.b + x - 1, horizon / scale)
        numer = (p.a + p.b + x - 1) / (p.a - 1) * growth
        return np.asarray(numer * np.exp(-np.logaddexp(0.0, _odds_dead(p, x, t_x, t_obs))))


def expected_cumulative_unconditional(params: BgNbdParams, t: ArrayLike) -> FloatArray:
    """E[X(t)] for a newly acquired customer (FHL 2005 eq. 7): the cohort curve."""
    p = params
    horizon = np.asarray(t, dtype=float)
    z = horizon / (p.alpha + horizon)
    tail = (p.alpha / (p.alpha + horizon)) ** p.r
    return np.asarray((p.a + p.b - 1) / (p.a - 1) * (1 - tail * hyp2f1(p.r, p.b, p.a + p.b - 1, z)))


def _gg_negloglik(params: FloatArray, x: FloatArray, zbar: FloatArray) -> float:
    """Mean negative log of the density of a customer's mean spend zbar over x purchases."""
    p, q, v = params
    px = p * x
    constants = -betaln(px, q) + q * np.log(v) + px * np.log(x)
    return -float(np.mean(constants + (px - 1) * np.log(zbar) - (px + q) * np.log(v + x * zbar)))


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters. Only repeat buyers carry spend information;
    a zero mean spend cannot come from a gamma, so those customers are left out as well."""
    x, zbar = _arrays(frequency, monetary_value)
    keep = (x > 0) & (zbar > 0)
    x, zbar = x[keep], zbar[keep]
    if x.size < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"Gamma-Gamma needs at least {MIN_CUSTOMERS} customers with a repeat purchase of "
            f"positive value, got {x.size}"
        )
    start = np.array([1.0, 2.0, float(zbar.mean())])
    p, q, v = _maximise(lambda prm: _gg_negloglik(prm, x, zbar), start)
    if q <= 1:
        raise NotEnoughData("Gamma-Gamma fit gave q <= 1: spend too dispersed for a mean to exist")
    return GammaGammaParams(p=float(p), q=float(q), v=float(v))


def expected_average_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[spend per purchase | x, zbar]: a weighted mix of the population mean and the
    customer's own mean, trusting the latter more the more purchases it rests on."""
    x, zbar = _arrays(frequency, monetary_value)
    p, q, v = params.p, params.q, params.v
    weight = p * x / (p * x + q - 1)
    return np.asarray((1 - weight) * (v * p / (q - 1)) + weight * np.where(x > 0, zbar, 0.0))


def backtest(
    transactions: pd.DataFrame,
    *,
    calibration_end: DateLike,
    holdout_end: DateLike,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
) -> Backtest:
    """Fit on the calibration period and score the BG/NBD forecast on the holdout, so a
    report can show how far to trust the forecasts before anyone acts on them."""
    cal, hold = _day(calibration_end), _day(holdout_end)
    if hold <= cal:
        raise ValueError("holdout_end must be after calibration_end")
    days = _purchase_days(transactions, customer_col, date_col, amount_col)
    summary = _summarise_days(days, cal, customer_col)
    if summary.empty:
        raise NotEnoughData("no customers purchased on or before the calibration end")
    x, t_x, t_obs = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    bg = fit_bgnbd(x, t_x, t_obs)
    gg = fit_gamma_gamma(x, summary["monetary_value"].to_numpy(dtype=float))

    holdout_days = (hold - cal).days
    length, n_weeks = holdout_days / 7.0, math.ceil(holdout_days / 7)
    in_holdout = (days["day"] > cal) & (days["day"] <= hold) & days["customer"].isin(summary.index)
    later = days[in_holdout]
    actual = later.groupby("customer").size().reindex(summary.index, fill_value=0)
    predicted = expected_purchases(bg, length, x, t_x, t_obs)

    weeks = np.arange(1, n_weeks + 1)
    horizons = np.minimum(weeks.astype(float), length)
    curve = expected_purchases(bg, horizons[:, None], x[None, :], t_x[None, :], t_obs[None, :])
    week_of = ((later["day"] - cal).dt.days.to_numpy(dtype="int64") - 1) // 7 + 1
    weekly = pd.DataFrame(
        {
            "week": weeks,
            "week_end": [min(cal + pd.Timedelta(weeks=w), hold).date() for w in weeks],
            "predicted_cumulative": curve.sum(axis=1),
            "actual_cumulative": np.bincount(week_of, minlength=n_weeks + 1)[1:].cumsum(),
        }
    )
    per_customer = summary.drop(columns="first_purchase").assign(
        predicted=predicted,
        actual=actual.to_numpy(),
        p_alive=probability_alive(bg, x, t_x, t_obs),
    )
    return Backtest(
        bgnbd=bg,
        gamma_gamma=gg,
        customers=len(summary),
        predicted=float(predicted.sum()),
        actual=int(actual.sum()),
        mae=float(np.abs(predicted - actual.to_numpy()).mean()),
        weekly=weekly,
        per_customer=per_customer,
    )
