"""The evaluation's picture (Pillow) and workbooks (xlsxwriter), in the reader's language.

The picture is drawn with Pillow rather than plotted with matplotlib: two bar panels need no
plotting library, Pillow is one wheel with no numpy behind it, and the same bytes come out on
every machine. Chinese needs a CJK font: Noto Sans CJK comes with the `manimgx-fonts-cjk`
wheel that `pip install` brings, and Debian's fonts-noto-cjk or fonts-wqy-* serve as well. A
font must draw every character of the chart; with none that does, there is no picture and the
workbook's native Excel charts stand alone (`chart_font` returns None).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.render import _late_line as late_line
from locales import translate
from workflow.evaluation import Evaluation, Spread
from workflow.model import ChangeNotice, Order, Task, UrgeSlip
from workflow.roles import Role

# Pillow and xlsxwriter hold about 14 MB once imported, and the bot at rest needs neither:
# they are imported by the functions that draw and write, when the first report is asked for.
if TYPE_CHECKING:
    from PIL import ImageFont


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int = 0  # the face in a collection: Noto Sans CJK's simplified Chinese is the third
    variation: str | None = None  # a variable font's named instance


def _packaged_cjk() -> list[FontFile]:
    spec = find_spec("manimgx_fonts_cjk")
    if spec is None or spec.origin is None:
        return []
    return [FontFile(Path(spec.origin).parent / "NotoSansCJK-VF.otf.ttc", 2, "Regular")]


# Tried in order; the first that has every character of the chart draws it.
FONTS: list[FontFile] = [
    *_packaged_cjk(),
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")),
    FontFile(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")),
]


@cache
def _load(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    face = ImageFont.truetype(str(font.path), size, index=font.index)
    if font.variation:
        face.set_variation_by_name(font.variation)
    return face


def _drawn(face: ImageFont.FreeTypeFont, char: str) -> bytes:
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (64, 64))
    ImageDraw.Draw(canvas).text((8, 8), char, font=face, fill=255)
    return canvas.tobytes()


def _covers(face: ImageFont.FreeTypeFont, text: str) -> bool:
    """Whether the face has a glyph of its own for every character: a missing one is drawn
    as the face's .notdef box, as U+FFFF (never a character) is."""
    missing = _drawn(face, "\uffff")
    return all(_drawn(face, char) != missing for char in set(text) if not char.isspace())


def chart_font(text: str) -> FontFile | None:
    """The first font of FONTS that is installed and draws all of `text`."""
    for font in FONTS:
        if font.path.is_file() and _covers(_load(font, 24), text):
            return font
    return None


# ---- the picture --------------------------------------------------------------------------

WIDTH, MARGIN, ROW, LABEL_WIDTH, BAR_WIDTH = 1200, 40, 46, 330, 560
INK, MUTED, GOOD, LATE, TRACK = "#1f2933", "#616e7c", "#2f855a", "#c53030", "#e4e7eb"


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # 0..1 of the bar's track
    note: str
    color: str


def chart_rows(evaluation: Evaluation, locale: str) -> tuple[list[Bar], list[Bar]]:
    """The two panels: each department's on-time rate, the late tasks by step."""
    departments = [
        Bar(translate(locale, f"role.{role.value}"), d.on_time_rate or 0.0,
            translate(locale, "report.chart.on_time_note", rate=_percent(d.on_time_rate),
                      on_time=d.tasks_on_time, due=d.tasks_due), GOOD)
        for role, d in evaluation.departments.items() if d.tasks_due]
    most = max((s.count for s in evaluation.late_by_kind.values()), default=0)
    late = [Bar(translate(locale, f"taskkind.{kind}"), spread.count / most if most else 0.0,
                translate(locale, "report.chart.late_note", count=spread.count,
                          median=_number(spread.median)), LATE)
            for kind, spread in evaluation.late_by_kind.items()]
    return departments, late


def chart_texts(evaluation: Evaluation, locale: str) -> list[str]:
    departments, late = chart_rows(evaluation, locale)
    return [*_chart_headings(evaluation, locale), *(b.label + b.note for b in departments + late)]


