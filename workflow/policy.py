"""The company's order policy as data.

The defaults in `default_policy.toml` are the rules of the seed 订单管理办法. A company file and
then `overrides` are merged on top, and the result is checked in full before anything runs, so
a typo in policy.toml stops start-up with a message that names the key instead of surfacing
weeks later as a deadline nobody expected.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.roles import Role

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")


class PolicyError(ValueError):
    """The policy cannot be used; each problem starts with the dotted key it is about."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class Counting(StrEnum):
    """Which clock a deadline runs on."""

    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class WorkingDays:
    """A whole number of working days ("5wd"): not a fixed length of time."""

    count: int

    def __str__(self) -> str:
        return f"{self.count}wd"


Span = timedelta | WorkingDays


class DeadlineName(StrEnum):
    """The rules under [deadlines]; a company may change them but not add to them."""

    FEASIBILITY_REVIEW = "feasibility_review"
    QUOTE = "quote"
    PRODUCTION_ORDER = "production_order"
    CHANGE_ANSWER = "change_answer"
    TECH_CHANGE_ANSWER = "tech_change_answer"
    PLANNING_COMPLETE_SET = "planning_complete_set"
    PLANNING_OTHER = "planning_other"
    OBJECTION = "objection"
    SUPPLIER_CONTACT = "supplier_contact"
    PROCUREMENT_DELAY_REPORT = "procurement_delay_report"
    DISPATCH_CONFIRMATION = "dispatch_confirmation"
    QUALITY_RESPONSE = "quality_response"
    QUALITY_COORDINATION = "quality_coordination"
    OEM_REMINDER = "oem_reminder"
    MARKET_FOLLOW_UP = "market_follow_up"
    PACKAGING_NOTICE_COMPLETE_SET = "packaging_notice_complete_set"
    PACKAGING_NOTICE_OTHER = "packaging_notice_other"
    SHIPPING_NOTICE = "shipping_notice"
    DECISION = "decision"
    PAYMENT_CHECK = "payment_check"
    MISSING_PARTS = "missing_parts"
    AFTER_SALES_RESPONSE = "after_sales_response"
    CONTACT_SLIP = "contact_slip"
    CREDIT_REVIEW = "credit_review"


# Rules counted back from a planned date (arrival, assembly start, packaging, delivery)
# instead of forward from an event.
COUNTED_BACK = frozenset({
    DeadlineName.SUPPLIER_CONTACT, DeadlineName.OEM_REMINDER, DeadlineName.MARKET_FOLLOW_UP,
    DeadlineName.PACKAGING_NOTICE_COMPLETE_SET, DeadlineName.PACKAGING_NOTICE_OTHER,
    DeadlineName.SHIPPING_NOTICE,
})


class NoticeKind(StrEnum):
    """Kinds of outgoing message that [quiet_hours.pass_through] can let through at night."""

    REMINDER = "reminder"
    URGE_SLIP = "urge_slip"
    ESCALATION = "escalation"
    DIGEST = "digest"
    QUALITY_ALERT = "quality_alert"
    GM_ESCALATION = "gm_escalation"



class NonRegularReason(StrEnum):
    """The four kinds of 非常规订单 in the policy's definition."""

    CUSTOM_DESIGN = "custom_design"
    DISCONTINUED = "discontinued"
    HIGH_QUALITY = "high_quality"
    URGENT_PENALTY = "urgent_penalty"


# An escalation step that means "the leader of the task's own department".
LEADER = "leader"
EscalationStep = Role | str


@dataclass(frozen=True)
class Deadline:
    """How long a rule allows, on which clock, and in which direction.

    A forward rule runs from an event (a contract signed, a report received). A `before` rule
    counts back from a planned date (arrival, packaging, shipping); `opens` is then the earlier
    edge of a window like “提前2-3天”, when the task should start.
    """

    duration: Span
    counts_in: Counting = Counting.WORKING
    before: bool = False
    opens: Span | None = None
    name: str = ""


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    lunch: tuple[time, time] | None
    weekdays: frozenset[int]  # date.weekday(): 0 is Monday

    @property
    def segments(self) -> tuple[tuple[time, time], ...]:
        """The stretches of a working day in which the deadline clock runs."""
        if self.lunch is None:
            return ((self.start, self.end),)
        return ((self.start, self.lunch[0]), (self.lunch[1], self.end))

    @property
    def day_length(self) -> timedelta:
        return sum((_since_midnight(b) - _since_midnight(a) for a, b in self.segments), timedelta())


