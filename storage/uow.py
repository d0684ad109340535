"""The unit of work: one transaction per command; it alone commits."""

from __future__ import annotations

from functools import cached_property
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
    """Repositories are made on first use: a turn touches three or four of eighteen, and every
    command opens two or three units of work."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        return self

    @cached_property
    def people(self) -> PeopleRepository:
        return PeopleRepository(self.session)

    @cached_property
    def chats(self) -> ChatRepository:
        return ChatRepository(self.session)

    @cached_property
    def drafts(self) -> DraftRepository:
        return DraftRepository(self.session)

    @cached_property
    def orders(self) -> OrderRepository:
        return OrderRepository(self.session)

    @cached_property
    def tasks(self) -> TaskRepository:
        return TaskRepository(self.session)

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.session)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.session)

    @cached_property
    def inbox(self) -> InboxRepository:
        return InboxRepository(self.session)

    @cached_property
    def leases(self) -> LeaseRepository:
        return LeaseRepository(self.session)

    @cached_property
    def urge_slips(self) -> UrgeSlipRepository:
        return UrgeSlipRepository(self.session)

    @cached_property
    def changes(self) -> ChangeNoticeRepository:
        return ChangeNoticeRepository(self.session)

    @cached_property
    def pings(self) -> EscalationPingRepository:
        return EscalationPingRepository(self.session)

    @cached_property
    def timers(self) -> TimerRepository:
        return TimerRepository(self.session)

    @cached_property
    def reports(self) -> SqlReports:
        return SqlReports(self.session)

    @cached_property
    def credits(self) -> CreditRepository:
        return CreditRepository(self.session)

    @cached_property
    def web_tokens(self) -> WebTokenRepository:
        return WebTokenRepository(self.session)

    @cached_property
    def desk(self) -> DeskQueries:
        return DeskQueries(self.session)

    @cached_property
    def turns(self) -> TurnStart:
        return TurnStart(self.session, self.chats, self.inbox)

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
