"""The drift check as the report holds it: typed and strict (what --fail-on-drift counts as a failure:
tests/slobench/test_cli.py)."""
import pytest
from pydantic import ValidationError

from slo.verdicts.report import DriftCheck

INPUTS = {"source": "recorded by the API", "file": "predictions.db"}


def test_a_drift_check_with_a_field_it_does_not_know_is_named_not_half_read():
    with pytest.raises(ValidationError, match="decisoin"):
        DriftCheck.model_validate({"status": "ok", "summary": "fine", "decisoin": "NO_ACTION"})


def test_a_stored_drift_check_reads_back_as_it_was_written():
    stored = {"status": "ok", "summary": "NO_ACTION", "decision": "NO_ACTION", "drift_share": 0.07,
              "columns": {"skips_7d": {"method": "Wasserstein", "score": 0.02, "threshold": 0.1, "drifted": False}},
              "performance": {"reference": {"month": "2024-01-31", "rows": 1409, "auc": 0.82},
                              "estimated": {"rows": 4436, "auc": 0.89, "auc_interval": [0.85, 0.91], "accuracy": 0.84,
                                            "accuracy_interval": [0.82, 0.86], "level": 0.95, "method": "confidence"},
                              "tolerance": 0.05, "decided_on": "estimated", "drop": -0.07, "verdict": "held"},
              "inputs": INPUTS}
    assert DriftCheck.model_validate(stored).model_dump(mode="json", exclude_unset=True) == stored
