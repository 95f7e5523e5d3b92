"""Is a change beyond noise? Rank tests on a stage's per-scrape figures (Mann-Whitney U with the Hodges-Lehmann
shift and its interval, as Kayenta judges canaries) and an exact conditional test on its counts."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import stats

from slo.stats.bucketed import Bucket, within_buckets
from slo.stats.change import relative_of_logs
from slo.stats.confidence import (MIN_EFFECTIVE_BLOCKS, clopper_pearson, df_factor, effective_blocks, lag1,
                                  normal_quantile, t_quantile, widening)

MIN_POINTS = 4   # per side: below it no rank test reaches p < 0.05
MIN_CORRELATION_POINTS = 20   # per side: fewer per-scrape figures estimate their lag-1 correlation too roughly


EXACT_UP_TO = 10_000  # m x n: the exact null distribution of U is computed up to here, the normal one beyond


@lru_cache(maxsize=64)
def u_cdf(m: int, n: int) -> np.ndarray:
    """P(U <= u) for u = 0..mn under no shift: counts of U by the recurrence f(i, j) = f(i-1, j) shifted by j
    + f(i, j-1) (the Gaussian binomial coefficients), over all C(m+n, m) orderings."""
    rows = [np.zeros(m * n + 1) for _ in range(n + 1)]
    for j in range(n + 1):
        rows[j][0] = 1.0                       # i = 0: one ordering, U = 0
    for _ in range(1, m + 1):
        new = [np.zeros(m * n + 1) for _ in range(n + 1)]
        new[0][0] = 1.0
        for j in range(1, n + 1):
            new[j] = new[j - 1].copy()
            new[j][j:] += rows[j][:m * n + 1 - j]
        rows = new
    counts = rows[n]
    return np.cumsum(counts) / counts.sum()


def _order_index(m: int, n: int, level: float) -> int:
    """The 0-based order statistic of the m x n differences that bounds the interval below: the largest c with
    P(U <= c) <= alpha / 2, exact for small samples (the normal approximation runs narrow there)."""
    alpha = 1 - level
    if m * n <= EXACT_UP_TO:
        below = np.nonzero(u_cdf(m, n) <= alpha / 2)[0]
        return int(below[-1]) if len(below) else -1
    z = normal_quantile(1 - alpha / 2)
    return int(math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12) - 0.5))


def _two_sided_p(diffs: np.ndarray, m: int, n: int) -> float:
    """Mann-Whitney's two-sided p-value from the pairwise differences: U counts new > old (ties half); exact
    from the null distribution where computed (no ties), the normal approximation otherwise."""
    u = float((diffs > 0).sum() + 0.5 * (diffs == 0).sum())
    if m * n > EXACT_UP_TO or (diffs == 0).any():
        cdf = None
    else:
        cdf = u_cdf(m, n)
    if cdf is None:
        z = (u - m * n / 2) / math.sqrt(m * n * (m + n + 1) / 12)
        return float(min(1.0, 2 * stats.norm.sf(abs(z))))
    k = int(u)
    return float(min(1.0, 2 * min(cdf[k], 1 - (cdf[k - 1] if k > 0 else 0.0))))


def hodges_lehmann(old: list[float], new: list[float], level: float) -> dict:
    """The shift new - old (median of all pairwise differences), its distribution-free interval from the
    order statistics of those differences, and the two-sided Mann-Whitney p-value."""
    x, y = np.asarray(old, float), np.asarray(new, float)
    m, n = len(x), len(y)
    diffs = np.sort((y[None, :] - x[:, None]).ravel())
    c = _order_index(m, n, level)
    low, high = (diffs[c], diffs[m * n - c - 1]) if 0 <= c < m * n - c else (diffs[0], diffs[-1])
    p = _two_sided_p(diffs, m, n)
    return {"shift": float(np.median(diffs)), "low": float(low), "high": float(high), "p_value": round(p, 6),
            "n_baseline": m, "n_current": n}


def log_spread(relative: float) -> float:
    """A relative standard deviation on the log scale: sqrt(log(1 + cv^2)), as for a lognormal."""
    return math.sqrt(math.log1p(relative * relative))


def judge_change(old: list[float], new: list[float], level: float, run_spread: float = 0.0, spread_source: str = "",
                 spread_df: int | None = None, widen: float = 1.0) -> dict:
    """The relative shift from `old` to `new` and its interval at `level` (the verdicts call it against the smallest
    change that matters: slo/verdicts/change_call.py); no interval under MIN_POINTS a side. Per-scrape points of one
    run share that run's conditions: run_spread (the relative spread between identical runs) widens the interval by
    z x run_spread x sqrt(2), in quadrature (t with spread_df degrees of freedom when the spread was measured over
    few repeats). `widen` scales the rank interval's half-widths first (correlated points: judge_windows)."""
    if len(old) < MIN_POINTS or len(new) < MIN_POINTS:
        return {"method": f"fewer than {MIN_POINTS} per-scrape points on a side "
                f"({len(old)} and {len(new)}): lengthen the stages or repeat the runs"}
    hl = hodges_lehmann(old, new, level)
    base = float(np.median(old))
    z = normal_quantile(1 - (1 - level) / 2) if spread_df is None else t_quantile(1 - (1 - level) / 2, spread_df)
    if min(old) > 0 and min(new) > 0:
        # On the log-ratio scale: a relative change is a shift of logs, its interval never below -100 %, and no
        # noisy baseline median in a denominator. The spread between runs widens it, in quadrature, in logs too.
        logs = hodges_lehmann(list(np.log(old)), list(np.log(new)), level)
        extra = z * log_spread(run_spread) * math.sqrt(2)
        shift = logs["shift"]
        low = shift - math.hypot(widen * (shift - logs["low"]), extra)
        high = shift + math.hypot(widen * (logs["high"] - shift), extra)
        if widen > 1 or extra > 0:
            # Never below the rank test's own: a wider interval supports no stronger evidence.
            hl = {**hl, "p_value": max(hl["p_value"], _widened_p(shift, logs["high"] - logs["low"], widen, extra,
                                                                  level)), "p_value_unwidened": hl["p_value"]}
        rel = relative_of_logs(shift, low, high)
    elif base == 0:
        rel = {"shift": None, "low": None, "high": None}
    else:
        rel = {k: hl[k] / abs(base) for k in ("shift", "low", "high")}
        extra = z * run_spread * math.sqrt(2)  # the difference of two runs, each off by run_spread
        rel["low"] = rel["shift"] - math.hypot(widen * (rel["shift"] - rel["low"]), extra)
        rel["high"] = rel["shift"] + math.hypot(widen * (rel["high"] - rel["shift"]), extra)
        rel = {k: round(v, 4) for k, v in rel.items()}
    # A baseline median of 0: no relative scale to hold a change to its limit.
    no_scale = {"no_scale": "zero_median"} if rel["low"] is None else {}
    spread = (f"; widened for a run-to-run spread of {run_spread:.0%} ({spread_source})" if run_spread else "")
    return {"relative": rel, **hl, "run_spread": run_spread, **no_scale,
            "method": f"Mann-Whitney U on per-scrape figures ({hl['n_baseline']} against {hl['n_current']}), "
                      f"Hodges-Lehmann shift with its {level:.0%} interval, on the log-ratio scale (relative to the "
                      "baseline's median where a figure is 0)"
                      + spread}


