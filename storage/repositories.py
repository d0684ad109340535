"""Repositories: they read and stage rows, translate to domain records, and never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEventRow,
    CatalogEntryRow,
    ChangeNoticeRow,
    ChatRow,
    OrderCounterRow,
    OrderDraftRow,
    OrderRow,
    PersonRow,
    RoleGrantRow,
    TaskRow,
    UrgeSlipRow,
)
from workflow.model import (
    OPEN_TASK_STATUSES,
    ChangeNotice,
    ChangeStatus,
    Chat,
    DraftStatus,
    Order,
    OrderDraft,
    OrderStatus,
    Person,
    Task,
    TaskKind,
    TaskStatus,
    UrgeSlip,
    UrgeStatus,
)
from workflow.roles import Role

# The statements every turn runs are built once: on SQLite, building and keying a statement
# costs more than running it.
_people, _grants, _chats = PersonRow.__table__, RoleGrantRow.__table__, ChatRow.__table__
_PEOPLE_WITH_ROLES = (
    select(_people.c.id, _people.c.name, _people.c.username, _people.c.locale,
           _people.c.unreachable_since, _grants.c.role, _grants.c.leader)
    .select_from(_people.outerjoin(_grants, _grants.c.person_id == _people.c.id))
    .order_by(_people.c.id, _grants.c.role)
)
_PERSON_BY_ID = _PEOPLE_WITH_ROLES.where(_people.c.id == bindparam("person_id"))
_INSERT_PERSON = insert(_people)
_RENAME_PERSON = (update(_people).where(_people.c.id == bindparam("person_id"))
                  .values(name=bindparam("name"), username=bindparam("username")))
_CHAT_BY_ID = select(_chats).where(_chats.c.id == bindparam("chat_id"))
_INSERT_CHAT = insert(_chats)
_RETITLE_CHAT = (update(_chats).where(_chats.c.id == bindparam("chat_id"))
                 .values(title=bindparam("title")))
_INSERT_AUDIT = insert(AuditEventRow.__table__)


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _grouped(rows: Any) -> list[Person]:
        """One Person per id from rows of (person columns, role, leader)."""
        people: dict[int, Person] = {}
        for person_id, name, username, locale, unreachable_since, role, leader in rows:
            person = people.setdefault(person_id, Person(person_id, name, username, locale,
                                                         unreachable_since=unreachable_since))
            if role is not None:
                person.roles[Role(role)] = leader
        return list(people.values())

    async def _with_roles(self, condition: ColumnElement[bool]) -> list[Person]:
        return self._grouped(await self.session.execute(_PEOPLE_WITH_ROLES.where(condition)))

    async def _first(self, condition: ColumnElement[bool]) -> Person | None:
        first = select(_people.c.id).where(condition).limit(1).scalar_subquery()
        found = await self._with_roles(_people.c.id == first)
        return found[0] if found else None

    async def get(self, person_id: int) -> Person | None:
        found = self._grouped(
            await self.session.execute(_PERSON_BY_ID, {"person_id": person_id}))
        return found[0] if found else None

    async def by_username(self, username: str) -> Person | None:
        return await self._first(func.lower(_people.c.username) == username.lower())

    async def by_name(self, name: str) -> Person | None:
        return await self._first(_people.c.name == name)

    async def upsert(self, person_id: int, name: str, username: str | None) -> Person:
        person = await self.get(person_id)
        if person is None:
            await self.session.execute(
                _INSERT_PERSON, {"id": person_id, "name": name, "username": username})
            return Person(person_id, name, username)
        if (person.name, person.username) != (name, username):
            await self.session.execute(
                _RENAME_PERSON, {"person_id": person_id, "name": name, "username": username})
            person.name, person.username = name, username
        return person

    async def set_locale(self, person_id: int, locale: str | None) -> None:
        await self.session.execute(
            update(_people).where(_people.c.id == person_id).values(locale=locale)
        )

    async def mark_unreachable(self, person_id: int, at: datetime) -> bool:
        """True when this is news: the person was reachable until now."""
        result = await self.session.execute(
            update(_people).where(_people.c.id == person_id,
                                  _people.c.unreachable_since.is_(None))
            .values(unreachable_since=at))
        return result.rowcount == 1

    async def mark_reachable(self, person_id: int) -> bool:
        """True when the person had been unreachable."""
        result = await self.session.execute(
            update(_people).where(_people.c.id == person_id,
                                  _people.c.unreachable_since.is_not(None))
            .values(unreachable_since=None))
        return result.rowcount == 1

    async def grant(self, person_id: int, role: Role, leader: bool) -> None:
        row = await self.session.scalar(
            select(RoleGrantRow).where(
                RoleGrantRow.person_id == person_id, RoleGrantRow.role == role.value
            )
        )
        if row is None:
            self.session.add(RoleGrantRow(person_id=person_id, role=role.value, leader=leader))
        else:
            row.leader = leader
        await self.session.flush()

    async def revoke(self, person_id: int, role: Role) -> bool:
        row = await self.session.scalar(
            select(RoleGrantRow).where(
                RoleGrantRow.person_id == person_id, RoleGrantRow.role == role.value
            )
        )
        if row is None:
            return False
        await self.session.delete(row)
        return True

    async def holders(self, role: Role) -> list[Person]:
        return await self._with_roles(_people.c.id.in_(
            select(_grants.c.person_id).where(_grants.c.role == role.value)))

    async def unreachable(self) -> list[Person]:
        return await self._with_roles(_people.c.unreachable_since.is_not(None))

    async def with_any_role(self) -> list[Person]:
        people = await self._with_roles(_people.c.id.in_(select(_grants.c.person_id)))
        return sorted(people, key=lambda person: person.name)


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: Any) -> Chat:
        return Chat(
            id=row.id,
            title=row.title,
            department=Role(row.department) if row.department else None,
            locale=row.locale,
            active=row.active,
        )

    async def get(self, chat_id: int) -> Chat | None:
        row = (await self.session.execute(_CHAT_BY_ID, {"chat_id": chat_id})).first()
        return self._domain(row) if row else None

    async def upsert(self, chat_id: int, title: str | None) -> Chat:
        chat = await self.get(chat_id)
        if chat is None:
            await self.session.execute(_INSERT_CHAT, {"id": chat_id, "title": title})
            return Chat(chat_id, title)
        if title and chat.title != title:
            await self.session.execute(_RETITLE_CHAT, {"chat_id": chat_id, "title": title})
            chat.title = title
        return chat

    async def bind(self, chat_id: int, department: Role | None) -> None:
        await self.session.execute(
            update(_chats)
            .where(_chats.c.id == chat_id)
            .values(department=department.value if department else None)
        )

    async def set_locale(self, chat_id: int, locale: str | None) -> None:
        await self.session.execute(
            update(_chats).where(_chats.c.id == chat_id).values(locale=locale)
        )

    async def of_department(self, department: Role, *, active_only: bool = True) -> list[Chat]:
        query = select(_chats).where(_chats.c.department == department.value)
        if active_only:
            query = query.where(_chats.c.active.is_(True))
        rows = await self.session.execute(query.order_by(_chats.c.id))
        return [self._domain(row) for row in rows]

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """True when it changed."""
        result = await self.session.execute(
            update(_chats).where(_chats.c.id == chat_id, _chats.c.active.is_not(active))
            .values(active=active))
        return result.rowcount == 1

    async def migrate(self, old: int, new: int) -> Chat | None:
        """The group became a supergroup: its binding and language move to the new id. Told
        twice (Telegram says it in both chats), it moves once."""
        before = await self.get(old)
        moved = await self.session.scalar(select(_chats.c.migrated_to).where(_chats.c.id == old))
        if before is None or moved is not None:
            return None
        if await self.get(new) is None:
            await self.session.execute(_INSERT_CHAT, {"id": new, "title": before.title})
        await self.session.execute(
            update(_chats).where(_chats.c.id == new)
            .values(department=before.department.value if before.department else None,
                    locale=before.locale, active=True))
        await self.session.execute(
            update(_chats).where(_chats.c.id == old)
            .values(department=None, active=False, migrated_to=new))
        # Orders answer in the chat they were taken in; drafts and notices belong to theirs.
        for table in (OrderRow.__table__, OrderDraftRow.__table__, ChangeNoticeRow.__table__):
            await self.session.execute(
                update(table).where(table.c.chat_id == old).values(chat_id=new))
        return before


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: OrderDraftRow) -> OrderDraft:
        return OrderDraft(
            id=row.id,
            chat_id=row.chat_id,
            author_id=row.author_id,
            fields=dict(row.fields),
            created_at=row.created_at,
            status=DraftStatus(row.status),
            asking=row.asking,
        )

    async def add(self, draft: OrderDraft) -> OrderDraft:
        row = OrderDraftRow(
            chat_id=draft.chat_id,
            author_id=draft.author_id,
            fields=draft.fields,
            status=draft.status.value,
            asking=draft.asking,
            created_at=draft.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        draft.id = row.id
        return draft

    async def get(self, draft_id: int) -> OrderDraft | None:
        row = await self.session.get(OrderDraftRow, draft_id)
        return self._domain(row) if row else None

    async def save(self, draft: OrderDraft) -> None:
        await self.session.execute(
            update(OrderDraftRow)
            .where(OrderDraftRow.id == draft.id)
            .values(fields=draft.fields, status=draft.status.value, asking=draft.asking)
        )

    async def asking_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        """The newest pending draft of this person that waits for an answer."""
        return await self._newest_pending(chat_id, author_id, OrderDraftRow.asking.is_not(None))

    async def pending_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        """The newest pending draft of this person, asking or waiting for 确认."""
        return await self._newest_pending(chat_id, author_id)

    async def _newest_pending(self, chat_id: int, author_id: int,
                              *conditions: ColumnElement[bool]) -> OrderDraft | None:
        row = await self.session.scalar(
            select(OrderDraftRow)
            .where(
                OrderDraftRow.chat_id == chat_id,
                OrderDraftRow.author_id == author_id,
                OrderDraftRow.status == DraftStatus.PENDING.value,
                *conditions,
            )
            .order_by(OrderDraftRow.id.desc())
            .limit(1)
        )
        return self._domain(row) if row else None


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: OrderRow) -> Order:
        return Order(
            id=row.id,
            number=row.number,
            status=OrderStatus(row.status),
            customer=row.customer,
            product=row.product,
            quantity=row.quantity,
            due_date=row.due_date,
            created_by=row.created_by,
            created_at=row.created_at,
            chat_id=row.chat_id,
            model=row.model,
            unit=row.unit,
            unit_price=row.unit_price,
            amount=row.amount,
            complete_set=row.complete_set,
            order_class=row.order_class,
            notes=row.notes,
            facts=dict(row.facts or {}),
        )

    async def next_sequence(self, day: date) -> int:
        """Hand out the day's next order number; the row update serialises concurrent writers."""
        result = await self.session.execute(
            update(OrderCounterRow)
            .where(OrderCounterRow.day == day)
            .values(last=OrderCounterRow.last + 1)
            .returning(OrderCounterRow.last)
        )
        last = result.scalar()
        if last is not None:
            return last
        try:
            async with self.session.begin_nested():
                self.session.add(OrderCounterRow(day=day, last=1))
            return 1
        except IntegrityError:
            return await self.next_sequence(day)

    async def add(self, order: Order) -> Order:
        values = {k: v for k, v in vars(order).items() if k != "id"}
        values["status"] = order.status.value
        row = OrderRow(**values)
        self.session.add(row)
        await self.session.flush()
        order.id = row.id
        return order

    async def get(self, order_id: int) -> Order | None:
        row = await self.session.get(OrderRow, order_id)
        return self._domain(row) if row else None

    async def by_number(self, number: str) -> Order | None:
        row = await self.session.scalar(select(OrderRow).where(OrderRow.number == number))
        return self._domain(row) if row else None

    async def set_status(self, order_id: int, status: OrderStatus) -> None:
        await self.session.execute(
            update(OrderRow).where(OrderRow.id == order_id).values(status=status.value)
        )

    async def save_facts(self, order_id: int, facts: dict[str, Any]) -> None:
        await self.session.execute(
            update(OrderRow).where(OrderRow.id == order_id).values(facts=dict(facts))
        )

    async def set_due_date(self, order_id: int, due_date: date) -> None:
        await self.session.execute(
            update(OrderRow).where(OrderRow.id == order_id).values(due_date=due_date)
        )

    async def registered_since(
        self, customer: str, product: str, quantity: float, since: datetime
    ) -> list[Order]:
        rows = await self.session.scalars(
            select(OrderRow).where(
                OrderRow.customer == customer,
                OrderRow.product == product,
                OrderRow.quantity == quantity,
                OrderRow.created_at >= since,
            )
        )
        return [self._domain(row) for row in rows]

    async def all(self) -> list[Order]:
        rows = await self.session.scalars(select(OrderRow).order_by(OrderRow.id))
        return [self._domain(row) for row in rows]

    async def matching(self, customer: str | None, product: str | None,
                       statuses: list[OrderStatus]) -> list[Order]:
        """Orders whose customer and product contain what a change notice names."""
        query = select(OrderRow).where(OrderRow.status.in_([s.value for s in statuses]))
        if customer:
            query = query.where(OrderRow.customer.contains(customer))
        if product:
            query = query.where(OrderRow.product.contains(product))
        rows = await self.session.scalars(query.order_by(OrderRow.id))
        return [self._domain(row) for row in rows]

    async def apply_changes(self, order_id: int, values: dict[str, Any]) -> None:
        await self.session.execute(update(OrderRow).where(OrderRow.id == order_id).values(**values))

    async def known_names(self) -> tuple[list[str], list[str]]:
        """Customers and products from earlier orders and the imported catalog."""
        customers = set(await self.session.scalars(select(OrderRow.customer).distinct()))
        products = set(await self.session.scalars(select(OrderRow.product).distinct()))
        for kind, name in await self.session.execute(
            select(CatalogEntryRow.kind, CatalogEntryRow.name)
        ):
            (customers if kind == "customer" else products).add(name)
        return sorted(customers), sorted(products)

    async def add_catalog_entry(self, kind: str, name: str) -> bool:
        """False when the name is already in the catalog."""
        exists = await self.session.scalar(
            select(CatalogEntryRow.id).where(CatalogEntryRow.kind == kind,
                                             CatalogEntryRow.name == name)
        )
        if exists:
            return False
        self.session.add(CatalogEntryRow(kind=kind, name=name))
        return True


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: TaskRow) -> Task:
        return Task(
            id=row.id,
            order_id=row.order_id,
            kind=TaskKind(row.kind),
            role=Role(row.role),
            status=TaskStatus(row.status),
            due_at=row.due_at,
            created_at=row.created_at,
            assignee_id=row.assignee_id,
            outcome=row.outcome,
            note=row.note,
            closed_by=row.closed_by,
            closed_at=row.closed_at,
            title=row.title,
            progress=row.progress,
            progress_note=row.progress_note,
            quantity=row.quantity,
            photo=row.photo,
        )

    async def add(self, task: Task) -> Task:
        row = TaskRow(
            order_id=task.order_id,
            kind=task.kind.value,
            role=task.role.value,
            status=task.status.value,
            due_at=task.due_at,
            created_at=task.created_at,
            assignee_id=task.assignee_id,
            title=task.title,
        )
        self.session.add(row)
        await self.session.flush()
        task.id = row.id
        return task

    async def get(self, task_id: int) -> Task | None:
        row = await self.session.get(TaskRow, task_id)
        return self._domain(row) if row else None

    async def close(self, task: Task) -> bool:
        """Close an open task; False when somebody else closed it first."""
        result = await self.session.execute(
            update(TaskRow)
            .where(TaskRow.id == task.id, TaskRow.status.in_(["open", "acknowledged"]))
            .values(
                status=task.status.value,
                outcome=task.outcome,
                note=task.note,
                closed_by=task.closed_by,
                closed_at=task.closed_at,
                quantity=task.quantity,
                photo=task.photo,
            )
        )
        return result.rowcount == 1

    async def record_progress(self, task: Task) -> None:
        await self.session.execute(
            update(TaskRow).where(TaskRow.id == task.id).values(
                progress=task.progress, progress_note=task.progress_note, photo=task.photo))

    async def set_due(self, task_id: int, due_at: datetime) -> None:
        await self.session.execute(update(TaskRow).where(TaskRow.id == task_id)
                                   .values(due_at=due_at))

    async def acknowledge(self, task_id: int, person_id: int) -> bool:
        result = await self.session.execute(
            update(TaskRow)
            .where(TaskRow.id == task_id, TaskRow.status == TaskStatus.OPEN.value)
            .values(status=TaskStatus.ACKNOWLEDGED.value, assignee_id=person_id)
        )
        return result.rowcount == 1

    async def open_for_roles(self, roles: list[Role]) -> list[Task]:
        rows = await self.session.scalars(
            select(TaskRow)
            .where(TaskRow.role.in_([r.value for r in roles]),
                   TaskRow.status.in_([s.value for s in OPEN_TASK_STATUSES]))
            .order_by(TaskRow.due_at, TaskRow.id)
        )
        return [self._domain(row) for row in rows]

    async def for_order(self, order_id: int) -> list[Task]:
        rows = await self.session.scalars(
            select(TaskRow).where(TaskRow.order_id == order_id).order_by(TaskRow.id)
        )
        return [self._domain(row) for row in rows]

    async def all(self) -> list[Task]:
        rows = await self.session.scalars(select(TaskRow).order_by(TaskRow.id))
        return [self._domain(row) for row in rows]


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject_type: str,
        subject_id: str | int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        # A plain INSERT: the audit row is never read back in the same unit of work, and the
        # ORM's flush machinery costs more than the statement itself on every turn.
        await self.session.execute(_INSERT_AUDIT, {
            "at": at, "actor_id": actor_id, "action": action, "subject_type": subject_type,
            "subject_id": str(subject_id), "before": before, "after": after})

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0

    async def exists(self, action: str, subject_type: str, subject_id: str | int) -> bool:
        return await self.session.scalar(
            select(AuditEventRow.id).where(
                AuditEventRow.action == action,
                AuditEventRow.subject_type == subject_type,
                AuditEventRow.subject_id == str(subject_id),
            ).limit(1)
        ) is not None

    async def for_subject(self, subject_type: str, subject_id: str | int) -> list[AuditEventRow]:
        rows = await self.session.scalars(
            select(AuditEventRow)
            .where(
                AuditEventRow.subject_type == subject_type,
                AuditEventRow.subject_id == str(subject_id),
            )
            .order_by(AuditEventRow.id)
        )
        return list(rows)


class UrgeSlipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: UrgeSlipRow) -> UrgeSlip:
        return UrgeSlip(row.id, row.number, row.order_id, UrgeStatus(row.status), list(row.late),
                        row.note, row.created_by, row.created_at, row.sent_at)

    async def add(self, slip: UrgeSlip) -> UrgeSlip:
        row = UrgeSlipRow(number=slip.number, order_id=slip.order_id, status=slip.status.value,
                          late=slip.late, note=slip.note, created_by=slip.created_by,
                          created_at=slip.created_at, sent_at=slip.sent_at)
        self.session.add(row)
        await self.session.flush()
        slip.id = row.id
        return slip

    async def get(self, slip_id: int) -> UrgeSlip | None:
        row = await self.session.get(UrgeSlipRow, slip_id)
        return self._domain(row) if row else None

    async def count_for(self, order_id: int) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(UrgeSlipRow).where(UrgeSlipRow.order_id == order_id)
        ) or 0

    async def settle(self, slip_id: int, status: UrgeStatus, at: datetime) -> bool:
        """Send or drop a draft; False when someone settled it first."""
        result = await self.session.execute(
            update(UrgeSlipRow)
            .where(UrgeSlipRow.id == slip_id, UrgeSlipRow.status == UrgeStatus.DRAFT.value)
            .values(status=status.value, sent_at=at if status is UrgeStatus.SENT else None)
        )
        return result.rowcount == 1

    async def all(self) -> list[UrgeSlip]:
        rows = await self.session.scalars(select(UrgeSlipRow).order_by(UrgeSlipRow.id))
        return [self._domain(row) for row in rows]


class ChangeNoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: ChangeNoticeRow) -> ChangeNotice:
        return ChangeNotice(row.id, row.number, row.order_id, ChangeStatus(row.status),
                            dict(row.changes), row.level, row.created_by, row.created_at,
                            row.chat_id, dict(row.facts or {}))

    async def add(self, notice: ChangeNotice) -> ChangeNotice:
        row = ChangeNoticeRow(number=notice.number, order_id=notice.order_id,
                              status=notice.status.value, changes=notice.changes,
                              level=notice.level, facts=notice.facts, chat_id=notice.chat_id,
                              created_by=notice.created_by, created_at=notice.created_at)
        self.session.add(row)
        await self.session.flush()
        notice.id = row.id
        return notice

    async def get(self, notice_id: int) -> ChangeNotice | None:
        row = await self.session.get(ChangeNoticeRow, notice_id)
        return self._domain(row) if row else None

    async def save(self, notice: ChangeNotice) -> None:
        await self.session.execute(
            update(ChangeNoticeRow).where(ChangeNoticeRow.id == notice.id).values(
                number=notice.number, order_id=notice.order_id, status=notice.status.value,
                changes=dict(notice.changes), level=notice.level, facts=dict(notice.facts)))

    async def count_for(self, order_id: int) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(ChangeNoticeRow)
            .where(ChangeNoticeRow.order_id == order_id, ChangeNoticeRow.number.is_not(None))
        ) or 0

    async def by_number(self, number: str) -> ChangeNotice | None:
        row = await self.session.scalar(
            select(ChangeNoticeRow).where(ChangeNoticeRow.number == number))
        return self._domain(row) if row else None

    async def all(self) -> list[ChangeNotice]:
        rows = await self.session.scalars(select(ChangeNoticeRow).order_by(ChangeNoticeRow.id))
        return [self._domain(row) for row in rows]