@dataclass(frozen=True)
class QuietHours:
    enabled: bool
    start: time
    end: time
    rest_days: bool
    pass_through: Mapping[str, bool]

    def lets_through(self, kind: str) -> bool:
        # A kind nobody configured waits: a message late by a night beats a wrong 3 a.m. ping.
        return self.pass_through.get(kind, False)


@dataclass(frozen=True)
class Holidays:
    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]
    covered_years: frozenset[int]


@dataclass(frozen=True)
class EscalationPolicy:
    chains: Mapping[Role, tuple[EscalationStep, ...]]
    step_wait: timedelta
    counts_in: Counting
    max_repeats: int
    snooze_max: timedelta
    snooze_step: timedelta  # how far one tap of 稍后提醒 puts a reminder off
    remind_before: timedelta
    daily_cap: int  # escalation messages a person gets a day; the rest wait for the digest
    stale_after: timedelta  # a reminder this late is news of the past: it is summarized
    hold_recheck: timedelta  # a held order's clocks wait, and look again this often

    def chain_for(self, role: Role) -> tuple[EscalationStep, ...]:
        return self.chains.get(role, ())


@dataclass(frozen=True)
class DigestPolicy:
    time: time
    working_days_only: bool
    max_lines: int  # a department's digest lists this many tasks, then points to /tasks


@dataclass(frozen=True)
class BackupPolicy:
    time: time  # of the daily backup, in the policy's time zone


@dataclass(frozen=True)
class WebPolicy:
    track_expiry: timedelta  # how long a customer's tracking link opens; zero: until revoked
    login_link: timedelta  # how long a one-time login link waits to be opened
    session: timedelta  # how long a desk session lasts


@dataclass(frozen=True)
class NonRegularRules:
    """The words that make an order 非常规, by reason; `parsing.classify` matches them."""

    keywords: Mapping[NonRegularReason, tuple[str, ...]]


@dataclass(frozen=True)
class Policy:
    timezone: str
    working_hours: WorkingHours
    quiet_hours: QuietHours
    holidays: Holidays
    deadlines: Mapping[str, Deadline]
    quality_pass_rate_threshold: float
    escalation: EscalationPolicy
    digest: DigestPolicy
    non_regular: NonRegularRules
    duplicate_order_window: timedelta
    draft_expiry: timedelta
    # How long an ended order (closed, declined, cancelled) stays in the working lists.
    archive_after: timedelta
    backup: BackupPolicy
    # The working day of the month the month before's evaluation goes out on; 0 = never.
    monthly_report_day: int
    web: WebPolicy

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deadline(self, name: str) -> Deadline:
        try:
            return self.deadlines[name]
        except KeyError:
            raise KeyError(
                f"no deadline rule {name!r}; known: {', '.join(self.deadlines)}"
            ) from None


# ---------------------------------------------------------------------------------------------
# Parsing helpers shared with the rest of workflow/.

_WORKING_DAYS_RE = re.compile(r"(\d+)\s*wd")
_DURATION_RE = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?")
_CLOCK_RE = re.compile(r"(\d{1,2}):(\d{2})")
_DURATION_HINT = "write e.g. 4h, 30m, 1d or 5wd"


def parse_duration(text: str) -> Span:
    """Read "4h", "30m", "1h30m", "1d" (24 clock hours) or "5wd" (five working days)."""
    if not isinstance(text, str):
        raise ValueError(f"cannot read {text!r} as a duration; {_DURATION_HINT}")
    cleaned = text.strip().lower()
    if match := _WORKING_DAYS_RE.fullmatch(cleaned):
        return WorkingDays(int(match[1]))
    match = _DURATION_RE.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groups()):
        raise ValueError(f"cannot read {text!r} as a duration; {_DURATION_HINT}")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def format_duration(span: Span) -> str:
    """The inverse of parse_duration, for messages and docs ("1h30m", "5wd")."""
    if isinstance(span, WorkingDays):
        return str(span)
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return "".join(parts) or "0m"


def parse_clock(text: str) -> time:
    """Read a wall-clock time written "HH:MM" (24-hour)."""
    match = _CLOCK_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"cannot read {text!r} as a time of day; write it as HH:MM, e.g. 08:30")
    return time(int(match[1]), int(match[2]))


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second)


# ---------------------------------------------------------------------------------------------
# Loading: merge, then read every key through a _Table that records problems by dotted key.


MAX_MONTHLY_REPORT_DAY = 10  # even a month with 春节 has ten working days; later is stale