def _widened_p(shift: float, width: float, widen: float, extra: float, level: float) -> float:
    """The two-sided p-value of no change that agrees with the widened interval: the rank interval's width read as
    a normal one's (its standard error width / 2z), scaled by `widen`, with the run-to-run term `extra` (a
    half-width at `level`) added in quadrature. Mann-Whitney's own p-value knows neither: it called changes
    significant that the widened interval did not."""
    z = normal_quantile(1 - (1 - level) / 2)
    se = math.hypot(widen * width / (2 * z), extra / z)
    return round(float(2 * stats.norm.sf(abs(shift) / se)), 6) if se > 0 else (0.0 if shift else 1.0)


def scrape_correlation(windows: list[list[float]]) -> float:
    """The lag-1 correlation of consecutive per-scrape figures (their logs where all are positive), each window about
    its own mean so that a change between windows does not count: bias-corrected and raised by a standard error, as
    for a mean (confidence.lag1). 0 where the figures are equal to rounding."""
    logs = all(v > 0 for w in windows for v in w)
    residuals: list[float] = []
    for w in (np.asarray(w, float) for w in windows if len(w)):
        values = np.log(w) if logs else w
        residuals += list(values - values.mean())
    if len(residuals) < 2 or max(abs(v) for v in residuals) < 1e-9:
        return 0.0
    return lag1(residuals)


def correlation_widening(r: float, points: int, level: float) -> float:
    """How much a rank interval over `points` per-scrape figures correlated at lag 1 by r widens: the square root of
    (1 + r) / (1 - r), over Korn and Graubard's factor at the effective points (t with at least 2 df, as a share's
    interval takes it)."""
    if r <= 0:
        return 1.0
    return math.sqrt(widening(r) / df_factor(max(MIN_EFFECTIVE_BLOCKS, effective_blocks(points, r)), level))


