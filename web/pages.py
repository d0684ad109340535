"""Server-rendered HTML for the tracking page and the desk. Every value from the database
passes through `_e` (HTML-escaped): customers' and products' names are typed by people."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from locales import translate
from workflow.context import Actor, number_text
from workflow.model import Order, OrderStatus, Task
from workflow.roles import Role
from workflow.web import DeskFilter, DeskRow, OrderRecord, TrackingView


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


class Words:
    """The reader's language, for one page."""

    def __init__(self, locale: str, tz: ZoneInfo) -> None:
        self.locale = locale
        self.tz = tz
        # A list of a thousand orders names the same few statuses and roles over and over.
        self._plain: dict[str, str] = {}

    def __call__(self, key: str, **params: object) -> str:
        """The catalog's text, escaped, with its parameters escaped too."""
        if params:
            return _e(translate(self.locale, key, **params))
        if key not in self._plain:
            self._plain[key] = _e(translate(self.locale, key))
        return self._plain[key]

    def moment(self, at: datetime | None) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if at else "-"

    def day(self, at: datetime | date | None) -> str:
        if at is None:
            return "-"
        return (at.astimezone(self.tz).date() if isinstance(at, datetime) else at).isoformat()


def page(w: Words, title: str, body: str, *, switch: str | None = None) -> str:
    lang = "zh-CN" if w.locale == "zh_CN" else "en"
    other = (f'<a class="lang" href="{_e(switch)}">{w("web.lang.switch")}</a>'
             if switch is not None else "")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            f'<title>{title}</title><link rel="stylesheet" href="/static/style.css"></head>'
            f'<body><main>{other}{body}</main></body></html>')


def message_page(w: Words, title_key: str, body_key: str, **params: object) -> str:
    return page(w, w(title_key), f'<h1>{w(title_key)}</h1><p>{w(body_key, **params)}</p>')


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], css: str = "") -> str:
    cells = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{css}"><thead><tr>{cells}</tr></thead>' \
           f'<tbody>{body}</tbody></table></div>'


def _quantity(quantity: float, unit: str | None) -> str:
    return _e(f"{number_text(quantity)} {unit or ''}".strip())


# ---- the customer's page -------------------------------------------------------------------


def tracking_page(w: Words, view: TrackingView, switch: str) -> str:
    stage = (w("web.track.progress", percent=view.progress) if view.progress is not None
             else w(f"web.stage.{view.stage}"))
    facts = [(w("web.field.product"), _e(view.product)),
             (w("web.field.quantity"), _quantity(view.quantity, view.unit)),
             (w("web.field.due_date"), _e(view.due_date.isoformat())),
             (w("web.field.stage"), f'<strong class="stage">{stage}</strong>')]
    if view.model:
        facts.insert(1, (w("web.field.model"), _e(view.model)))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    steps = "".join(
        f'<li class="{"done" if s.reached else "todo"}"><span>{w(f"web.stage.{s.key}")}</span>'
        f'<time>{w.day(s.at) if s.reached else ""}</time></li>' for s in view.stages)
    shipments = "".join(
        f"<li>{w('web.track.shipment', date=w.day(s.at), quantity=number_text(s.quantity))}</li>"
        for s in view.shipments) or f"<li>{w('web.track.no_shipments')}</li>"
    follow = "".join(
        "<li>" + (w("web.track.follow_up_done", missing=number_text(f.missing),
                    date=w.day(f.done_at)) if f.done
                  else w("web.track.follow_up", missing=number_text(f.missing),
                         due=w.day(f.due_at))) + "</li>"
        for f in view.follow_ups)
    body = (f'<h1>{w("web.track.heading", number=view.number)}</h1><dl class="facts">{dl}</dl>'
            f'<h2>{w("web.track.stages")}</h2><ol class="stages">{steps}</ol>'
            f'<h2>{w("web.track.shipments")}</h2><ul class="shipments">{shipments}{follow}</ul>'
            f'<p class="note">{w("web.track.footer")}</p>')
    return page(w, w("web.track.heading", number=view.number), body, switch=switch)