def _chart_headings(evaluation: Evaluation, locale: str) -> list[str]:
    return [translate(locale, "report.chart.title", period=evaluation.period.label),
            translate(locale, "report.chart.subtitle", rate=_percent(evaluation.on_time_rate),
                      shipped=evaluation.shipped, tasks=_percent(_share(
                          evaluation.tasks_on_time, evaluation.tasks_due))),
            translate(locale, "report.chart.departments"), translate(locale, "report.chart.late"),
            translate(locale, "report.chart.nothing")]


def picture(evaluation: Evaluation, locale: str) -> bytes | None:
    """The chart as a PNG, or None when no installed font draws its text."""
    from PIL import Image, ImageDraw

    font = chart_font("".join(chart_texts(evaluation, locale)))
    if font is None:
        return None
    title, subtitle, departments_heading, late_heading, nothing = _chart_headings(
        evaluation, locale)
    departments, late = chart_rows(evaluation, locale)
    panels = ((departments_heading, departments), (late_heading, late))
    height = MARGIN * 2 + 100 + sum(70 + ROW * max(len(bars), 1) for _, bars in panels)
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN), title, font=_load(font, 34), fill=INK)
    draw.text((MARGIN, MARGIN + 48), subtitle, font=_load(font, 22), fill=MUTED)
    y = MARGIN + 100
    for heading, bars in panels:
        draw.text((MARGIN, y + 20), heading, font=_load(font, 26), fill=INK)
        y += 70
        if not bars:
            draw.text((MARGIN + 20, y + 8), nothing, font=_load(font, 22), fill=MUTED)
            y += ROW
        for bar in bars:
            label_font = _load(font, 22)
            draw.text((MARGIN + LABEL_WIDTH - 16, y + ROW / 2), bar.label, font=label_font,
                      fill=INK, anchor="rm")
            left = MARGIN + LABEL_WIDTH
            draw.rectangle((left, y + 8, left + BAR_WIDTH, y + ROW - 8), fill=TRACK)
            if bar.share > 0:
                draw.rectangle((left, y + 8, left + max(2, round(BAR_WIDTH * bar.share)),
                                y + ROW - 8), fill=bar.color)
            draw.text((left + BAR_WIDTH + 16, y + ROW / 2), bar.note, font=label_font,
                      fill=MUTED, anchor="lm")
            y += ROW
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


# ---- workbooks ------------------------------------------------------------------------------

# How a column's cells are written: Excel's own dates and numbers, so filters and sums work.
TEXT, WHOLE, NUMBER, PERCENT, DAY, MOMENT, YES_NO = (
    "text", "whole", "number", "percent", "day", "moment", "yes_no")
_FORMATS = {WHOLE: "0", NUMBER: "0.0#", PERCENT: "0.0%", DAY: "yyyy-mm-dd",
            MOMENT: "yyyy-mm-dd hh:mm"}
_WIDTHS = {TEXT: 16, WHOLE: 9, NUMBER: 10, PERCENT: 9, DAY: 12, MOMENT: 17, YES_NO: 8}


@dataclass(frozen=True)
class Column:
    kind: str
    value: Callable[[Any], Any]
    width: int | None = None


