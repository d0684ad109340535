"""An in-memory unit of work on workflow's ports, with the SQL repositories' semantics.

What a test of a workflow rule needs from storage, in microseconds: records come back as copies
(changing one changes nothing until it is saved, as with rows), JSON columns go through JSON
(a date left in `facts` fails here as it would in the database), conditional updates answer
whether they changed anything, and a unit of work keeps only what it commits.
`test_fakes_conform.py` runs the same behaviours against this and `storage.uow.SqlUnitOfWork`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar
from workflow.context import Actor, Context
from workflow.evaluation import Event
from workflow.model import (
    ENDED_STATUSES,
    OPEN_ORDER_STATUSES,
    OPEN_TASK_STATUSES,
    UNDER_WAY_STATUSES,
    Answer,
    AuditEvent,
    ChangeNotice,
    Chat,
    CustomerCredit,
    DraftStatus,
    EscalationPing,
    Notification,
    Order,
    OrderDraft,
    OrderSearch,
    OrderStatus,
    Person,
    Task,
    TaskStatus,
    Undelivered,
    UrgeSlip,
    UrgeStatus,
    task_of_buttons,
)
from workflow.policy import Policy, load_policy
from workflow.ports import TakenElsewhere
from workflow.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday in a working week, 10:00 in Shanghai: every working-time rule has room both ways.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)

# Timer and outbox statuses as storage/ spells them (stored text, never renamed).
PENDING, LEASED, DONE, CANCELLED = "pending", "leased", "done", "cancelled"
SENT, HELD, FAILED = "sent", "held", "failed"
LIVE_TIMER = (PENDING, LEASED)


def _json(value: Any) -> Any:
    """What a JSON column gives back: tuples become lists, keys strings, and a value JSON
    cannot hold fails now rather than in production."""
    return None if value is None else json.loads(json.dumps(value))


@dataclass
class Timer:
    id: int
    kind: str
    subject: str
    due_at: datetime
    dedupe_key: str
    status: str = PENDING


@dataclass
class OutboxRow:
    id: int
    chat_id: int
    note: Notification | None  # None for a rendered answer
    created_at: datetime
    origin: int | None
    status: str = PENDING
    error: str | None = None


@dataclass
class Tables:
    """Everything the database would hold; a unit of work works on its own copy."""

    people: dict[int, Person] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    migrated_to: dict[int, int] = field(default_factory=dict)
    drafts: dict[int, OrderDraft] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    counters: dict[date, int] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)
    # Tasks whose buttons were withdrawn from the messages sent before, in order.
    withdrawn: list[int] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    slips: dict[int, UrgeSlip] = field(default_factory=dict)
    notices: dict[int, ChangeNotice] = field(default_factory=dict)
    inbox: dict[int, str] = field(default_factory=dict)  # update id -> "new" | "done" | "failed"
    inbox_failures: dict[int, int] = field(default_factory=dict)  # update id -> rounds failed
    pings: dict[int, EscalationPing] = field(default_factory=dict)
    credits: dict[str, CustomerCredit] = field(default_factory=dict)
    last_id: int = 0

    def next_id(self) -> int:
        # One sequence for every table: ids stay unique per table, and a test cannot pass by
        # mixing up a task id with an order id that happens to be equal.
        self.last_id += 1
        return self.last_id


class FakeStore:
    """The committed state: what a new unit of work starts from."""

    def __init__(self) -> None:
        self.tables = Tables()

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def t(self) -> Tables:
        return self._uow.tables


class FakePeople(_Repo):
    async def get(self, person_id: int) -> Person | None:
        person = self.t.people.get(person_id)
        return copy.deepcopy(person) if person else None

    async def by_username(self, username: str) -> Person | None:
        return next((copy.deepcopy(p) for p in sorted(self.t.people.values(), key=_id)
                     if p.username and p.username.lower() == username.lower()), None)

    async def by_name(self, name: str) -> Person | None:
        return next((copy.deepcopy(p) for p in sorted(self.t.people.values(), key=_id)
                     if p.name == name), None)

    async def grant(self, person_id: int, role: Role, leader: bool) -> None:
        self.t.people[person_id].roles[role] = leader

    async def revoke(self, person_id: int, role: Role) -> bool:
        person = self.t.people.get(person_id)
        return person is not None and person.roles.pop(role, None) is not None

    async def set_locale(self, person_id: int, locale: str | None) -> None:
        if person_id in self.t.people:
            self.t.people[person_id].locale = locale

    async def holders(self, role: Role) -> list[Person]:
        return [copy.deepcopy(p) for p in sorted(self.t.people.values(), key=_id)
                if role in p.roles]

    async def mark_unreachable(self, person_id: int, at: datetime) -> bool:
        person = self.t.people.get(person_id)
        if person is None or person.unreachable_since is not None:
            return False
        person.unreachable_since = at
        return True

    async def mark_reachable(self, person_id: int) -> bool:
        person = self.t.people.get(person_id)
        if person is None or person.unreachable_since is None:
            return False
        person.unreachable_since = None
        return True

    async def upsert(self, person_id: int, name: str, username: str | None) -> Person:
        person = self.t.people.get(person_id)
        if person is None:
            self.t.people[person_id] = Person(person_id, name, username)
            return Person(person_id, name, username)
        person.name, person.username = name, username
        return copy.deepcopy(person)

    async def with_any_role(self) -> list[Person]:
        return sorted((copy.deepcopy(p) for p in self.t.people.values() if p.roles),
                      key=lambda p: p.name)

    async def everyone(self) -> list[Person]:
        return sorted((copy.deepcopy(p) for p in self.t.people.values()), key=lambda p: p.name)


class FakeChats(_Repo):
    async def get(self, chat_id: int) -> Chat | None:
        chat = self.t.chats.get(chat_id)
        return copy.copy(chat) if chat else None

    async def bind(self, chat_id: int, department: Role | None) -> None:
        if chat_id in self.t.chats:  # an UPDATE of a row that is not there changes nothing
            self.t.chats[chat_id].department = department

    async def set_locale(self, chat_id: int, locale: str | None) -> None:
        if chat_id in self.t.chats:
            self.t.chats[chat_id].locale = locale

    async def of_department(self, department: Role, *, active_only: bool = True) -> list[Chat]:
        return [copy.copy(c) for c in sorted(self.t.chats.values(), key=_id)
                if c.department is department and (c.active or not active_only)]

    async def groups(self) -> list[Chat]:
        return [copy.copy(c) for c in sorted(self.t.chats.values(), key=_id)
                if c.id < 0 and c.active]

    async def set_active(self, chat_id: int, active: bool) -> bool:
        chat = self.t.chats.get(chat_id)
        if chat is None or chat.active is active:
            return False
        chat.active = active
        return True

    async def migrate(self, old: int, new: int) -> Chat | None:
        before = self.t.chats.get(old)
        if before is None or old in self.t.migrated_to:
            return None
        told = copy.copy(before)
        target = self.t.chats.setdefault(new, Chat(new, before.title))
        target.department, target.locale, target.active = before.department, before.locale, True
        before.department, before.active = None, False
        self.t.migrated_to[old] = new
        for record in (*self.t.orders.values(), *self.t.drafts.values(),
                       *self.t.notices.values()):
            if record.chat_id == old:
                record.chat_id = new
        return told

    async def upsert(self, chat_id: int, title: str | None) -> Chat:
        chat = self.t.chats.get(chat_id)
        if chat is None:
            self.t.chats[chat_id] = Chat(chat_id, title)
            return Chat(chat_id, title)
        if title:
            chat.title = title
        return copy.copy(chat)


class FakeDrafts(_Repo):
    async def add(self, draft: OrderDraft) -> OrderDraft:
        draft.id = self.t.next_id()
        self.t.drafts[draft.id] = replace(draft, fields=_json(draft.fields))
        return draft

    async def get(self, draft_id: int) -> OrderDraft | None:
        draft = self.t.drafts.get(draft_id)
        return copy.deepcopy(draft) if draft else None

    async def save(self, draft: OrderDraft) -> None:
        if (stored := self.t.drafts.get(draft.id or 0)) is not None:
            stored.fields, stored.status, stored.asking = (_json(draft.fields), draft.status,
                                                           draft.asking)

    async def asking_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        return self._newest_pending(chat_id, author_id, asking=True)

    async def pending_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        return self._newest_pending(chat_id, author_id, asking=False)

    def _newest_pending(self, chat_id: int, author_id: int, *, asking: bool
                        ) -> OrderDraft | None:
        found = [d for d in self.t.drafts.values()
                 if d.chat_id == chat_id and d.author_id == author_id
                 and d.status is DraftStatus.PENDING and (d.asking is not None or not asking)]
        return copy.deepcopy(max(found, key=_id)) if found else None


class FakeOrders(_Repo):
    async def next_sequence(self, day: date) -> int:
        self.t.counters[day] = self.t.counters.get(day, 0) + 1
        return self.t.counters[day]

    async def add(self, order: Order) -> Order:
        if any(o.number == order.number for o in self.t.orders.values()):
            raise ValueError(f"order number {order.number} taken")  # the unique index
        order.id = self.t.next_id()
        self.t.orders[order.id] = replace(order, facts=_json(order.facts))
        return order

    async def get(self, order_id: int) -> Order | None:
        order = self.t.orders.get(order_id)
        return copy.deepcopy(order) if order else None

    async def set_status(self, order_id: int, status: OrderStatus) -> None:
        if order_id in self.t.orders:
            self.t.orders[order_id].status = status

    async def save_facts(self, order_id: int, facts: dict[str, Any]) -> None:
        if order_id in self.t.orders:
            self.t.orders[order_id].facts = _json(facts)

    async def set_due_date(self, order_id: int, due_date: date) -> None:
        if order_id in self.t.orders:
            self.t.orders[order_id].due_date = due_date

    async def matching(self, customer: str | None, product: str | None,
                       statuses: list[OrderStatus]) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id)
                if o.archived_at is None and o.status in statuses
                and (not customer or customer in o.customer)
                and (not product or product in o.product)]

    def _newest_open(self, wanted: Callable[[Order], bool], limit: int) -> list[Order]:
        found = [o for o in sorted(self.t.orders.values(), key=_id, reverse=True)
                 if o.status in OPEN_ORDER_STATUSES and wanted(o)]
        return [copy.deepcopy(o) for o in found[:limit]]

    async def open_named(self, *, suffix: str | None = None, name: str | None = None,
                         limit: int) -> list[Order]:
        if not suffix and not name:
            return []
        lowered = (name or "").lower()
        return self._newest_open(
            lambda o: bool(suffix and o.number.endswith(suffix)) or bool(
                name and (lowered in o.customer.lower() or lowered in o.product.lower())),
            limit)

    async def open_for(self, *, person_id: int | None, roles: Sequence[Role], limit: int
                       ) -> list[Order]:
        def theirs(order: Order) -> bool:
            if person_id is None and not roles:
                return True
            tasks = [t for t in self.t.tasks.values()
                     if t.order_id == order.id and t.status in OPEN_TASK_STATUSES]
            return (person_id is not None and (order.created_by == person_id or any(
                t.assignee_id == person_id for t in tasks))) or any(t.role in roles
                                                                      for t in tasks)
        return self._newest_open(theirs, limit)

    async def ended_live(self, after_id: int = 0, limit: int | None = None) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id)
                if o.archived_at is None and o.status in ENDED_STATUSES
                and (o.id or 0) > after_id][:limit]

    async def archive(self, order_id: int, at: datetime) -> bool:
        order = self.t.orders.get(order_id)
        if order is None or order.archived_at is not None:
            return False
        order.archived_at = at
        return True

    async def search(self, search: OrderSearch, limit: int) -> tuple[list[Order], int]:
        def found(order: Order) -> bool:
            fields = (order.number, order.customer, order.product, order.model or "")
            return all(any(word in f for f in fields) for word in search.words) and (
                search.start is None or search.end is None
                or search.start <= order.created_at < search.end)
        hits = sorted((o for o in self.t.orders.values() if found(o)),
                      key=lambda o: (o.created_at, o.id or 0), reverse=True)
        return [copy.deepcopy(o) for o in hits[:limit]], len(hits)

    async def live_of_customer(self, customer: str) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id)
                if o.customer == customer and o.archived_at is None]

    async def apply_changes(self, order_id: int, values: dict[str, Any]) -> None:
        if (order := self.t.orders.get(order_id)) is not None:
            for name, value in values.items():
                setattr(order, name, value)

    async def by_number(self, number: str) -> Order | None:
        return next((copy.deepcopy(o) for o in self.t.orders.values() if o.number == number),
                    None)

    async def registered_since(self, customer: str, product: str, quantity: float,
                               since: datetime) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id)
                if (o.customer, o.product, o.quantity) == (customer, product, quantity)
                and o.created_at >= since]

    async def active(self) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id)
                if o.status in UNDER_WAY_STATUSES]


class FakeTasks(_Repo):
    async def add(self, task: Task) -> Task:
        task.id = self.t.next_id()
        # The INSERT writes what a new task has; what closing it records comes later.
        self.t.tasks[task.id] = replace(task, outcome=None, note=None, closed_by=None,
                                        closed_at=None, progress=None, progress_note=None,
                                        quantity=None, photo=None)
        return task

    async def get(self, task_id: int) -> Task | None:
        task = self.t.tasks.get(task_id)
        return copy.copy(task) if task else None

    async def close(self, task: Task) -> bool:
        stored = self.t.tasks.get(task.id or 0)
        if stored is None or stored.status not in OPEN_TASK_STATUSES:
            return False
        for name in ("status", "outcome", "note", "closed_by", "closed_at", "quantity",
                     "photo"):
            setattr(stored, name, getattr(task, name))
        return True

    async def for_order(self, order_id: int) -> list[Task]:
        return [copy.copy(t) for t in sorted(self.t.tasks.values(), key=_id)
                if t.order_id == order_id]

    async def escalation_reached(self, task_id: int, chain: tuple[str, ...], step: int
                                 ) -> None:
        if (stored := self.t.tasks.get(task_id)) is not None:
            stored.escalation_chain, stored.escalation_step = tuple(chain), step

    async def acknowledge(self, task_id: int, person_id: int) -> bool:
        stored = self.t.tasks.get(task_id)
        if stored is None or stored.status is not TaskStatus.OPEN:
            return False
        stored.status, stored.assignee_id = TaskStatus.ACKNOWLEDGED, person_id
        return True

    async def set_due(self, task_id: int, due_at: datetime) -> None:
        if task_id in self.t.tasks:
            self.t.tasks[task_id].due_at = due_at

    async def open_for_roles(self, roles: list[Role]) -> list[Task]:
        found = [t for t in self.t.tasks.values()
                 if t.role in roles and t.status in OPEN_TASK_STATUSES]
        # ORDER BY due_at NULLS LAST, id: a task without a due time comes last.
        return [copy.copy(t) for t in sorted(found, key=lambda t: (
            t.due_at is None, t.due_at or datetime.min.replace(tzinfo=SHANGHAI), t.id))]

    async def record_progress(self, task: Task) -> None:
        if (stored := self.t.tasks.get(task.id or 0)) is not None:
            stored.progress, stored.progress_note, stored.photo = (task.progress,
                                                                   task.progress_note, task.photo)


class FakeAudit(_Repo):
    async def append(self, *, at: datetime, actor_id: int | None, action: str,
                     subject_type: str, subject_id: str | int,
                     before: dict[str, Any] | None = None,
                     after: dict[str, Any] | None = None) -> None:
        self.t.audit.append(AuditEvent(self.t.next_id(), at, actor_id, action, subject_type,
                                       str(subject_id), _json(before), _json(after)))

    async def exists(self, action: str, subject_type: str, subject_id: str | int) -> bool:
        return any((e.action, e.subject_type, e.subject_id) == (action, subject_type,
                                                                 str(subject_id))
                   for e in self.t.audit)

    async def for_subject(self, subject_type: str, subject_id: str | int
                          ) -> list[AuditEvent]:
        return [e for e in self.t.audit
                if (e.subject_type, e.subject_id) == (subject_type, str(subject_id))]


class FakeOutbox(_Repo):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self.queued = 0

    async def enqueue(self, note: Notification, now: datetime, origin: int | None = None
                      ) -> None:
        _json(note.text.params)  # the row's params column is JSON
        self.queued += 1
        self.t.outbox.append(OutboxRow(self.t.next_id(), note.chat_id, note, now, origin))

    async def add_answers(self, answers: list[Answer], now: datetime, lease: timedelta,
                          origin: int | None) -> list[Any]:
        rows = [OutboxRow(self.t.next_id(), a.chat_id, None, now, origin, LEASED)
                for a in answers]
        self.t.outbox.extend(rows)
        return rows

    async def withdraw_task(self, task_id: int, now: datetime) -> int:
        """Notes still owed that carry the task's buttons lose them all; the task is noted."""
        touched = 0
        for row in self.t.outbox:
            note = row.note
            if note is None or task_of_buttons(note.buttons) != task_id:
                continue
            if row.status in (PENDING, HELD):
                row.note = replace(note, buttons=())
                touched += 1
            elif row.status == SENT:
                touched += 1
        self.t.withdrawn.append(task_id)
        return touched

    async def move_chat(self, old: int, new: int) -> int:
        owed = [r for r in self.t.outbox
                if r.chat_id == old and r.status in (PENDING, LEASED, HELD)]
        for row in owed:
            row.chat_id = new
        return len(owed)

    async def release_held(self, chat_id: int, now: datetime) -> int:
        held = [r for r in self.t.outbox if r.chat_id == chat_id and r.status == HELD]
        for row in held:
            row.status = PENDING
        self.queued += len(held)
        return len(held)

    async def dead_letters(self, since: datetime | None = None, limit: int = 50
                           ) -> list[Undelivered]:
        rows = [r for r in self.t.outbox if r.status in (FAILED, HELD)
                and (since is None or r.created_at >= since)]
        return [Undelivered(r.id, r.chat_id, r.status, r.error, r.created_at)
                for r in sorted(rows, key=_id, reverse=True)[:limit]]

    async def last_message_ids(self) -> dict[int, int]:
        return {}  # nothing is sent in the fake world: no row has a message id

    async def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((PENDING, LEASED, SENT, HELD, "rerouted", FAILED), 0)
        for row in self.t.outbox:
            counts[row.status] += 1
        return counts

    async def retry(self, row_id: int | None, now: datetime) -> int:
        rows = [r for r in self.t.outbox if r.status in (FAILED, HELD)
                and (row_id is None or r.id == row_id)]
        for row in rows:
            row.status = PENDING
        self.queued += len(rows)
        return len(rows)


