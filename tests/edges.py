"""How many requests can fall on either side of a window's edge: those in flight when it passes."""
import math


def in_flight_allowance(rate_rps: float, mean_latency_ms: float) -> int:
    """Two counts of one window, stamped at either end of a request's flight, differ by the requests in flight at
    its two edges: by Little's law about rate x latency at each, a Poisson count; allow its mean plus three
    standard deviations at both edges, and never fewer than 3."""
    at_edge = rate_rps * mean_latency_ms / 1000
    return max(3, math.ceil(2 * (at_edge + 3 * math.sqrt(at_edge)) + 1))


def interpolation_allowance(rate_rps: float, scrape_s: float) -> int:
    """A count read off a counter between scrapes, interpolated linearly at a window's two edges, misses how the
    arrivals of each edge's scrape interval fell on either side of it: a binomial share of a Poisson count, its
    standard deviation at most sqrt(rate x scrape / 4) an edge; three standard deviations over both edges."""
    return math.ceil(3 * math.sqrt(rate_rps * scrape_s / 2))