class Book:
    """One xlsxwriter workbook in memory, with the formats its sheets share."""

    def __init__(self, locale: str, tz: ZoneInfo) -> None:
        self.locale, self.tz = locale, tz
        self.out = io.BytesIO()
        import xlsxwriter

        self.book = xlsxwriter.Workbook(self.out, {"in_memory": True})
        self.formats = {kind: self.book.add_format({"num_format": pattern})
                        for kind, pattern in _FORMATS.items()}
        self.header = self.book.add_format({"bold": True, "bg_color": "#e4e7eb",
                                            "bottom": 1, "text_wrap": True, "valign": "top"})
        self.title = self.book.add_format({"bold": True, "font_size": 14})

    def t(self, key: str, **params: Any) -> str:
        return translate(self.locale, key, **params)

    def headers(self, key: str) -> list[str]:
        return self.t(key).split("|")

    def cell(self, sheet: Any, row: int, col: int, kind: str, value: Any) -> None:
        if value is None or value == "":
            sheet.write_blank(row, col, None)
        elif kind in (DAY, MOMENT):
            local = (value.astimezone(self.tz).replace(tzinfo=None)
                     if isinstance(value, datetime) else datetime.combine(value, datetime.min.time()))
            sheet.write_datetime(row, col, local, self.formats[kind])
        elif kind == YES_NO:
            sheet.write_string(row, col, self.t("common.yes" if value else "common.no"))
        elif kind in (WHOLE, NUMBER, PERCENT):
            sheet.write_number(row, col, value, self.formats[kind])
        else:
            sheet.write_string(row, col, str(value))

    def table(self, sheet: Any, first_row: int, headers: Sequence[str],
              columns: Sequence[Column], items: Iterable[Any], *, filters: bool = True) -> int:
        """Headers and one row per item from `first_row`; the row after the table."""
        assert len(headers) == len(columns), (headers, len(columns))
        for col, (text, column) in enumerate(zip(headers, columns, strict=True)):
            sheet.write_string(first_row, col, text, self.header)
            width = max(column.width or _WIDTHS[column.kind], min(len(text) * 2, 24))
            sheet.set_column(col, col, width)
        row = first_row
        for item in items:
            row += 1
            for col, column in enumerate(columns):
                self.cell(sheet, row, col, column.kind, column.value(item))
        if filters:
            sheet.autofilter(first_row, 0, max(row, first_row), len(columns) - 1)
        return row + 1

    def sheet(self, name_key: str) -> Any:
        return self.book.add_worksheet(self.t(name_key)[:31])

    def close(self) -> bytes:
        self.book.close()
        return self.out.getvalue()


def _role(book: Book, role: Role | str) -> str:
    return book.t(f"role.{role}")


def _kind(book: Book, kind: str) -> str:
    return book.t(f"taskkind.{kind}")


def _status(book: Book, status: str) -> str:
    return book.t(f"status.{status}")


def evaluation_workbook(evaluation: Evaluation, locale: str, tz: ZoneInfo) -> bytes:
    """The summary with native charts, then the orders, the tasks with their clocks and the
    escalations of the period."""
    book = Book(locale, tz)
    _summary(book, evaluation)
    orders = book.sheet("report.sheet.orders")
    orders.freeze_panes(1, 1)
    book.table(orders, 0, book.headers("report.columns.orders"), [
        Column(TEXT, lambda o: o.number, 18), Column(TEXT, lambda o: o.customer, 20),
        Column(TEXT, lambda o: o.product, 20), Column(TEXT, lambda o: o.model),
        Column(NUMBER, lambda o: o.quantity), Column(TEXT, lambda o: o.unit, 6),
        Column(NUMBER, lambda o: o.amount, 12), Column(TEXT, lambda o: o.rep, 10),
        Column(TEXT, lambda o: _status(book, o.status), 10),
        Column(MOMENT, lambda o: o.received_at), Column(MOMENT, lambda o: o.accepted_at),
        Column(MOMENT, lambda o: o.effective_at), Column(MOMENT, lambda o: o.shipped_at),
        Column(MOMENT, lambda o: o.declined_at), Column(MOMENT, lambda o: o.cancelled_at),
        Column(DAY, lambda o: o.original_due), Column(DAY, lambda o: o.agreed_due),
        Column(NUMBER, lambda o: o.shipped_quantity),
        Column(YES_NO, lambda o: o.short if o.shipped_at else None),
        Column(YES_NO, lambda o: o.on_time), Column(YES_NO, lambda o: o.on_time_original),
        Column(NUMBER, lambda o: o.days_to_ship),
    ], evaluation.orders)
    tasks = book.sheet("report.sheet.tasks")
    tasks.freeze_panes(1, 1)
    book.table(tasks, 0, book.headers("report.columns.tasks"), [
        Column(TEXT, lambda t: t.order, 18), Column(TEXT, lambda t: _kind(book, t.kind), 14),
        Column(TEXT, lambda t: _role(book, t.role), 12), Column(TEXT, lambda t: t.title, 20),
        Column(TEXT, lambda t: t.owner, 10), Column(TEXT, lambda t: _status(book, t.status), 10),
        Column(MOMENT, lambda t: t.created_at), Column(MOMENT, lambda t: t.due_at),
        Column(MOMENT, lambda t: t.first_response_at), Column(NUMBER, lambda t: t.response_minutes),
        Column(YES_NO, lambda t: t.within_clock), Column(MOMENT, lambda t: t.closed_at),
        Column(YES_NO, lambda t: t.on_time), Column(NUMBER, lambda t: t.late_hours),
    ], evaluation.tasks)
    escalations = book.sheet("report.sheet.escalations")
    escalations.freeze_panes(1, 0)
    book.table(escalations, 0, book.headers("report.columns.escalations"), [
        Column(MOMENT, lambda e: e.at), Column(TEXT, lambda e: e.order, 18),
        Column(TEXT, lambda e: _kind(book, e.kind), 14),
        Column(TEXT, lambda e: _role(book, e.role), 12), Column(TEXT, lambda e: e.title, 20),
        Column(WHOLE, lambda e: e.step),
        Column(TEXT, lambda e: book.t("report.to_leader") if e.to == "leader"
               else _role(book, e.to), 12),
        Column(TEXT, lambda e: book.t("list.separator").join(e.people), 16),
        Column(MOMENT, lambda e: e.due_at),
    ], evaluation.escalations)
    return book.close()