class FakeTimers(_Repo):
    async def schedule(self, kind: str, subject: str, due_at: datetime, dedupe_key: str
                       ) -> bool:
        # A key is spent once used, whatever became of its timer (see storage's docstring).
        if any(t.dedupe_key == dedupe_key for t in self.t.timers):
            return False
        self.t.timers.append(Timer(self.t.next_id(), kind, subject, due_at, dedupe_key))
        return True

    async def cancel_subject(self, subject: str) -> int:
        live = [t for t in self.t.timers if t.subject == subject and t.status in LIVE_TIMER]
        for timer in live:
            timer.status = CANCELLED
        return len(live)

    async def reschedule(self, dedupe_key: str, due_at: datetime) -> bool:
        timer = next((t for t in self.t.timers
                      if t.dedupe_key == dedupe_key and t.status in LIVE_TIMER), None)
        if timer is None:
            return False
        timer.due_at, timer.status = due_at, PENDING
        return True


class FakeUrgeSlips(_Repo):
    async def add(self, slip: UrgeSlip) -> UrgeSlip:
        slip.id = self.t.next_id()
        self.t.slips[slip.id] = replace(slip, late=_json(slip.late))
        return slip

    async def get(self, slip_id: int) -> UrgeSlip | None:
        slip = self.t.slips.get(slip_id)
        return copy.deepcopy(slip) if slip else None

    async def count_for(self, order_id: int) -> int:
        return sum(s.order_id == order_id for s in self.t.slips.values())

    async def settle(self, slip_id: int, status: UrgeStatus, at: datetime) -> bool:
        slip = self.t.slips.get(slip_id)
        if slip is None or slip.status is not UrgeStatus.DRAFT:
            return False
        slip.status, slip.sent_at = status, at if status is UrgeStatus.SENT else None
        return True

    async def for_order(self, order_id: int) -> list[UrgeSlip]:
        return [copy.deepcopy(s) for s in sorted(self.t.slips.values(), key=_id)
                if s.order_id == order_id]


