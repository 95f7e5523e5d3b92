"""Small load profiles for the integration tests, written as the YAML a user would write."""

WEIGHTS = "{predict_user: 8, predict_features: 1, health: 1}"


def closed_profile(name: str, *stages: tuple[str, int, float, float], weights: str = WEIGHTS,
                   rate_per_user: float = 10, settle_s: float = 1, traffic: str = "serving") -> str:
    """stages: (name, users, spawn_rate, duration_s)."""
    lines = [f"name: {name}", f"scenario: {{weights: {weights}, rate_per_user: {rate_per_user:g}, traffic: {traffic}}}",
             f"settle_s: {settle_s:g}", "stages:"]
    lines += [f"  - {{name: {s}, users: {u}, spawn_rate: {r:g}, duration_s: {d:g}}}" for s, u, r, d in stages]
    return "\n".join(lines) + "\n"
