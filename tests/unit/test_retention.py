"""Which backups the retention rule keeps: the newest of each of the last days, ISO weeks and
months (UTC) that have one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.backup import Retention, kept


def _daily(first: datetime, last: datetime) -> list[datetime]:
    days = (last - first).days
    return [first + timedelta(days=n) for n in range(days + 1)]


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T18:00:00").replace(tzinfo=UTC)


def test_a_backup_a_day_for_fourteen_months_keeps_seven_days_four_weeks_twelve_months() -> None:
    backups = _daily(at("2025-10-01"), at("2026-11-24"))  # the last is a Tuesday
    assert sorted(kept(backups, Retention(daily=7, weekly=4, monthly=12))) == [at(day) for day in (
        # the newest of each month, back to the twelfth
        "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31",
        "2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31",
        # the newest of each ISO week (Monday to Sunday), back to the fourth; the 22nd is the
        # newest of its week and also one of the last seven days
        "2026-11-08", "2026-11-15",
        # the last seven days, the newest of November among them
        "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23",
        "2026-11-24")]


def test_days_without_a_backup_do_not_count_and_the_newest_of_a_day_is_kept() -> None:
    backups = [at("2026-11-24"), at("2026-11-24") - timedelta(hours=6), at("2026-11-20"),
               at("2026-11-02"), at("2026-10-15")]
    assert kept(backups, Retention(daily=3, weekly=0, monthly=0)) == {
        at("2026-11-24"), at("2026-11-20"), at("2026-11-02")}


def test_nothing_to_keep_keeps_nothing() -> None:
    assert kept(_daily(at("2026-11-01"), at("2026-11-24")), Retention(0, 0, 0)) == set()