class FakeChangeNotices(_Repo):
    async def add(self, notice: ChangeNotice) -> ChangeNotice:
        notice.id = self.t.next_id()
        self.t.notices[notice.id] = replace(notice, changes=_json(notice.changes),
                                            facts=_json(notice.facts))
        return notice

    async def get(self, notice_id: int) -> ChangeNotice | None:
        notice = self.t.notices.get(notice_id)
        return copy.deepcopy(notice) if notice else None

    async def save(self, notice: ChangeNotice) -> None:
        if (stored := self.t.notices.get(notice.id or 0)) is not None:
            stored.number, stored.order_id, stored.status, stored.level = (
                notice.number, notice.order_id, notice.status, notice.level)
            stored.changes, stored.facts = _json(notice.changes), _json(notice.facts)

    async def count_for(self, order_id: int) -> int:
        return sum(n.order_id == order_id and n.number is not None
                   for n in self.t.notices.values())

    async def by_number(self, number: str) -> ChangeNotice | None:
        return next((copy.deepcopy(n) for n in self.t.notices.values() if n.number == number),
                    None)

    async def for_order(self, order_id: int) -> list[ChangeNotice]:
        return [copy.deepcopy(n) for n in sorted(self.t.notices.values(), key=_id)
                if n.order_id == order_id]