def _summary(book: Book, e: Evaluation) -> None:
    sheet = book.sheet("report.sheet.summary")
    sheet.write_string(0, 0, book.t("report.chart.title", period=e.period.label), book.title)
    sheet.write_string(1, 0, book.t("report.workbook.period", first=e.period.first.isoformat(),
                                    last=e.period.last.isoformat(),
                                    now=e.now.astimezone(book.tz).strftime("%Y-%m-%d %H:%M")))
    labels = book.headers("report.figures")
    values = [
        (WHOLE, e.received), (WHOLE, e.accepted), (WHOLE, e.declined), (WHOLE, e.cancelled),
        (WHOLE, e.effective), (WHOLE, e.shipped), (PERCENT, e.on_time_rate),
        (PERCENT, e.on_time_rate_original), (WHOLE, e.short_shipments),
        (NUMBER, e.lead_times["received_to_effective"].median),
        (NUMBER, e.lead_times["effective_to_shipped"].median),
        (NUMBER, e.lead_times["received_to_shipped"].median),
        (NUMBER, e.lead_times["received_to_shipped"].p90),
        (WHOLE, e.tasks_due), (WHOLE, e.tasks_on_time), (WHOLE, e.tasks_late),
        (NUMBER, e.lateness.median), (NUMBER, e.lateness.p90), (WHOLE, len(e.escalations)),
        (WHOLE, e.change_notices[1]), (WHOLE, e.change_notices[2]), (WHOLE, e.change_notices[3]),
        (WHOLE, e.urge_slips), (WHOLE, e.tickets), (NUMBER, e.ticket_response.median),
        (WHOLE, e.inspections), (PERCENT, e.pass_rate), (WHOLE, e.below_threshold),
    ]
    assert len(labels) == len(values), (len(labels), len(values))
    row = 3
    sheet.set_column(0, 0, 30)
    for label, (kind, value) in zip(labels, values, strict=True):
        sheet.write_string(row, 0, label)
        book.cell(sheet, row, 1, kind, value)
        row += 1
    row += 1
    departments = [(role, d) for role, d in e.departments.items() if d.tasks_due or d.responses]
    first = row
    row = book.table(sheet, row, book.headers("report.columns.departments"), [
        Column(TEXT, lambda item: _role(book, item[0]), 14),
        Column(WHOLE, lambda item: item[1].tasks_due), Column(WHOLE, lambda item: item[1].tasks_on_time),
        Column(WHOLE, lambda item: item[1].tasks_late),
        Column(PERCENT, lambda item: item[1].on_time_rate),
        Column(NUMBER, lambda item: item[1].median_first_response),
    ], departments, filters=False)
    _chart(book, sheet, "bar", book.t("report.chart.departments"), first, len(departments), 4,
           "F4", percent=True)
    row += 1
    late_first = row
    row = book.table(sheet, row, book.headers("report.columns.late_by_kind"), [
        Column(TEXT, lambda item: _kind(book, item[0]), 14), Column(WHOLE, lambda item: item[1].count),
        Column(NUMBER, lambda item: item[1].median), Column(NUMBER, lambda item: item[1].p90),
    ], list(e.late_by_kind.items()), filters=False)
    _chart(book, sheet, "column", book.t("report.chart.late"), late_first, len(e.late_by_kind), 1,
           "F22")
    row += 1
    row = book.table(sheet, row, book.headers("report.columns.responses"), [
        Column(TEXT, lambda item: _kind(book, item[0]), 14), Column(WHOLE, lambda item: item[1].count),
        Column(NUMBER, lambda item: item[1].median), Column(NUMBER, lambda item: item[1].p90),
        Column(WHOLE, lambda item: e.within_clock.get(item[0], 0)),
    ], list(e.first_response.items()), filters=False)
    row += 1
    row = book.table(sheet, row, book.headers("report.columns.escalation_steps"), [
        Column(WHOLE, lambda item: item[0]), Column(WHOLE, lambda item: item[1]),
    ], list(e.escalations_by_step.items()), filters=False)
    row += 1
    row = book.table(sheet, row, book.headers("report.columns.customers"), [
        Column(TEXT, lambda item: item[0], 20), Column(WHOLE, lambda item: item[1]["orders_received"]),
        Column(WHOLE, lambda item: item[1]["orders_shipped"]),
        Column(WHOLE, lambda item: item[1]["on_time"]),
    ], list(e.by_customer.items()), filters=False)
    row += 1
    book.table(sheet, row, book.headers("report.columns.people"), [
        Column(TEXT, lambda item: item[0], 14), Column(WHOLE, lambda item: item[1]["orders_received"]),
        Column(WHOLE, lambda item: item[1]["tasks_due"]),
        Column(WHOLE, lambda item: item[1]["tasks_late"]),
    ], list(e.by_person.items()), filters=False)


