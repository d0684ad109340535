"""Clocks: the system's, and a virtual one that simulations and tests move by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return self.now().timestamp()


class VirtualClock:
    """Time stands still until moved, so a scenario of days runs in seconds."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs an aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> float:
        return self._now.timestamp()

    def advance_to(self, moment: datetime) -> None:
        if moment > self._now:
            self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class ShiftedClock:
    """The system's time, moved forward by hand: the sandbox's `:wait` lets hours pass at once,
    and time runs on from there."""

    def __init__(self) -> None:
        self._shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._shift

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance_to(self, moment: datetime) -> None:
        now = self.now()
        if moment > now:
            self._shift += moment - now
