"""Named leases: work one process at a time does, such as long polling one bot token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LeaseRow

_leases = LeaseRow.__table__


class LeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def hold(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False while another holder's lease runs."""
        renewed = await self.session.execute(
            update(_leases)
            .where(_leases.c.name == name,
                   or_(_leases.c.holder == holder, _leases.c.until < now))
            .values(holder=holder, until=until))
        if renewed.rowcount:
            return True
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        taken = await self.session.execute(
            insert(_leases).values(name=name, holder=holder, until=until)
            .on_conflict_do_nothing(index_elements=["name"]).returning(_leases.c.name))
        return taken.scalar() is not None

    async def release(self, name: str, holder: str) -> None:
        await self.session.execute(
            delete(_leases).where(_leases.c.name == name, _leases.c.holder == holder))