class FakeEscalationPings(_Repo):
    async def on_day(self, person_id: int, day: date) -> list[EscalationPing]:
        return [copy.deepcopy(p) for p in sorted(self.t.pings.values(), key=_id)
                if p.person_id == person_id and p.day == day]

    async def add(self, ping: EscalationPing) -> EscalationPing:
        ping.id = self.t.next_id()
        self.t.pings[ping.id] = replace(ping, task_ids=list(ping.task_ids))
        return ping

    async def folded_unlisted(self) -> list[EscalationPing]:
        return [copy.deepcopy(p) for p in sorted(self.t.pings.values(),
                                                 key=lambda p: (p.person_id, p.id or 0))
                if p.folded and p.listed_at is None]

    async def mark_listed(self, ping_ids: Sequence[int], at: datetime) -> None:
        for ping_id in ping_ids:
            if (stored := self.t.pings.get(ping_id)) is not None:
                stored.listed_at = at


class FakeCredits(_Repo):
    async def get(self, customer: str) -> CustomerCredit | None:
        credit = self.t.credits.get(customer)
        return replace(credit) if credit else None

    async def save(self, credit: CustomerCredit) -> None:
        self.t.credits[credit.customer] = replace(credit)


class FakeInbox(_Repo):
    def store(self, update_id: int) -> None:
        """What the intake does before a handler runs (InboxRepository.store)."""
        self.t.inbox.setdefault(update_id, "new")

    async def claim(self, update_id: int, now: datetime) -> bool:
        if self.t.inbox.get(update_id) != "new":
            return False
        self.t.inbox[update_id] = "done"
        return True

    async def mark_handled(self, update_id: int, now: datetime) -> None:
        await self.claim(update_id, now)

    async def highest_update_id(self) -> int:
        return max(self.t.inbox, default=0)

    async def let_go(self, taker: str) -> int:
        return 0  # the fake's turns claim in the unit of work, as on SQLite: nothing is held

    async def note_failure(self, update_id: int, now: datetime, reason: str, give_up_after: int
                           ) -> int | None:
        if self.t.inbox.get(update_id) != "new":
            return None
        rounds = self.t.inbox_failures[update_id] = self.t.inbox_failures.get(update_id, 0) + 1
        if rounds >= give_up_after:
            self.t.inbox[update_id] = "failed"
        return rounds


