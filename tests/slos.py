"""The SLO file the tests judge the linear variant with (the shipped default is sized for the forest)."""
from pathlib import Path

LINEAR_SLO = Path(__file__).resolve().parent.parent / "slo" / "examples" / "linear.yaml"