def load_policy(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> Policy:
    """The default policy, with the company file at `path` and then `overrides` merged on top.

    `overrides` is nested ({"deadlines": {"quote": {"duration": "2h"}}}) or uses dotted keys
    ({"deadlines.quote.duration": "2h"}), or both. Raises PolicyError naming every bad key.
    """
    data = _read_toml(DEFAULT_POLICY_PATH)
    if path is not None:
        data = _merge(data, _read_toml(Path(path)))
    if overrides:
        data = _merge(data, _expand_dotted(overrides, "overrides"))
    return _build(data)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError([f"{path}: policy file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError([f"{path}: not valid TOML: {error}"]) from None


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value, lists included, replaces the old one."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _expand_dotted(flat: Mapping[str, Any], where: str) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        if not isinstance(key, str) or not key:
            raise PolicyError([f"{where}: keys must be non-empty text, got {key!r}"])
        if isinstance(value, Mapping):
            value = _expand_dotted(value, where)
        *parents, leaf = key.split(".")
        table = nested
        for depth, part in enumerate(parents):
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                conflict = ".".join(parents[: depth + 1])
                raise PolicyError([f"{conflict}: given both as a value and as a table in {where}"])
        if isinstance(table.get(leaf), dict) and isinstance(value, dict):
            table[leaf] = _merge(table[leaf], value)
        elif leaf in table:
            raise PolicyError([f"{key}: given twice in {where}"])
        else:
            table[leaf] = value
    return nested


_MISSING = object()
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (text)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return repr(value)


class _Table:
    """One table of the merged policy; reads typed values and records problems by dotted key.

    Readers return None for a bad value, always with its problem recorded, so that loading goes
    on and reports every problem at once; a part of the policy is only built from values that
    were all read, and `_build` raises on any problem before a Policy leaves it.
    """

    def __init__(self, data: Any, prefix: str, problems: list[str]) -> None:
        self.prefix = prefix
        self.problems = problems
        self.broken = not isinstance(data, Mapping)
        self.data: Mapping[str, Any] = {} if self.broken else data
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{self.key(name)}: {message}")

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self.seen.add(name)
        # TOML has no null: a None comes from overrides (Python, or a scenario's YAML null),
        # and means not given.
        value = self.data.get(name)
        if value is not None:
            return value
        if default is _MISSING and not self.broken:
            self.problem(name, "missing")
        return None if default is _MISSING else default

    def table(self, name: str) -> _Table:
        value = self.raw(name, {})
        child = _Table(value, self.key(name), self.problems)
        if child.broken:
            self.problem(name, f"expected a table, got {_describe(value)}")
        return child

    def text(self, name: str, choices: Iterable[str] | None = None,
             default: Any = _MISSING) -> str | None:
        value = self.raw(name, default)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, f"expected text, got {_describe(value)}")
            return None
        if choices is not None and value not in choices:
            self.problem(name, f"{value!r} is not one of: {', '.join(choices)}")
            return None
        return value

    def flag(self, name: str, default: Any = _MISSING) -> bool | None:
        value = self.raw(name, default)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problem(name, f"expected true or false, got {_describe(value)}")
            return None
        return value

    def whole(self, name: str, low: int, high: int) -> int | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, f"expected a whole number, got {_describe(value)}")
            return None
        if not low <= value <= high:
            self.problem(name, f"{value} is out of range; allowed {low} to {high}")
            return None
        return value

    def number(self, name: str) -> float | None:
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(name, f"expected a number, got {_describe(value)}")
            return None
        return float(value)

    def span(self, name: str, default: Any = _MISSING) -> Span | None:
        value = self.raw(name, default)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as error:
            self.problem(name, str(error))
            return None

    def clock_duration(self, name: str, allow_zero: bool = False) -> timedelta | None:
        value = self.span(name)
        if isinstance(value, WorkingDays):
            self.problem(name, f"{value} counts working days; write a length of time such as 2h")
            return None
        if value is not None and not allow_zero and not value:
            self.problem(name, "must be longer than zero")
            return None
        return value

    def clock(self, name: str) -> time | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse_clock(value)
        except ValueError as error:
            self.problem(name, str(error))
            return None

    def items(self, name: str, default: Any = _MISSING) -> list[Any] | None:
        value = self.raw(name, default)
        if value is None:
            return None
        if not isinstance(value, list):
            self.problem(name, f"expected a list, got {_describe(value)}")
            return None
        return value

    def texts(self, name: str, default: Any = _MISSING) -> tuple[str, ...] | None:
        values = self.items(name, default)
        if values is None:
            return None
        bad = [v for v in values if not isinstance(v, str) or not v.strip()]
        if bad:
            self.problem(name, f"expected a list of non-empty text, got {_describe(bad[0])}")
            return None
        return tuple(values)

    def dates(self, name: str) -> frozenset[date] | None:
        values = self.items(name)
        if values is None:
            return None
        found: set[date] = set()
        for value in values:
            if isinstance(value, date) and not isinstance(value, datetime):
                found.add(value)
                continue
            try:
                found.add(date.fromisoformat(value))
            except (TypeError, ValueError):
                self.problem(name, f"cannot read {value!r} as a date; write e.g. 2027-01-01")
                return None
        return frozenset(found)

    def removed(self, name: str, why: str) -> None:
        """A key older policy files may carry: refused by name with the reason it went, since
        a setting that does nothing must not look as if it did."""
        self.seen.add(name)
        if name in self.data:
            self.problem(name, f"no longer a setting: {why}")

    def done(self) -> None:
        """Report keys nobody read: a misspelt key must not be silently ignored."""
        for name in self.data:
            if name in self.seen:
                continue
            close = difflib.get_close_matches(name, list(self.seen), n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"known keys: {', '.join(sorted(self.seen))}"
            )
            self.problem(name, f"unknown key; {hint}")


def _build(data: Mapping[str, Any]) -> Policy:
    problems: list[str] = []
    policy = _read_policy(_Table(data, "", problems))
    if problems:
        raise PolicyError(problems)
    # A part goes unread only with a problem recorded, so without problems the policy is whole.
    assert policy is not None
    return policy


def _read_policy(root: _Table) -> Policy | None:
    timezone = root.text("timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            root.problem("timezone", f"unknown time zone {timezone!r}; write e.g. Asia/Shanghai")

    working_hours = _read_working_hours(root.table("working_hours"))
    quiet_hours = _read_quiet_hours(root.table("quiet_hours"))
    holidays = _read_holidays(root.table("holidays"))
    deadlines = _read_deadlines(root.table("deadlines"))

    quality = root.table("quality")
    threshold = quality.number("pass_rate_threshold")
    if threshold is not None and not 0 < threshold <= 1:
        quality.problem(
            "pass_rate_threshold", f"{threshold} must be above 0 and at most 1 (0.95 means 95%)"
        )
    quality.done()

    escalation = _read_escalation(root.table("escalation"))
    digest = _read_digest(root.table("digest"))
    non_regular = _read_non_regular(root.table("non_regular"))

    report = root.table("report")
    monthly_report_day = report.whole("monthly_working_day", 0, MAX_MONTHLY_REPORT_DAY)
    report.done()

    orders = root.table("orders")
    duplicate_window = orders.clock_duration("duplicate_window", allow_zero=True)
    draft_expiry = orders.clock_duration("draft_expiry")
    archive_after = orders.clock_duration("archive_after")
    orders.done()

    backup_table = root.table("backup")
    backup_time = backup_table.clock("time")
    backup_table.done()

    web_table = root.table("web")
    track_expiry = web_table.clock_duration("track_expiry", allow_zero=True)
    login_link = web_table.clock_duration("login_link")
    session = web_table.clock_duration("session")
    web_table.done()

    root.done()
    if (
        timezone is None
        or working_hours is None
        or quiet_hours is None
        or holidays is None
        or deadlines is None
        or threshold is None
        or escalation is None
        or digest is None
        or non_regular is None
        or duplicate_window is None
        or draft_expiry is None
        or archive_after is None
        or monthly_report_day is None
        or backup_time is None
        or track_expiry is None
        or login_link is None
        or session is None
    ):
        return None
    return Policy(
        timezone=timezone,
        working_hours=working_hours,
        quiet_hours=quiet_hours,
        holidays=holidays,
        deadlines=deadlines,
        quality_pass_rate_threshold=threshold,
        escalation=escalation,
        digest=digest,
        non_regular=non_regular,
        duplicate_order_window=duplicate_window,
        draft_expiry=draft_expiry,
        archive_after=archive_after,
        backup=BackupPolicy(backup_time),
        monthly_report_day=monthly_report_day,
        web=WebPolicy(track_expiry, login_link, session),
    )


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def _every_read(values: Mapping[_Key, _Value | None]) -> dict[_Key, _Value] | None:
    """`values` when each one was read; None when any was not (its problem is recorded)."""
    read = {key: value for key, value in values.items() if value is not None}
    return read if len(read) == len(values) else None


def _read_working_hours(table: _Table) -> WorkingHours | None:
    start, end = table.clock("start"), table.clock("end")
    if start and end and end <= start:
        table.problem("end", f"{end:%H:%M} is not after start {start:%H:%M}")

    lunch = None
    lunch_times = table.items("lunch")
    if lunch_times:
        try:
            if len(lunch_times) != 2:
                raise ValueError(
                    'expected two times, e.g. lunch = ["12:00", "13:00"], or [] for none'
                )
            lunch = (parse_clock(lunch_times[0]), parse_clock(lunch_times[1]))
        except ValueError as error:
            table.problem("lunch", str(error))
        else:
            if start and end and not start < lunch[0] < lunch[1] < end:
                table.problem(
                    "lunch",
                    f"{lunch[0]:%H:%M}-{lunch[1]:%H:%M} must lie inside the working day "
                    f"{start:%H:%M}-{end:%H:%M} and end after it starts",
                )

    weekdays: set[int] = set()
    names = table.items("weekdays")
    for name in names or ():
        if name not in _WEEKDAY_NAMES:
            table.problem(
                "weekdays", f"{name!r} is not a day name; use {', '.join(_WEEKDAY_NAMES)}"
            )
        elif _WEEKDAY_NAMES.index(name) in weekdays:
            table.problem("weekdays", f"{name!r} is listed twice")
        else:
            weekdays.add(_WEEKDAY_NAMES.index(name))
    if names is not None and not names:
        table.problem("weekdays", "at least one working weekday is needed")
    table.done()
    if start is None or end is None:
        return None
    return WorkingHours(start, end, lunch, frozenset(weekdays))


def _read_quiet_hours(table: _Table) -> QuietHours | None:
    enabled = table.flag("enabled")
    start, end = table.clock("start"), table.clock("end")
    if enabled and start is not None and start == end:
        table.problem("end", "equals start; to turn quiet hours off write enabled = false")
    rest_days = table.flag("rest_days")
    kinds = table.table("pass_through")
    pass_through = _every_read({kind.value: kinds.flag(kind.value) for kind in NoticeKind})
    kinds.removed("shipping_day", "the bot sends nothing of its own on a shipping day; what "
                                  "people record that day (/shipnotice, /ship) goes out at once")
    kinds.done()
    table.done()
    if (
        enabled is None
        or start is None
        or end is None
        or rest_days is None
        or pass_through is None
    ):
        return None
    return QuietHours(enabled, start, end, rest_days, MappingProxyType(pass_through))


def _read_holidays(table: _Table) -> Holidays | None:
    extra_holidays = table.dates("extra_holidays")
    extra_workdays = table.dates("extra_workdays")
    if extra_holidays and extra_workdays:
        for day in sorted(extra_holidays & extra_workdays):
            table.problem("extra_workdays", f"{day} is also listed in extra_holidays")
    years: set[int] = set()
    for year in table.items("covered_years") or ():
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
            table.problem("covered_years", f"expected years such as 2027, got {_describe(year)}")
        else:
            years.add(year)
    table.done()
    if extra_holidays is None or extra_workdays is None:
        return None
    return Holidays(extra_holidays, extra_workdays, frozenset(years))


def _read_deadlines(table: _Table) -> Mapping[str, Deadline] | None:
    deadlines = _every_read(
        {name.value: _read_deadline(table.table(name.value), name.value) for name in DeadlineName}
    )
    table.removed("change_relay", "the bot passes a change on to every department concerned "
                                  "the moment it takes effect; nothing is left to time")
    table.done()
    return None if deadlines is None else MappingProxyType(deadlines)


def _read_deadline(table: _Table, name: str) -> Deadline | None:
    # Working days count on the working clock only, so such a rule needs no counts_in.
    counts_in = table.text("counts_in", [c.value for c in Counting], Counting.WORKING.value)
    before = name in COUNTED_BACK
    table.removed("before", "whether a rule counts back from a planned date is the rule's own "
                            "(supplier contact, OEM reminder, follow-up, packaging and shipping "
                            "notices do)")
    duration = table.span("duration")
    opens = table.span("opens", None)

    raw_duration = table.data.get("duration")
    if duration is not None and not _span_size(duration):
        table.problem("duration", "must be longer than zero")
    elif isinstance(duration, WorkingDays) and counts_in == Counting.CALENDAR:
        table.problem("duration", f'{duration} counts working days, so counts_in must be "working"')
    elif (
        isinstance(duration, timedelta)
        and counts_in == Counting.WORKING
        # parse_duration reads text only, so a duration that was read came from text.
        and isinstance(raw_duration, str)
        and re.search(r"\d\s*d", raw_duration.lower())
    ):
        # "1d" on the working clock would be 24 working hours, three days: never what is meant.
        table.problem(
            "duration",
            f"{raw_duration!r} would count every day as 24 working hours; write e.g. 1wd for "
            'one working day, or set counts_in = "calendar"',
        )

    if opens is not None and not before:
        table.problem("opens", "only a rule counted back from a planned date has a window "
                               "that opens earlier")
    elif opens is not None and duration is not None:
        if type(opens) is not type(duration):
            table.problem(
                "opens",
                f"{format_duration(opens)} and duration {format_duration(duration)} must both be "
                "working days or both times",
            )
        elif not _longer(opens, duration):
            table.problem(
                "opens",
                f"{format_duration(opens)} must be further ahead than "
                f"duration {format_duration(duration)}",
            )
    table.done()
    if duration is None or counts_in is None:
        return None
    return Deadline(duration, Counting(counts_in), before, opens, name)


def _span_size(span: Span) -> int | timedelta:
    return span.count if isinstance(span, WorkingDays) else span


def _longer(span: Span, other: Span) -> bool:
    """Whether `span` is longer than `other`, both working days or both lengths of time."""
    if isinstance(span, WorkingDays) and isinstance(other, WorkingDays):
        return span.count > other.count
    if isinstance(span, timedelta) and isinstance(other, timedelta):
        return span > other
    raise TypeError(f"{span} and {other} do not compare: only one counts working days")


def _read_escalation(table: _Table) -> EscalationPolicy | None:
    chains_table = table.table("chains")
    chains: dict[Role, tuple[EscalationStep, ...]] = {}
    allowed = [LEADER, *(role.value for role in Role)]
    for role in Role:
        steps = chains_table.texts(role.value, [])
        if steps is None:
            continue
        unknown = [step for step in steps if step not in allowed]
        if unknown:
            chains_table.problem(
                role.value, f"{unknown[0]!r} is not a step; use {', '.join(allowed)}"
            )
        elif len(set(steps)) != len(steps):
            chains_table.problem(role.value, "lists a step twice")
        else:
            chains[role] = tuple(LEADER if step == LEADER else Role(step) for step in steps)
    chains_table.done()

    step_wait = table.clock_duration("step_wait")
    counts_in = table.text("counts_in", [c.value for c in Counting])
    max_repeats = table.whole("max_repeats", 0, 100)
    snooze_max = table.clock_duration("snooze_max")
    snooze_step = table.clock_duration("snooze_step")
    if snooze_step is not None and snooze_max is not None and snooze_step > snooze_max:
        # Not even one tap would fit: the button would only ever refuse.
        table.problem("snooze_step", f"{format_duration(snooze_step)} is longer than snooze_max "
                                     f"{format_duration(snooze_max)}")
    remind_before = table.clock_duration("remind_before")
    daily_cap = table.whole("daily_cap", 1, 1000)
    stale_after = table.clock_duration("stale_after")
    hold_recheck = table.clock_duration("hold_recheck")
    table.done()
    if (
        step_wait is None
        or counts_in is None
        or max_repeats is None
        or snooze_max is None
        or snooze_step is None
        or remind_before is None
        or daily_cap is None
        or stale_after is None
        or hold_recheck is None
    ):
        return None
    return EscalationPolicy(
        MappingProxyType(chains),
        step_wait,
        Counting(counts_in),
        max_repeats,
        snooze_max,
        snooze_step,
        remind_before,
        daily_cap,
        stale_after,
        hold_recheck,
    )


def _read_digest(table: _Table) -> DigestPolicy | None:
    clock, working_days_only = table.clock("time"), table.flag("working_days_only")
    max_lines = table.whole("max_lines", 1, 200)
    table.done()
    if clock is None or working_days_only is None or max_lines is None:
        return None
    return DigestPolicy(clock, working_days_only, max_lines)


def _read_non_regular(table: _Table) -> NonRegularRules | None:
    words = table.table("keywords")
    keywords = _every_read({reason: words.texts(reason.value) for reason in NonRegularReason})
    words.done()
    table.done()
    return None if keywords is None else NonRegularRules(MappingProxyType(keywords))
