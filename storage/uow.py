"""The unit of work: one transaction per command; it alone commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories.audit import AuditLog
from storage.repositories.changes import ChangeNoticeRepository
from storage.repositories.chats import ChatRepository
from storage.repositories.credits import CreditRepository
from storage.repositories.drafts import DraftRepository
from storage.repositories.escalation_pings import EscalationPingRepository
from storage.repositories.inbox import InboxRepository
from storage.repositories.leases import LeaseRepository
from storage.repositories.orders import OrderRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.reports import SqlReports
from storage.repositories.tasks import TaskRepository
from storage.repositories.timers import TimerRepository
from storage.repositories.turns import TurnStart
from storage.repositories.urge_slips import UrgeSlipRepository
from storage.repositories.web import DeskQueries, WebTokenRepository


class SqlUnitOfWork:
    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        self.people = PeopleRepository(self.session)
        self.chats = ChatRepository(self.session)
        self.drafts = DraftRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.tasks = TaskRepository(self.session)
        self.audit = AuditLog(self.session)
        self.outbox = OutboxRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.leases = LeaseRepository(self.session)
        self.urge_slips = UrgeSlipRepository(self.session)
        self.changes = ChangeNoticeRepository(self.session)
        self.pings = EscalationPingRepository(self.session)
        self.timers = TimerRepository(self.session)
        self.reports = SqlReports(self.session)
        self.credits = CreditRepository(self.session)
        self.web_tokens = WebTokenRepository(self.session)
        self.desk = DeskQueries(self.session)
        self.turns = TurnStart(self.session, self.chats)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def one_statement(self) -> None:
        """What this unit of work does is one statement, atomic by itself: on PostgreSQL it
        runs without BEGIN and COMMIT, a round trip each. Call it before the statement.
        (SQLite's BEGIN and COMMIT cost no round trip, and its transactions stay as they are.)"""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
        self.chats.forget()
