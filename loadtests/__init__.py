"""Locust scenarios, declared load profiles and the runner that drives Locust for one run."""
