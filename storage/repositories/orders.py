"""Orders, their numbers, and the names the parser learns from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UNDER_WAY, CatalogEntryRow, OrderCounterRow, OrderRow
from workflow.model import Order, OrderStatus


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

    async def active(self) -> list[Order]:
        """Orders still under way (not shipped, closed, cancelled or declined)."""
        rows = await self.session.scalars(
            select(OrderRow).where(UNDER_WAY)
            .order_by(OrderRow.id))
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
