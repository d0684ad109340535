"""Plans as manufacturing writes them: one task a line (or several, separated by ；), each a
task word, perhaps a department, a date, perhaps a time and a title; in production a leading
+, - or ~ adds, removes or moves a task."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from workflow.model import TaskKind
from workflow.roles import Role, parse_role
from workflow.text import clean_name

ORDER_NUMBER = re.compile(r"\bSO-\d{8}-\d{3,}\b", re.IGNORECASE)
# When a date without a time falls due: the close of that working day.
DayClose = Callable[[date], datetime]

PLAN_WORDS: dict[str, tuple[TaskKind, Role]] = {
    "设计": (TaskKind.DESIGN, Role.TECH), "技术设计": (TaskKind.DESIGN, Role.TECH),
    "design": (TaskKind.DESIGN, Role.TECH),
    "协作": (TaskKind.SUBCONTRACT, Role.OEM), "外协": (TaskKind.SUBCONTRACT, Role.OEM),
    "配套": (TaskKind.SUBCONTRACT, Role.OEM), "subcontract": (TaskKind.SUBCONTRACT, Role.OEM),
    "采购": (TaskKind.PURCHASE, Role.PROCUREMENT), "到货": (TaskKind.PURCHASE, Role.PROCUREMENT),
    "purchase": (TaskKind.PURCHASE, Role.PROCUREMENT),
    "装配开始": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "开始装配": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "assembly_start": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "装配完成": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "完成装配": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "assembly_finish": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "包装": (TaskKind.PACKAGING, Role.MANUFACTURING),
    "packaging": (TaskKind.PACKAGING, Role.MANUFACTURING),
}


_PLAN_LINE = re.compile(
    r"^\s*(?P<what>[^\s:：]+)\s*[:：]?\s*(?:(?P<role>[^\s\d][^\s]*)\s+)?"
    r"(?P<date>(?:\d{4}[-./])?\d{1,2}[-./月]\d{1,2}日?)(?:\s+(?P<time>\d{1,2}:\d{2}))?"
    r"(?:\s+(?P<title>.+))?\s*$"
)


# A plan line's leading mark says what it does to a plan in production: + adds a task,
# - removes one, ~ moves one to a new date (加, 删, 改 likewise).
PLAN_OPS = {"+": "add", "＋": "add", "加": "add", "-": "remove", "－": "remove", "删": "remove",
            "~": "move", "～": "move", "改": "move"}


_PLAN_OP = re.compile(r"^\s*(?P<op>[+＋\-－~～加删改])\s*(?P<rest>.*)$")


_REMOVE_LINE = re.compile(r"^\s*(?P<what>[^\s:：]+)(?:\s+(?P<title>.+?))?\s*$")


# Tasks are written one a line, or several on one line separated by ；.
_PLAN_SEPARATORS = re.compile(r"[\n;；]")


@dataclass(frozen=True)
class PlanLine:
    kind: TaskKind
    role: Role
    due_at: datetime | None  # None only on a line that removes a task
    title: str | None
    op: str = "line"  # "line" (plain), "add", "remove" or "move"


@dataclass(frozen=True)
class PlanProblem:
    """A line the plan cannot take, and why: unreadable, unknown_task, unknown_role, past."""

    line: str
    reason: str


def read_plan(text: str, now: datetime, tz: tzinfo, day_close: DayClose
              ) -> tuple[list[PlanLine], list[PlanProblem]]:
    """Lines like `采购 物资管理部 12-05 断路器` → tasks; `-装配开始`, `~包装 12-18` change a
    plan in production. A line whose date has passed is refused with the rest of the trouble.
    A date without a time falls due at `day_close` of that day."""
    lines, problems = [], []
    for raw in _PLAN_SEPARATORS.split(text):
        raw = raw.strip()
        if not raw or ORDER_NUMBER.fullmatch(raw):
            continue
        marked = _PLAN_OP.match(raw)
        op = PLAN_OPS[marked["op"]] if marked else "line"
        read = _read_plan_line(marked["rest"] if marked else raw, op, now, tz, day_close)
        if isinstance(read, str):
            problems.append(PlanProblem(raw, read))
        else:
            lines.append(read)
    return lines, problems


def _read_plan_line(text: str, op: str, now: datetime, tz: tzinfo, day_close: DayClose
                    ) -> PlanLine | str:
    """The line, or the reason it cannot be one."""
    match = (_REMOVE_LINE if op == "remove" else _PLAN_LINE).match(text)
    if match is None:
        return "unreadable"
    word = match["what"].lower()
    if word not in PLAN_WORDS:
        return "unknown_task"
    kind, role = PLAN_WORDS[word]
    title = clean_name(match["title"]) or None
    if op == "remove":
        return PlanLine(kind, role, None, title, op)
    if match["role"]:
        named = parse_role(match["role"])
        if named is None or op == "move":  # a move keeps the task's department
            return "unknown_role"
        role = named
    due_at = read_moment(match["date"], match["time"], now.astimezone(tz).date(), tz, day_close)
    if due_at is None:
        return "unreadable"
    if due_at < now:
        return "past"
    return PlanLine(kind, role, due_at, title, op)


def plan_date(text: str, today: date) -> date | None:
    """A month and day are read in the year that puts them nearest today: 11-25 written on
    12-02 is last week (and refused where a date must be ahead), 01-10 is next January."""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    try:
        if len(numbers) == 3:
            return date(*numbers)
        date(2000, numbers[0], numbers[1])  # a real month and day in some year
    except ValueError:
        return None
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, numbers[0], numbers[1]))
        except ValueError:
            continue  # 02-29 outside a leap year
    return min(candidates, key=lambda day: abs(day - today))


def read_moment(day: str | None, clock: str | None, today: date, tz: tzinfo,
                day_close: DayClose) -> datetime | None:
    """`12-05` and `16:00` as a moment: today without a day, the day's close without a time;
    None when either is no real date or time."""
    on = plan_date(day, today) if day else today
    if on is None:
        return None
    if clock is None:
        return day_close(on)
    try:
        return datetime.combine(on, time.fromisoformat(clock.zfill(5)), tzinfo=tz)
    except ValueError:
        return None