class FakeTurns(_Repo):
    """The start of a turn: the claim and the two upserts, as TurnStart does them at once
    (the claim in the unit of work, as on SQLite: one process, so nothing is taken elsewhere)."""

    async def begin(self, update_id: int, now: datetime, person_id: int, name: str,
                    username: str | None, chat_id: int, title: str | None, taker: str,
                    taken_until: datetime) -> tuple[Person, Chat] | TakenElsewhere | None:
        if not await self._uow.inbox.claim(update_id, now):
            return None
        return (await self._uow.people.upsert(person_id, name, username),
                await self._uow.chats.upsert(chat_id, title))


class FakeReports(_Repo):
    """The evaluation's reads, each oldest first as SqlReports gives them."""

    def _events(self, chosen: Any) -> list[Event]:
        return [Event(e.at, e.action, e.subject_type, e.subject_id, e.actor_id, e.before,
                      e.after) for e in sorted(self.t.audit, key=lambda e: (e.at, e.id))
                if chosen(e)]

    async def events(self, actions: Sequence[str], start: datetime, end: datetime
                     ) -> list[Event]:
        return self._events(lambda e: start <= e.at < end and e.action in actions)

    async def events_of(self, subject_type: str, subject_ids: Sequence[str],
                        actions: Sequence[str] | None = None) -> list[Event]:
        return self._events(lambda e: e.subject_type == subject_type
                            and e.subject_id in subject_ids
                            and (actions is None or e.action in actions))

    def _tasks(self, chosen: Any) -> list[Task]:
        return [copy.copy(t) for t in sorted(self.t.tasks.values(), key=_id) if chosen(t)]

    async def tasks_between(self, start: datetime, end: datetime) -> list[Task]:
        return self._tasks(lambda t: (t.due_at is not None and start <= t.due_at < end)
                           or start <= t.created_at < end)

    async def tasks_by_id(self, task_ids: Sequence[int]) -> list[Task]:
        return self._tasks(lambda t: t.id in task_ids)

    async def tasks_of_orders(self, order_ids: Sequence[int]) -> list[Task]:
        return self._tasks(lambda t: t.order_id in order_ids)

    def _orders(self, chosen: Any) -> list[Order]:
        return [copy.deepcopy(o) for o in sorted(self.t.orders.values(), key=_id) if chosen(o)]

    async def orders_by_number(self, numbers: Sequence[str]) -> list[Order]:
        return self._orders(lambda o: o.number in numbers)

    async def orders_by_id(self, order_ids: Sequence[int]) -> list[Order]:
        return self._orders(lambda o: o.id in order_ids)

    def _notices(self, chosen: Any) -> list[ChangeNotice]:
        return [copy.deepcopy(n) for n in sorted(self.t.notices.values(), key=_id)
                if chosen(n)]

    async def notices_by_number(self, numbers: Sequence[str]) -> list[ChangeNotice]:
        return self._notices(lambda n: n.number in numbers)

    async def notices_of_orders(self, order_ids: Sequence[int]) -> list[ChangeNotice]:
        return self._notices(lambda n: n.order_id in order_ids and n.number is not None)

    async def slips_of_orders(self, order_ids: Sequence[int]) -> list[UrgeSlip]:
        return [copy.deepcopy(s) for s in sorted(self.t.slips.values(), key=_id)
                if s.order_id in order_ids]

    async def names(self, person_ids: Sequence[int]) -> dict[int, str]:
        return {i: self.t.people[i].name for i in person_ids if i in self.t.people}