def judge_windows(old: list[list[float]], new: list[list[float]], level: float, run_spread: float = 0.0, spread_source: str = "", spread_df: int | None = None,
                  buckets: tuple[list[Bucket], list[Bucket]] | None = None) -> dict:
    """judge_change on each side's windows of per-scrape figures, its interval widened for their lag-1 correlation,
    measured over both sides: scrapes drifting together (lag-1 0.5 / 0.8 / 0.95) were called regressed against an
    identical baseline 11 / 26 / 39 % of the time on raw points, 1.3 / 1.2 / 2.3 % so widened. `buckets`: each
    side's points' histogram buckets, in the order of the windows' points, where they are quantiles interpolated in
    them: the interval is then bounded by them (slo/stats/bucketed.py)."""
    flat_old, flat_new = [v for w in old for v in w], [v for w in new for v in w]
    points = min(len(flat_old), len(flat_new))
    # Over fewer points a side the raised lag-1 estimate is mostly its own raise (1 / sqrt(k) plus the bias term):
    # a target 16 times slower, every one of its 9 points over every one of the baseline's 8, read r = 0.62 and
    # 'cannot tell'. There the rank test stands unwidened, as before, exposed to drift.
    r = scrape_correlation(old + new) if points >= MIN_CORRELATION_POINTS else 0.0
    widen = correlation_widening(r, points, level)
    def judge(old_points: list[float], new_points: list[float]) -> dict:
        return judge_change(old_points, new_points, level, run_spread, spread_source, spread_df, widen)
    got = judge(flat_old, flat_new)
    if buckets is not None and "relative" in got:
        got = within_buckets(judge, *buckets, got)
    got["scrape_lag1"] = round(r, 3)
    if widen > 1 and "relative" in got:
        got["method"] += (f"; widened x{widen:.2f} for consecutive scrapes correlated at lag 1 by {r:.2f} (about one "
                          f"independent point in {widening(r):.1f})")
    return got


def welch_runs(old: list[float], new: list[float], level: float, buckets: tuple[list[Bucket], list[Bucket]] | None = None) -> dict:
    """Repeat sets on both sides: each run's figure one point, Welch's t on their logs, bounded by each figure's
    histogram bucket where `buckets` gives them (slo/stats/bucketed.py). The spread between runs is measured on each
    side and within-run noise counted once (it is inside each run's figure); pooling every run's per-scrape points
    and widening by the spread as well counted it twice (3 repeats a side saw a true +30 % less often than one run a
    side did)."""
    got = _welch(old, new, level)
    return got if buckets is None else within_buckets(lambda o, n: _welch(o, n, level), *buckets, got)


def _welch(old: list[float], new: list[float], level: float) -> dict:
    x, y = np.log(np.asarray(old, float)), np.log(np.asarray(new, float))
    m, n = len(x), len(y)
    vx, vy = x.var(ddof=1) / m, y.var(ddof=1) / n
    se = math.sqrt(vx + vy)
    df = (vx + vy) ** 2 / (vx ** 2 / (m - 1) + vy ** 2 / (n - 1)) if se > 0 else float(m + n - 2)
    shift = float(y.mean() - x.mean())
    half = float(t_quantile(1 - (1 - level) / 2, df)) * se
    rel = relative_of_logs(shift, shift - half, shift + half)
    p = float(2 * stats.t.sf(abs(shift) / se, df)) if se > 0 else (0.0 if shift else 1.0)
    return {"relative": rel, "p_value": round(p, 6),
            "method": f"Welch's t on the runs' figures ({m} against {n} runs, on their logs, {df:.1f} df): the spread "
                      "between runs measured on each side"}


def judge_counts(old: tuple[float, float], new: tuple[float, float], level: float, run_spread: float = 0.0, deffs: tuple[float, float] = (1.0, 1.0)) -> dict:
    """(counted, requests) before and after, e.g. 5xx, judged like the other figures: the interval of the ratio of
    the two shares, less 1 (a relative change; an end past any bound: None). Exact given the errors of both sides (the
    current side's share of them is binomial; Clopper-Pearson), at effective sizes (counts over each side's design
    effect), widened on the log scale by the run-to-run spread in quadrature."""
    (xo, no), (xn, nn) = old, new
    if no <= 0 or nn <= 0:
        return {"method": "no requests on a side"}
    do, dn = deffs
    xo_e, no_e, xn_e, nn_e = xo / do, no / do, xn / dn, nn / dn
    method = (f"exact conditional test on the counts ({round(xo)} of {round(no)} against {round(xn)} of "
              f"{round(nn)}), effective sizes over design effects {do:g} and {dn:g}"
              + (f", widened for a run-to-run spread of {run_spread:.0%}" if run_spread else ""))
    if xo_e + xn_e <= 0:
        return {"relative": {"shift": None, "low": None, "high": None}, "p_value": 1.0, "method": method,
                "no_scale": "no_errors"}
    lo, hi = clopper_pearson(xn_e, xn_e + xo_e, level)
    odds = lambda pi: math.inf if pi >= 1 else pi / (1 - pi) * no_e / nn_e  # noqa: E731
    extra = normal_quantile(1 - (1 - level) / 2) * log_spread(run_spread) * math.sqrt(2)
    shift = math.inf if xo_e <= 0 else (xn_e / nn_e) / (xo_e / no_e)
    rel = {}
    for key, r in (("low", odds(lo)), ("high", odds(hi))):
        if 0 < r < math.inf and 0 < shift < math.inf:
            widened = math.log(shift) + (1 if key == "high" else -1) * math.hypot(math.log(r / shift), extra)
            r = math.exp(widened)
        rel[key] = r - 1
    rel["shift"] = shift - 1
    p = float(stats.binomtest(round(xn_e), round(xn_e + xo_e), nn_e / (nn_e + no_e), alternative="greater").pvalue) \
        if round(xn_e + xo_e) > 0 else 1.0
    return {"p_value": round(p, 6), "method": method,
            "relative": {k: (None if math.isinf(v) else round(v, 4)) for k, v in rel.items()}}