# ---- the desk ------------------------------------------------------------------------------


def _nav(w: Words, actor: Actor, queues: list[Role]) -> str:
    links = [f'<a href="/desk">{w("web.desk.open_orders")}</a>']
    links += [f'<a href="/desk/queue/{r.value}">{w("web.queue.link", role=translate(w.locale, f"role.{r.value}"))}</a>'
              for r in queues]
    return (f'<header><strong>{w("web.desk.title")}</strong> · {_e(actor.person.name)}'
            f'<form method="post" action="/logout"><button>{w("web.desk.logout")}</button>'
            f'</form><nav>{" ".join(links)}</nav></header>')


def desk_page(w: Words, actor: Actor, queues: list[Role], title: str, body: str) -> str:
    return page(w, title, _nav(w, actor, queues) + body)


def _select(w: Words, name: str, chosen: str | None, options: list[tuple[str, str]]) -> str:
    opts = [f'<option value="">{w("web.filter.all")}</option>']
    opts += [f'<option value="{_e(v)}"{" selected" if v == chosen else ""}>{_e(label)}</option>'
             for v, label in options]
    return (f'<label>{w(f"web.filter.{name}")} <select name="{name}">{"".join(opts)}'
            '</select></label>')


def _order_link(number: str) -> str:
    return f'<a href="/desk/order/{quote(number)}">{_e(number)}</a>'


def open_orders_page(w: Words, actor: Actor, queues: list[Role], rows: list[DeskRow],
                     chosen: DeskFilter, customers: list[str], names: dict[int, str]) -> str:
    tr = w.locale
    form = ('<form class="filters" method="get" action="/desk">'
            + _select(w, "department", chosen.department.value if chosen.department else None,
                      [(r.value, translate(tr, f"role.{r.value}")) for r in Role])
            + _select(w, "customer", chosen.customer, [(c, c) for c in customers])
            + _select(w, "stage", chosen.stage.value if chosen.stage else None,
                      [(s.value, translate(tr, f"status.{s.value}")) for s in OrderStatus])
            + f'<label>{w("web.filter.search")} <input type="search" name="q" '
              f'value="{_e(chosen.search or "")}"></label>'
            + f'<button>{w("web.filter.apply")}</button></form>')
    lines = []
    for row in rows:
        task = row.next_task
        owner = "-"
        if task is not None:
            owner = w(f"role.{task.role.value}")
            if task.assignee_id in names:
                owner += f" · {_e(names[task.assignee_id or 0])}"
        lines.append((
            _order_link(row.order.number), _e(row.order.customer), _e(row.order.product),
            w(f"status.{row.order.status.value}"), _e(row.order.due_date.isoformat()),
            (f'{w.moment(task.due_at)} {w(f"taskkind.{task.kind.value}")}'
             f'{" " + _e(task.title) if task.title else ""}') if task else "-",
            owner,
            f'<span class="late">{w("web.late")}</span>' if row.late else ""))
    table = _table([w("web.col.number"), w("web.col.customer"), w("web.col.product"),
                    w("web.col.status"), w("web.col.due_date"), w("web.col.next"),
                    w("web.col.owner"), w("web.col.late")], lines, "orders")
    summary = (f'<p class="count">{w("web.desk.count", count=len(rows))}</p>' if rows
               else f'<p class="count">{w("web.desk.none")}</p>')
    return desk_page(w, actor, queues, w("web.desk.open_orders"),
                     f'<h1>{w("web.desk.open_orders")}</h1>{form}{summary}{table if rows else ""}')


def _task_rows(w: Words, tasks: list[Task], names: dict[int, str]) -> list[list[str]]:
    return [[w(f"taskkind.{t.kind.value}") + (f" {_e(t.title)}" if t.title else ""),
             w(f"role.{t.role.value}"), w(f"status.{t.status.value}"), w.moment(t.created_at),
             w.moment(t.due_at), w.moment(t.closed_at),
             f"{t.progress}%" if t.progress is not None else "",
             _e(names.get(t.assignee_id or t.closed_by or 0, ""))] for t in tasks]