class FakeUnitOfWork:
    """One transaction over a FakeStore: what it stages is kept by `commit` alone."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.tables = copy.deepcopy(store.tables)
        self.people = FakePeople(self)
        self.chats = FakeChats(self)
        self.drafts = FakeDrafts(self)
        self.orders = FakeOrders(self)
        self.tasks = FakeTasks(self)
        self.audit = FakeAudit(self)
        self.outbox = FakeOutbox(self)
        self.timers = FakeTimers(self)
        self.urge_slips = FakeUrgeSlips(self)
        self.changes = FakeChangeNotices(self)
        self.pings = FakeEscalationPings(self)
        self.credits = FakeCredits(self)
        self.inbox = FakeInbox(self)
        self.turns = FakeTurns(self)
        self.reports = FakeReports(self)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self.store.tables = copy.deepcopy(self.tables)

    async def rollback(self) -> None:
        self.tables = copy.deepcopy(self.store.tables)


def _id(record: Any) -> int:
    return record.id or 0


# ---- the policy and a Context ------------------------------------------------------------

POLICY: Policy = load_policy()
CALENDAR = WorkingCalendar(POLICY)


class PolicyDeadlines:
    """The default policy's deadlines on its calendar, as bot/app.py wires them (importing
    that would bring the bot library into a ring that must not need it)."""

    def __init__(self, policy: Policy = POLICY, calendar: WorkingCalendar = CALENDAR) -> None:
        self.policy, self.calendar = policy, calendar

    def due(self, rule: str, start: datetime | date) -> datetime:
        return self.calendar.deadline(start, self.policy.deadline(rule))


@dataclass
class World:
    """A company in memory: people, groups, and a unit of work at a fixed `now`."""

    store: FakeStore = field(default_factory=FakeStore)
    now: datetime = NOW
    admin_ids: frozenset[int] = frozenset({1})
    policy: Policy = POLICY
    _uow: FakeUnitOfWork | None = None
    _ctx: Context | None = None

    @property
    def uow(self) -> FakeUnitOfWork:
        if self._uow is None:
            self._uow = self.store.uow()
        return self._uow

    @property
    def ctx(self) -> Context:
        """The Context of the current unit of work; `at` moves the clock and starts another."""
        if self._ctx is None:
            calendar = WorkingCalendar(self.policy) if self.policy is not POLICY else CALENDAR
            self._ctx = Context(self.uow, self.now, PolicyDeadlines(self.policy, calendar),
                                SHANGHAI, self.policy, calendar, self.admin_ids)
        return self._ctx

    @property
    def tables(self) -> Tables:
        return self.uow.tables

    async def commit(self) -> None:
        await self.uow.commit()
        self._ctx = None  # a new turn, with its own events and notifications

    def at(self, now: datetime) -> World:
        self.now, self._ctx = now, None
        return self

    def later(self, **delta: float) -> World:
        return self.at(self.now + timedelta(**delta))

    # -- setting a company up --------------------------------------------------------------

    def person(self, person_id: int, name: str, *roles: Role, leads: tuple[Role, ...] = ()
               ) -> Actor:
        person = Person(person_id, name, f"u{person_id}",
                        roles={**{r: False for r in roles}, **{r: True for r in leads}})
        self.tables.people[person_id] = copy.deepcopy(person)
        return Actor(person, is_admin=person_id in self.admin_ids)

    def group(self, chat_id: int, department: Role | None, title: str | None = None) -> None:
        self.tables.chats[chat_id] = Chat(chat_id, title or f"group{chat_id}", department)

    # -- what happened ---------------------------------------------------------------------

    def notes(self, key: str | None = None, *, kind: str | None = None,
              chat_id: int | None = None) -> list[Notification]:
        """Notifications queued so far, by text key, kind and chat."""
        return [r.note for r in self.tables.outbox if r.note is not None
                and (key is None or r.note.text.key == key)
                and (kind is None or r.note.kind == kind)
                and (chat_id is None or r.chat_id == chat_id)]

    def told(self, key: str) -> set[int]:
        """The chats a text key went to."""
        return {n.chat_id for n in self.notes(key)}

    def actions(self, prefix: str = "") -> list[str]:
        return [e.action for e in self.tables.audit if e.action.startswith(prefix)]

    def events(self, action: str) -> list[AuditEvent]:
        return [e for e in self.tables.audit if e.action == action]

    def tasks(self, order: Order | None = None, *, open_only: bool = False) -> list[Task]:
        """Tasks as stored now (copies: what a test holds stays what it was)."""
        return [copy.copy(t) for t in sorted(self.tables.tasks.values(), key=_id)
                if (order is None or t.order_id == order.id)
                and (not open_only or t.status in OPEN_TASK_STATUSES)]

    def timers(self, *, live: bool = True, kind: str | None = None) -> list[Timer]:
        return [t for t in self.tables.timers
                if (not live or t.status in LIVE_TIMER) and (kind is None or t.kind == kind)]

    def order(self, order: Order) -> Order:
        """The order as stored now (a copy, as the repository gives it)."""
        return copy.deepcopy(self.tables.orders[order.id or 0])
