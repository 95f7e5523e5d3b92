"""The performance estimate without labels, against truths built to be known."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from drift import performance
from drift.decision import decide_with_performance


def _calibrated_world(n: int, seed: int, shift: float = 0.0):
    """Scores whose true churn probability is the score itself (a calibrated model); `shift` moves the served
    inputs toward higher scores (covariate drift, the labels given a score unchanged)."""
    rng = np.random.default_rng(seed)
    scores = np.clip(rng.beta(1.2, 3.0, n) + shift, 0.001, 0.999)
    return scores, rng.random(n) < scores


def test_the_expected_auc_of_calibrated_probabilities_is_what_their_labels_give_on_average():
    scores, _ = _calibrated_world(4000, 1)
    draws = [performance.roc_auc(np.random.default_rng(s).random(4000) < scores, scores) for s in range(200)]
    auc, accuracy = performance.expected(scores, scores)
    assert auc == pytest.approx(np.mean(draws), abs=0.003)
    assert accuracy == pytest.approx(np.mean(np.where(scores >= 0.5, scores, 1 - scores)))


def test_a_rank_auc_is_scikit_learns():
    scores, labels = _calibrated_world(500, 3)
    scores = np.round(scores, 2)  # ties
    assert performance.roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


@pytest.mark.parametrize("shift", [0.0, 0.15], ids=["served like the reference", "served inputs drifted"])
def test_the_interval_holds_the_auc_the_served_rows_show_with_their_labels(shift):
    """Where churn given the inputs is unchanged, the estimate's interval holds the AUC the served rows really
    show in 8 seeded worlds but one at most, and is narrower than 0.12 (the estimate corrects its own bias:
    uncorrected, it held in 80 % of worlds; the level itself: make coverage)."""
    held, widths = 0, []
    for seed in range(8):
        ref_scores, ref_labels = _calibrated_world(1500, 100 + seed)
        scores, labels = _calibrated_world(2000, 200 + seed, shift)
        est = performance.estimate(performance.Reference(ref_scores, ref_labels), scores)
        low, high = est["auc_interval"]
        held += low <= performance.roc_auc(labels, scores) <= high
        widths.append(high - low)
    assert held >= 7 and np.median(widths) < 0.12, (held, np.median(widths))


CASES = [
    ("the inputs drifted past the threshold retrains on the share", 0.4, "held", "RETRAIN", "decided by the drift share"),
    ("the AUC dropped with confidence retrains on the AUC", 0.1, "dropped", "RETRAIN", "decided by the estimated AUC"),
    ("both held: no action, both stated", 0.1, "held", "NO_ACTION", "neither criterion"),
    ("an AUC interval across its tolerance cannot decide", 0.1, "inconclusive", "INCONCLUSIVE", "straddles"),
    ("no performance figure: the share alone", 0.1, None, "NO_ACTION", "drift share 0.10 < 0.30"),
]


@pytest.mark.parametrize("share, verdict, decision, says", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_decision_states_both_criteria_and_which_decided(share, verdict, decision, says):
    perf = None if verdict is None else {"verdict": verdict, "decided_on": "estimated"}
    got, why = decide_with_performance(share, 0.30, perf)
    assert got == decision and says in why


@pytest.mark.parametrize("interval, expected", [([0.80, 0.84], "held"), ([0.70, 0.75], "dropped"),
                                                ([0.74, 0.80], "inconclusive")],
                         ids=["wholly within the tolerance", "wholly below it", "across it"])
def test_the_performance_verdict_reads_the_whole_interval(interval, expected):
    assert performance.verdict(0.82, interval, 0.05) == expected


@pytest.mark.coverage
def test_the_estimates_interval_holds_the_realized_auc_at_its_level_with_a_power_floor():
    """200 seeded worlds of the reference month's size (1,400 held-out rows) and a run's distinct inputs (5,000):
    each side missed at most 2.5 % + 2 standard errors of the time, and the interval narrower than 0.1."""
    low_misses = high_misses = 0
    widths = []
    for seed in range(200):
        ref_scores, ref_labels = _calibrated_world(1400, 1000 + seed)
        scores, labels = _calibrated_world(5000, 2000 + seed, shift=0.1 * (seed % 2))
        low, high = performance.estimate(performance.Reference(ref_scores, ref_labels), scores)["auc_interval"]
        real = performance.roc_auc(labels, scores)
        low_misses += real < low
        high_misses += real > high
        widths.append(high - low)
    allowed = 200 * (0.025 + 2 * np.sqrt(0.025 * 0.975 / 200))
    assert low_misses <= allowed and high_misses <= allowed and np.median(widths) < 0.1, (low_misses, high_misses)
