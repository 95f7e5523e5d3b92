"""Is a change beyond noise? Rank tests on a stage's per-scrape figures (Mann-Whitney U with the Hodges-Lehmann
shift and its interval, as Kayenta judges canaries) and Fisher's exact test on its counts."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

MIN_POINTS = 4   # per side: below it no rank test reaches p < 0.05


def hodges_lehmann(old: list[float], new: list[float], level: float) -> dict:
    """The shift new - old (median of all pairwise differences), its distribution-free interval from the
    order statistics of those differences, and the two-sided Mann-Whitney p-value."""
    x, y = np.asarray(old, float), np.asarray(new, float)
    m, n = len(x), len(y)
    diffs = np.sort((y[None, :] - x[:, None]).ravel())
    z = stats.norm.ppf(1 - (1 - level) / 2)
    c = int(math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12)))
    low, high = (diffs[c], diffs[m * n - c - 1]) if 0 <= c < m * n - c else (diffs[0], diffs[-1])
    p = float(stats.mannwhitneyu(y, x, alternative="two-sided").pvalue)
    return {"shift": float(np.median(diffs)), "low": float(low), "high": float(high), "p_value": round(p, 6),
            "n_baseline": m, "n_current": n}


def judge_change(old: list[float], new: list[float], limit: float | None, higher_is_worse: bool,
                 level: float, run_spread: float = 0.0, spread_source: str = "") -> dict:
    """regressed (the whole interval of the relative shift is past the smallest change that matters, in the
    worse direction), improved (wholly past it in the better one), no regression (wholly short of it), or cannot
    tell (the interval straddles it). Per-scrape points of one
    run share that run's conditions: run_spread (the relative spread between identical runs) widens the
    interval by z x run_spread x sqrt(2), in quadrature."""
    if len(old) < MIN_POINTS or len(new) < MIN_POINTS:
        return {"verdict": "cannot tell", "method": f"fewer than {MIN_POINTS} per-scrape points on a side "
                f"({len(old)} and {len(new)}): lengthen the stages or repeat the runs"}
    hl = hodges_lehmann(old, new, level)
    base = float(np.median(old))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    if min(old) > 0 and min(new) > 0:
        # On the log-ratio scale: a relative change is a shift of logs, its interval never below -100 %, and no
        # noisy baseline median in a denominator. The spread between runs widens it, in quadrature, in logs too.
        logs = hodges_lehmann(list(np.log(old)), list(np.log(new)), level)
        extra = z * math.log1p(run_spread) * math.sqrt(2)
        shift = logs["shift"]
        low = shift - math.hypot(shift - logs["low"], extra)
        high = shift + math.hypot(logs["high"] - shift, extra)
        rel = {"shift": round(math.expm1(shift), 4), "low": round(math.expm1(low), 4), "high": round(math.expm1(high), 4)}
    elif base == 0:
        rel = {"shift": None, "low": None, "high": None}
    else:
        rel = {k: hl[k] / abs(base) for k in ("shift", "low", "high")}
        extra = z * run_spread * math.sqrt(2)  # the difference of two runs, each off by run_spread
        rel["low"] = rel["shift"] - math.hypot(rel["shift"] - rel["low"], extra)
        rel["high"] = rel["shift"] + math.hypot(rel["high"] - rel["shift"], extra)
        rel = {k: round(v, 4) for k, v in rel.items()}
    matter = limit if limit is not None else 0.0
    sign = 1 if higher_is_worse else -1
    if rel["low"] is None:  # a baseline median of 0: no relative scale; any significant rise is a regression
        verdict = "regressed" if hl["p_value"] < 1 - level and sign * hl["shift"] > 0 else "cannot tell"
        advice = None
    else:
        worse_low, worse_high = sorted((sign * rel["low"], sign * rel["high"]))
        verdict, advice = _three_answers(worse_low, worse_high, sign * rel["shift"], matter)
    spread = (f"; widened for a run-to-run spread of {run_spread:.0%} ({spread_source})" if run_spread else "")
    return {"verdict": verdict, "relative": rel, **hl, "run_spread": run_spread, "advice": advice,
            "method": f"Mann-Whitney U on per-scrape figures ({hl['n_baseline']} against {hl['n_current']}), "
                      f"Hodges-Lehmann shift with its {level:.0%} interval, on the log-ratio scale (relative to the "
                      "baseline's median where a figure is 0)"
                      + spread}


def _three_answers(worse_low: float, worse_high: float, worse_shift: float, matter: float) -> tuple[str, str | None]:
    """On the worse-is-positive scale: regressed (the whole interval past the limit), improved (wholly past it the
    better way), no regression (wholly short of the limit: an equivalence test), else cannot tell, with how many
    times the points would decide it (an interval narrows as one over the square root of its points)."""
    if worse_low > matter:
        return "regressed", None
    if worse_high < -matter:
        return "improved", None
    if worse_high < matter:
        return "no regression", None
    half = (worse_high - worse_low) / 2
    room = abs(worse_shift - matter)
    if room < 1e-9:
        return "cannot tell", "its shift sits on the limit: no number of points decides it"
    return "cannot tell", f"about {max(2, round((half / room) ** 2 + 0.5))}x the points would decide it (repeat the runs or lengthen the stages)"


def judge_counts(old: tuple[float, float], new: tuple[float, float], limit: float | None, level: float) -> dict:
    """(counted, requests) before and after, e.g. 5xx: Fisher's exact test on the two shares; regressed when the
    share rose significantly by more than `limit` (relative; from none, any significant rise)."""
    (xo, no), (xn, nn) = old, new
    if no <= 0 or nn <= 0:
        return {"verdict": "cannot tell", "method": "no requests on a side"}
    table = [[round(xn), round(nn - xn)], [round(xo), round(no - xo)]]
    p = float(stats.fisher_exact(table, alternative="greater").pvalue)
    so, sn = xo / no, xn / nn
    change = (sn - so) / so if so > 0 else (math.inf if sn > 0 else 0.0)
    regressed = p < 1 - level and change > (limit or 0.0)
    return {"verdict": "regressed" if regressed else "within noise", "p_value": round(p, 6),
            "relative": {"shift": None if math.isinf(change) else round(change, 4)},
            "method": f"Fisher's exact test on the counts ({round(xo)} of {round(no)} against {round(xn)} of {round(nn)})"}
