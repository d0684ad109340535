"""Orders, their numbers, and the names the parser learns from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    LIVE_ORDER,
    UNDER_WAY,
    CatalogEntryRow,
    OrderCounterRow,
    OrderRow,
    TaskRow,
)
from workflow.model import (
    ENDED_STATUSES,
    OPEN_ORDER_STATUSES,
    OPEN_TASK_STATUSES,
    Order,
    OrderSearch,
    OrderStatus,
)
from workflow.roles import Role

_OPEN = [s.value for s in OPEN_ORDER_STATUSES]
_OPEN_TASK = [s.value for s in OPEN_TASK_STATUSES]


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
            archived_at=row.archived_at,
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

    async def active(self) -> list[Order]:
        """Orders still under way (not shipped, closed, cancelled or declined)."""
        rows = await self.session.scalars(
            select(OrderRow).where(UNDER_WAY)
            .order_by(OrderRow.id))
        return [self._domain(row) for row in rows]

    async def open_named(self, *, suffix: str | None = None, name: str | None = None,
                         limit: int) -> list[Order]:
        """Open orders, newest first, whose number ends with `suffix` or whose customer or
        product contains `name`."""
        named = []
        if suffix:
            named.append(OrderRow.number.endswith(suffix, autoescape=True))
        if name:
            named += [OrderRow.customer.icontains(name, autoescape=True),
                      OrderRow.product.icontains(name, autoescape=True)]
        if not named:
            return []
        rows = await self.session.scalars(
            select(OrderRow).where(OrderRow.status.in_(_OPEN), or_(*named))
            .order_by(OrderRow.id.desc()).limit(limit))
        return [self._domain(row) for row in rows]

    async def open_for(self, *, person_id: int | None, roles: Sequence[Role], limit: int
                       ) -> list[Order]:
        """Open orders, newest first, that `person_id` registered or has an open task on, or
        that have an open task of one of `roles`; all open orders when given neither."""
        def open_task(*where: Any) -> Any:
            return exists().where(TaskRow.order_id == OrderRow.id,
                                  TaskRow.status.in_(_OPEN_TASK), *where)

        theirs = []
        if person_id is not None:
            theirs += [OrderRow.created_by == person_id, open_task(TaskRow.assignee_id == person_id)]
        if roles:
            theirs.append(open_task(TaskRow.role.in_([r.value for r in roles])))
        query = select(OrderRow).where(OrderRow.status.in_(_OPEN))
        if theirs:
            query = query.where(or_(*theirs))
        rows = await self.session.scalars(query.order_by(OrderRow.id.desc()).limit(limit))
        return [self._domain(row) for row in rows]

    async def all(self) -> list[Order]:
        rows = await self.session.scalars(select(OrderRow).order_by(OrderRow.id))
        return [self._domain(row) for row in rows]

    async def matching(self, customer: str | None, product: str | None,
                       statuses: list[OrderStatus]) -> list[Order]:
        """Orders whose customer and product contain what a change notice names."""
        query = select(OrderRow).where(LIVE_ORDER, OrderRow.status.in_([s.value for s in statuses]))
        if customer:
            query = query.where(OrderRow.customer.contains(customer))
        if product:
            query = query.where(OrderRow.product.contains(product))
        rows = await self.session.scalars(query.order_by(OrderRow.id))
        return [self._domain(row) for row in rows]

    async def ended_live(self, after_id: int = 0, limit: int | None = None) -> list[Order]:
        """Closed, declined and cancelled orders not yet archived: the archive's candidates. An
        under-way order is never archived, so the under-way list needs no such filter."""
        rows = await self.session.scalars(
            select(OrderRow).where(LIVE_ORDER, OrderRow.id > after_id,
                                   OrderRow.status.in_([s.value for s in ENDED_STATUSES]))
            .order_by(OrderRow.id).limit(limit))
        return [self._domain(row) for row in rows]

    async def archive(self, order_id: int, at: datetime) -> bool:
        """False when the order was archived already (by another process)."""
        result = await self.session.execute(
            update(OrderRow).where(OrderRow.id == order_id, OrderRow.archived_at.is_(None))
            .values(archived_at=at))
        return bool(getattr(result, "rowcount", 0))

    async def search(self, search: OrderSearch, limit: int) -> tuple[list[Order], int]:
        """Orders, archived or not, each of whose words is in the number, the customer, the
        product or the model, received in the period if one is given; the newest `limit` of
        them and how many there are."""
        conditions: list[ColumnElement[bool]] = []
        for word in search.words:
            conditions.append(or_(OrderRow.number.contains(word, autoescape=True),
                                  OrderRow.customer.contains(word, autoescape=True),
                                  OrderRow.product.contains(word, autoescape=True),
                                  OrderRow.model.contains(word, autoescape=True)))
        if search.start is not None and search.end is not None:
            conditions += [OrderRow.created_at >= search.start, OrderRow.created_at < search.end]
        where = and_(*conditions)
        total = await self.session.scalar(select(func.count()).select_from(OrderRow).where(where))
        rows = await self.session.scalars(
            select(OrderRow).where(where).order_by(OrderRow.created_at.desc(), OrderRow.id.desc())
            .limit(limit))
        return [self._domain(row) for row in rows], int(total or 0)

    async def live_of_customer(self, customer: str) -> list[Order]:
        """The customer's orders not archived, whatever their status."""
        rows = await self.session.scalars(
            select(OrderRow).where(OrderRow.customer == customer, LIVE_ORDER).order_by(OrderRow.id))
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
