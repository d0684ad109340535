"""Customers' credit records, kept by finance."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CustomerCreditRow
from workflow.model import CustomerCredit


class CreditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _row(self, customer: str) -> CustomerCreditRow | None:
        return await self.session.scalar(
            select(CustomerCreditRow).where(CustomerCreditRow.customer == customer))

    async def get(self, customer: str) -> CustomerCredit | None:
        row = await self._row(customer)
        if row is None:
            return None
        return CustomerCredit(row.customer, row.credit_limit, row.terms, row.risk,
                              row.updated_by, row.updated_at)

    async def save(self, credit: CustomerCredit) -> None:
        row = await self._row(credit.customer)
        if row is None:
            row = CustomerCreditRow(customer=credit.customer)
            self.session.add(row)
        row.credit_limit, row.terms, row.risk = credit.limit, credit.terms, credit.risk
        row.updated_by, row.updated_at = credit.updated_by, credit.updated_at
        await self.session.flush()
