"""The verdicts: each objective per stage, the run's verdict and capacity, what serving shows, the comparison with a baseline, and repeat sets."""
