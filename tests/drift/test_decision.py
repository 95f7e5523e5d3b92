import pytest

from drift.decision import decide, verdict_line


@pytest.mark.parametrize("share, threshold, expected", [
    (0.0, 0.30, "NO_ACTION"), (0.29, 0.30, "NO_ACTION"), (0.2999999, 0.30, "NO_ACTION"), (0.30, 0.30, "RETRAIN"),
    (0.31, 0.30, "RETRAIN"), (1.0, 0.30, "RETRAIN"), (0.06, 0.05, "RETRAIN"),
], ids=["no drift", "just under", "a hair under", "exactly at the threshold", "just over", "everything drifted",
        "a stricter threshold"])
def test_retrain_when_the_drift_share_reaches_the_threshold(share, threshold, expected):
    assert decide(share, threshold) == expected


def test_the_verdict_line_reads_like_the_lab():
    line = verdict_line("a.html", "a.json", 0.0714, 0.30, "0.019")
    assert line == ("[Evidently] report_html=a.html report_json=a.json drift_share=0.07 -> NO_ACTION "
                    "drift_share=0.07 < 0.30 (target_drift=0.019)")
    assert "-> RETRAIN drift_share=0.50 >= 0.30" in verdict_line("a", "b", 0.5, 0.3, "x")
