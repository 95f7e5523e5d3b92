"""How a run's many tests combine: Holm's step-down keeps the chance of any false FAIL (or false "regressed") across
a family of tests at the per-test level, where deciding each alone would let some false one through far more often.

Each test is a function of the confidence level that says whether it still decides (fails, or regresses) there;
its one-sided p-value is the smallest error rate at which it does, found by bisection on the two-sided level.
"""
from __future__ import annotations

from typing import Callable

Decides = Callable[[float], bool]


def p_value(decides_at: Decides, level: float, steps: int = 40) -> float:
    """The one-sided p-value of a test that decides at `level`: (1 - L) / 2 for the highest level L where it still
    decides (decisions only get harder as the level rises)."""
    low, high = level, 1 - 1e-12
    if decides_at(high):
        return (1 - high) / 2
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (mid, high) if decides_at(mid) else (low, mid)
    return (1 - low) / 2


def holm(p_values: list[float], alpha: float) -> list[bool]:
    """Holm's step-down: which of the family's hypotheses are rejected at family-wise one-sided level alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


def apply(policy: str, tests: int, candidates: list[tuple[dict, Decides]], level: float) -> dict:
    """Judge the family's candidates (tests that decided at the per-test level) by the policy: returns what each
    kept or withdrew, and notes the policy in each candidate's record under "family". A withdrawn one is no longer
    decided: the caller makes it undecided."""
    alpha = (1 - level) / 2
    summary = {"policy": policy, "tests": tests, "alpha_one_sided": round(alpha, 6), "kept": 0, "withdrawn": 0}
    if policy == "none" or not candidates:
        return {**summary, "kept": len(candidates)}
    ps = [p_value(decides, level) for _, decides in candidates]
    # Tests that did not decide alone have p > alpha: Holm would reject them last, after every candidate.
    kept = holm(ps + [1.0] * max(0, tests - len(candidates)), alpha)[:len(candidates)]
    rank = {i: r for r, i in enumerate(sorted(range(len(ps)), key=lambda i: ps[i]))}
    for i, ((record, _), keep) in enumerate(zip(candidates, kept)):
        record["family"] = {"policy": policy, "tests": tests, "p_value": round(ps[i], 8),
                            "level_used": round(alpha / (tests - rank[i]), 8), "kept": keep}
    return {**summary, "kept": sum(kept), "withdrawn": len(kept) - sum(kept)}
