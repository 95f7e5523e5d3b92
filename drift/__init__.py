"""Drift: Evidently on the recorded prediction inputs, and month against month, with a RETRAIN / NO_ACTION decision."""
