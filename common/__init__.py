"""The ground floor every package may import, and that imports none of them: the metric contract
(contract.py), spec files with path-like errors (specfile.py), settings helpers (environment.py)."""