def record_page(w: Words, actor: Actor, queues: list[Role], record: OrderRecord) -> str:
    order: Order = record.order
    facts = [(w("web.col.customer"), _e(order.customer)),
             (w("web.field.product"), _e(order.product)),
             (w("web.field.model"), _e(order.model or "-")),
             (w("web.field.quantity"), _quantity(order.quantity, order.unit)),
             (w("web.field.due_date"), _e(order.due_date.isoformat())),
             (w("web.col.status"), w(f"status.{order.status.value}")),
             (w("web.col.who"), _e(record.names.get(order.created_by, "")))]
    if record.prices:
        facts.append((w("web.record.price_label"),
                      w("web.record.price", price=_money(order.unit_price),
                        amount=_money(order.amount))))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    parts = [f'<h1>{_e(order.number)}</h1><dl class="facts">{dl}</dl>',
             f'<h2>{w("web.record.tasks")}</h2>',
             _table([w("web.col.task"), w("web.col.owner"), w("web.col.status"),
                     w("web.col.since"), w("web.col.next"), w("web.col.done"),
                     w("web.col.progress"), w("web.col.who")],
                    _task_rows(w, record.tasks, record.names))]
    if record.full:
        parts.append(f'<h2>{w("web.record.notices")}</h2>')
        parts.append(_table(
            [w("web.col.number"), w("web.col.level"), w("web.col.status"), w("web.col.what"),
             w("web.col.when")],
            [[_e(n.number or "-"), _e(n.level), w(f"report.change_status.{n.status.value}"),
              _e(", ".join(f"{translate(w.locale, f'field.{k}')}: {v}"
                           for k, v in n.changes.items())), w.moment(n.created_at)]
             for n in record.notices]))
        parts.append(f'<h2>{w("web.record.slips")}</h2>')
        parts.append(_table(
            [w("web.col.number"), w("web.col.status"), w("web.col.what"), w("web.col.when")],
            [[_e(s.number), w(f"report.urge_status.{s.status.value}"),
              _e(s.note or "") + "".join(f"<br>{_e(line.split('|')[2] if line.count('|') >= 2 else line)}"
                                         for line in s.late),
              w.moment(s.created_at)] for s in record.slips]))
        parts.append(f'<h2>{w("web.record.audit")}</h2>')
        parts.append(_table(
            [w("web.col.when"), w("web.col.who"), w("web.col.what")],
            [[w.moment(e.at), _e(record.names.get(e.actor_id or 0, "")),
              _e(f"{e.action} {e.subject_type} {e.subject_id}")] for e in record.audit],
            "audit"))
    return desk_page(w, actor, queues, _e(order.number), "".join(parts))


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def queue_page(w: Words, actor: Actor, queues: list[Role], role: Role,
               owed: list[tuple[Task, Order | None]], now: datetime) -> str:
    title = w("web.queue.link", role=translate(w.locale, f"role.{role.value}"))
    rows = [[_order_link(o.number) if o else "-", _e(o.customer if o else ""),
             w(f"taskkind.{t.kind.value}") + (f" {_e(t.title)}" if t.title else ""),
             w(f"status.{t.status.value}"), w.moment(t.created_at), w.moment(t.due_at),
             f'<span class="late">{w("web.late")}</span>'
             if t.due_at is not None and t.due_at < now else ""] for t, o in owed]
    body = (f"<h1>{title}</h1>" + (_table(
        [w("web.col.number"), w("web.col.customer"), w("web.col.task"), w("web.col.status"),
         w("web.col.since"), w("web.col.next"), w("web.col.late")], rows, "queue")
        if rows else f'<p>{w("web.queue.none")}</p>'))
    return desk_page(w, actor, queues, title, body)


def with_query(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path