def _chart(book: Book, sheet: Any, kind: str, title: str, header_row: int, rows: int,
           value_col: int, where: str, *, percent: bool = False) -> None:
    """A native Excel chart of one column of a table on the summary sheet."""
    if not rows:
        return
    chart = book.book.add_chart({"type": kind})
    name = sheet.get_name()
    chart.add_series({
        "name": title,
        "categories": [name, header_row + 1, 0, header_row + rows, 0],
        "values": [name, header_row + 1, value_col, header_row + rows, value_col],
        "data_labels": {"value": True, **({"num_format": "0%"} if percent else {})},
        "fill": {"color": GOOD if percent else LATE},
    })
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    axis = {"min": 0, "max": 1, "num_format": "0%"} if percent else {"min": 0}
    (chart.set_x_axis if kind == "bar" else chart.set_y_axis)(axis)
    sheet.insert_chart(where, chart, {"x_scale": 1.3, "y_scale": 1.2})


# ---- the export -------------------------------------------------------------------------


@dataclass
class ExportRecords:
    orders: list[Order]
    tasks: list[Task]
    notices: list[ChangeNotice]
    slips: list[UrgeSlip]
    names: dict[int, str]
    audit: list[Any] | None = None  # one order's trail: workflow.evaluation.Event


def export_workbook(records: ExportRecords, locale: str, tz: ZoneInfo) -> bytes:
    """Orders with their tasks, change notices and urge slips (and one order's audit trail)
    as sheets a person can read and filter."""
    book = Book(locale, tz)
    numbers = {o.id: o.number for o in records.orders}

    def name(person_id: int | None) -> str | None:
        return records.names.get(person_id, str(person_id)) if person_id else None

    orders = book.sheet("report.sheet.orders")
    orders.freeze_panes(1, 1)
    book.table(orders, 0, book.headers("report.columns.export_orders"), [
        Column(TEXT, lambda o: o.number, 18), Column(TEXT, lambda o: _status(book, o.status.value)),
        Column(TEXT, lambda o: o.customer, 20), Column(TEXT, lambda o: o.product, 20),
        Column(TEXT, lambda o: o.model), Column(NUMBER, lambda o: o.quantity),
        Column(TEXT, lambda o: o.unit, 6), Column(NUMBER, lambda o: o.unit_price, 12),
        Column(NUMBER, lambda o: o.amount, 12), Column(DAY, lambda o: o.due_date),
        Column(TEXT, lambda o: book.t(f"report.class.{o.order_class}")),
        Column(YES_NO, lambda o: o.complete_set), Column(MOMENT, lambda o: o.created_at),
        Column(TEXT, lambda o: name(o.created_by), 10),
        Column(NUMBER, lambda o: o.facts.get("shipped_quantity")),
        Column(NUMBER, lambda o: o.facts.get("quote_amount")), Column(TEXT, lambda o: o.notes, 24),
    ], records.orders)
    tasks = book.sheet("report.sheet.tasks")
    tasks.freeze_panes(1, 1)
    book.table(tasks, 0, book.headers("report.columns.export_tasks"), [
        Column(TEXT, lambda t: numbers.get(t.order_id, "?"), 18),
        Column(TEXT, lambda t: _kind(book, t.kind.value), 14),
        Column(TEXT, lambda t: _role(book, t.role), 12), Column(TEXT, lambda t: t.title, 20),
        Column(TEXT, lambda t: _status(book, t.status.value)),
        Column(MOMENT, lambda t: t.created_at), Column(MOMENT, lambda t: t.due_at),
        Column(MOMENT, lambda t: t.closed_at), Column(TEXT, lambda t: name(t.closed_by), 10),
        Column(TEXT, lambda t: t.outcome), Column(TEXT, lambda t: t.note, 20),
        Column(WHOLE, lambda t: t.progress), Column(NUMBER, lambda t: t.quantity),
    ], records.tasks)
    notices = book.sheet("report.sheet.changes")
    book.table(notices, 0, book.headers("report.columns.changes"), [
        Column(TEXT, lambda n: n.number, 22), Column(TEXT, lambda n: numbers.get(n.order_id, "?"), 18),
        Column(TEXT, lambda n: book.t(f"report.change_status.{n.status.value}")),
        Column(WHOLE, lambda n: n.level),
        Column(TEXT, lambda n: json.dumps(n.changes, ensure_ascii=False), 30),
        Column(MOMENT, lambda n: n.created_at), Column(TEXT, lambda n: name(n.created_by), 10),
    ], records.notices)
    slips = book.sheet("report.sheet.slips")
    book.table(slips, 0, book.headers("report.columns.slips"), [
        Column(TEXT, lambda s: s.number, 22), Column(TEXT, lambda s: numbers.get(s.order_id, "?"), 18),
        Column(TEXT, lambda s: book.t(f"report.urge_status.{s.status.value}")),
        Column(TEXT, lambda s: "\n".join(late_line(book.locale, line) for line in s.late), 30),
        Column(TEXT, lambda s: s.note, 20), Column(MOMENT, lambda s: s.created_at),
        Column(MOMENT, lambda s: s.sent_at),
    ], records.slips)
    if records.audit is not None:
        audit = book.sheet("report.sheet.audit")
        audit.freeze_panes(1, 0)
        book.table(audit, 0, book.headers("report.columns.audit"), [
            Column(MOMENT, lambda e: e.at), Column(TEXT, lambda e: name(e.actor_id), 10),
            Column(TEXT, lambda e: e.action, 20),
            Column(TEXT, lambda e: f"{e.subject_type}:{e.subject_id}", 18),
            Column(TEXT, lambda e: _json(e.before), 30), Column(TEXT, lambda e: _json(e.after), 40),
        ], records.audit)
    return book.close()


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def spread_text(spread: Spread) -> str:
    """Median / p90, for the chat summary."""
    if spread.count == 0:
        return "-"
    return f"{_number(spread.median)} / {_number(spread.p90)}"

