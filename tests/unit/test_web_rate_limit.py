"""The per-address rate limit of the web pages: a burst, then a steady pace, per address."""

from __future__ import annotations

from web.server import RateLimiter


def test_a_burst_then_the_pace_and_each_address_on_its_own() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")  # another address has its own bucket
    now[0] += 1.0  # one request a second comes back
    assert limiter.allow("10.0.0.1") and not limiter.allow("10.0.0.1")
    now[0] += 600.0  # a long pause refills no more than the burst
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
