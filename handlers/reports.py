"""/report and /export: the evaluation of a period, and orders as workbooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.render import render
from handlers.report_files import (
    ExportRecords,
    evaluation_workbook,
    export_workbook,
    picture,
    spread_text,
)
from handlers.turn import Turn, command_args, turn_handler
from workflow import evaluation, services
from workflow.calendar import WorkingCalendar
from workflow.evaluation import Evaluation, Period
from workflow.model import Order, Text
from workflow.ports import Reports
from workflow.roles import Role

# The clocks the policy names, shown in the chat summary in this order when they ran.
CLOCKED = ("change_answer", "quality_response", "production_order", "planning",
           "quality_coordination", "delay_report", "feasibility_review")


@dataclass(frozen=True)
class Pieces:
    """What a reader is sent: the summary, the chart (None without a font that draws it) and
    the workbook."""

    text: str
    picture: bytes | None
    workbook: bytes
    label: str

    @property
    def stem(self) -> str:
        return self.label.replace("..", "_")


async def evaluation_for(reports: Reports, calendar: WorkingCalendar, period: Period,
                         now: datetime) -> Evaluation:
    records = await evaluation.collect(reports, period, calendar.tz, now)
    return evaluation.evaluate(records, calendar)


def pieces(result: Evaluation, locale: str, tz: ZoneInfo) -> Pieces:
    drawn = picture(result, locale)
    text = summary(result, locale)
    if drawn is None:
        text += "\n" + render(Text("report.no_font"), locale)
    return Pieces(text, drawn, evaluation_workbook(result, locale, tz), result.period.label)


def summary(e: Evaluation, locale: str) -> str:
    def t(key: str, **params: object) -> str:
        return render(Text(key, params), locale)

    responses = [t("report.response_item", task=kind, median=_number(spread.median),
                   within=e.within_clock.get(kind, 0), count=spread.count)
                 for kind in CLOCKED if (spread := e.first_response.get(kind))]
    steps = [t("report.escalation_step", step=step, count=count)
             for step, count in e.escalations_by_step.items()]
    separator = t("list.separator")
    return t(
        "report.summary", period=e.period.label, first=e.period.first.isoformat(),
        last=e.period.last.isoformat(), received=e.received, accepted=e.accepted,
        declined=e.declined, cancelled=e.cancelled, effective=e.effective, shipped=e.shipped,
        on_time=e.on_time, on_time_rate=_percent(e.on_time_rate),
        on_time_original=e.on_time_original,
        on_time_rate_original=_percent(e.on_time_rate_original), short=e.short_shipments,
        lead_effective=spread_text(e.lead_times["received_to_effective"]),
        lead_shipping=spread_text(e.lead_times["effective_to_shipped"]),
        lead_total=spread_text(e.lead_times["received_to_shipped"]),
        tasks_due=e.tasks_due, tasks_on_time=e.tasks_on_time, tasks_late=e.tasks_late,
        late_median=_number(e.lateness.median), late_p90=_number(e.lateness.p90),
        responses=separator.join(responses) or "-",
        escalations=t("report.escalations", total=len(e.escalations),
                      steps=separator.join(steps) or "-"),
        level1=e.change_notices[1], level2=e.change_notices[2], level3=e.change_notices[3],
        urge_slips=e.urge_slips, tickets=e.tickets,
        ticket_response=_number(e.ticket_response.median), inspections=e.inspections,
        pass_rate=_percent(e.pass_rate), below_threshold=e.below_threshold,
        raised_late=e.raised_late)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _today(turn: Turn) -> datetime:
    return turn.ctx.now.astimezone(turn.ctx.tz)


@turn_handler
async def cmd_report(turn: Turn) -> None:
    """The evaluation of a period: /report [本月|上月|2026-11|12-01..12-15]."""
    if not evaluation.may_read_reports(turn.actor):
        turn.reply(Text("report.forbidden", {"role": Role.GM}), kind="error")
        return
    text = command_args(turn)
    services.refuse_oversized(text, services.MAX_COMMAND_CHARS)
    period = evaluation.parse_period(text, _today(turn).date())
    if period is None:
        turn.reply(Text("report.bad_period", {"text": text}), kind="error")
        return
    result = await evaluation_for(turn.uow.reports, turn.runtime.calendar, period, turn.ctx.now)
    sent = pieces(result, turn.locale, turn.ctx.tz)
    turn.reply(sent.text)
    if sent.picture is not None:
        turn.send_document(f"report-{sent.stem}.png", sent.picture,
                           turn.t("report.picture_caption", period=sent.label), as_photo=True)
    turn.send_document(f"report-{sent.stem}.xlsx", sent.workbook,
                       turn.t("report.workbook_caption", period=sent.label))


async def export_order(turn: Turn, order: Order) -> None:
    """/export SO-…: the order's whole record, as a workbook a person can read and filter."""
    records = await _export_records(turn.uow.reports, [order], with_audit=True)
    turn.send_document(f"{order.number}.xlsx", export_workbook(records, turn.locale,
                                                               turn.ctx.tz),
                       turn.t("export.caption", number=order.number,
                              events=len(records.audit or [])), order=order.number)


async def export_period(turn: Turn, text: str) -> bool:
    """/export 本月 (or any period): the orders received in it, as a workbook; False when the
    text names no period."""
    period = evaluation.parse_period(text, _today(turn).date()) if text else None
    if period is None:
        return False
    reports = turn.uow.reports
    received = await evaluation.orders_received(reports, period, turn.ctx.tz)
    if not received:
        turn.reply(Text("export.none", {"period": period.label}))
        return True
    records = await _export_records(reports, received, with_audit=False)
    turn.send_document(f"orders-{period.label.replace('..', '_')}.xlsx",
                       export_workbook(records, turn.locale, turn.ctx.tz),
                       turn.t("export.period_caption", period=period.label,
                              count=len(received)))
    return True


async def _export_records(reports: Reports, chosen: list[Order], *, with_audit: bool
                          ) -> ExportRecords:
    ids = [o.id or 0 for o in chosen]
    tasks = await reports.tasks_of_orders(ids)
    notices = await reports.notices_of_orders(ids)
    slips = await reports.slips_of_orders(ids)
    audit = None
    if with_audit:
        trail = [*await reports.events_of("order", [o.number for o in chosen]),
                 *await reports.events_of("task", [str(t.id) for t in tasks]),
                 *await reports.events_of("change", [n.number or "" for n in notices]),
                 *await reports.events_of("urge_slip", [s.number for s in slips])]
        audit = sorted(trail, key=lambda e: e.at)
    people = ({o.created_by for o in chosen} | {t.closed_by or 0 for t in tasks}
              | {n.created_by for n in notices}
              | {e.actor_id or 0 for e in audit or []}) - {0}
    return ExportRecords(chosen, tasks, notices, slips, await reports.names(sorted(people)),
                         audit)
