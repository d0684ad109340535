"""The outbox sender: delivers queued notifications within Telegram's flood limits, never losing one."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from handlers import messenger
from handlers.render import outbox_message, split_text
from handlers.runtime import Runtime
from handlers.turn import locale_for
from storage.models import OutboxRow
from storage.uow import SqlUnitOfWork
from workflow.model import Chat

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10


class Pacer:
    """Our own side of Telegram's limits: 1 message/s per chat, 20/min per group, 30/s overall."""

    def __init__(self, per_chat_gap: float = 1.0, per_group_per_minute: int = 20,
                 global_per_second: int = 30) -> None:
        self.per_chat_gap = per_chat_gap
        self.per_group_per_minute = per_group_per_minute
        self.global_per_second = global_per_second
        self._last_in_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._all_sends: deque[float] = deque()
        self._held_until: dict[int, float] = {}

    def earliest(self, chat_id: int, now: float) -> float:
        """The first moment (epoch seconds) a message to this chat keeps within every limit."""
        moment = max(now, self._last_in_chat.get(chat_id, -1e18) + self.per_chat_gap)
        held = self._held_until.get(chat_id)
        if held is not None:
            if held <= now:
                del self._held_until[chat_id]
            moment = max(moment, held)
        if chat_id < 0:
            window = self._group_sends.get(chat_id, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.per_group_per_minute:
                moment = max(moment, window[-self.per_group_per_minute] + 60)
        while self._all_sends and self._all_sends[0] <= now - 1:
            self._all_sends.popleft()
        if len(self._all_sends) >= self.global_per_second:
            moment = max(moment, self._all_sends[-self.global_per_second] + 1)
        return moment

    def sent(self, chat_id: int, at: float) -> None:
        self._last_in_chat[chat_id] = at
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(at)
        self._all_sends.append(at)

    def hold(self, chat_id: int, until: float) -> None:
        """Telegram said "retry after": nothing more to this chat before then, whatever we count."""
        self._held_until[chat_id] = max(until, self._held_until.get(chat_id, until))


@dataclass(frozen=True)
class _Later:
    row_id: int
    at: float  # epoch seconds
    why: str


class OutboxSender:
    def __init__(self, runtime: Runtime, bot: Bot, pacer: Pacer | None = None,
                 batch: int = 200) -> None:
        self.runtime = runtime
        self.sessions: async_sessionmaker = runtime.sessions
        self.bot = bot
        self.pacer = pacer or Pacer()
        self.batch = batch
        self._lock = asyncio.Lock()

    async def drain(self) -> int:
        """Send every row that may go now; each row that must wait gets the moment it may go."""
        async with self._lock:
            sent = 0
            # Per chat, the last row this drain placed and when the one after it may go. Rows
            # come in id order, so a row never overtakes an earlier one of its chat, and the rows
            # queued behind a waiting one are spaced a gap apart: each is claimed again about
            # when it may go, instead of every row of a busy chat being claimed and put back
            # whenever the first one is due.
            queue: dict[int, tuple[int, float]] = {}
            locales: dict[int, str] = {}
            while True:
                now = self.runtime.clock.now()
                async with SqlUnitOfWork(self.sessions) as uow:
                    rows = await uow.outbox.claim_due(now, self.batch, LEASE)
                    await uow.commit()
                if not rows:
                    return sent
                sent += await self._deliver_batch(rows, queue, locales)

    async def _deliver_batch(self, rows: list[OutboxRow], queue: dict[int, tuple[int, float]],
                             locales: dict[int, str]) -> int:
        sent = 0
        later: list[_Later] = []
        try:
            for row in rows:  # in id order, so each chat's messages keep their order
                now = self.runtime.clock.now().timestamp()
                allowed = self.pacer.earliest(row.chat_id, now)
                placed_id, free_at = queue.get(row.chat_id, (0, now))
                if row.id > placed_id:  # not a row placed earlier whose moment has come
                    allowed = max(allowed, free_at)
                if allowed > now:
                    later.append(_Later(row.id, allowed, "paced"))
                    queue[row.chat_id] = (row.id, allowed + self.pacer.per_chat_gap)
                    continue
                outcome = await self._deliver(row, locales)
                if isinstance(outcome, _Later):
                    later.append(outcome)
                    queue[row.chat_id] = (row.id, outcome.at)
                else:
                    sent += outcome
        finally:
            if later:  # one transaction for all of them; a crash before it only leaves leases
                async with SqlUnitOfWork(self.sessions) as uow:
                    for item in later:
                        await uow.outbox.retry_later(
                            item.row_id, datetime.fromtimestamp(item.at, UTC), item.why)
                    await uow.commit()
        return sent

    async def next_due(self) -> datetime | None:
        async with SqlUnitOfWork(self.sessions) as uow:
            return await uow.outbox.next_due_at()

    async def _locale(self, chat_id: int, locales: dict[int, str]) -> str:
        if chat_id not in locales:
            async with SqlUnitOfWork(self.sessions) as uow:
                chat = await uow.chats.get(chat_id) or Chat(chat_id)
                person = await uow.people.get(chat_id) if chat_id > 0 else None
            locales[chat_id] = locale_for(chat, person)
        return locales[chat_id]

    async def _deliver(self, row: OutboxRow, locales: dict[int, str]) -> int | _Later:
        """1 when sent, 0 when given up for good, or when to try again."""
        now = self.runtime.clock.now()
        locale = await self._locale(row.chat_id, locales)
        text, markup = outbox_message(row.text_key, row.params or {}, row.buttons or [], locale)
        try:
            message = await messenger.send(self.bot, self.runtime, row.chat_id, text,
                                           kind=row.kind, order=row.order_number, markup=markup)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            until = now.timestamp() + seconds
            self.pacer.hold(row.chat_id, until)
            return _Later(row.id, until, f"retry_after {seconds}")
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest | Forbidden):
                return await self._give_up(row, exc)
            backoff = min(2 ** row.attempts, 300)
            if row.attempts >= MAX_ATTEMPTS:
                return await self._give_up(row, exc)
            return _Later(row.id, now.timestamp() + backoff, f"network: {exc}")
        except Exception as exc:  # a bad chat id or markup must not block the rows behind it
            return await self._give_up(row, exc)
        done = self.runtime.clock.now()
        # A long text went out as several messages, and each one counts against the limits.
        for _ in split_text(text):
            self.pacer.sent(row.chat_id, done.timestamp())
        async with SqlUnitOfWork(self.sessions) as uow:
            await uow.outbox.mark_sent(row.id, message.message_id, done)
            await uow.commit()
        return 1

    async def _give_up(self, row: OutboxRow, exc: Exception) -> int:
        log.error("outbox row %s to chat %s failed for good: %s", row.id, row.chat_id, exc)
        async with SqlUnitOfWork(self.sessions) as uow:
            await uow.outbox.give_up(row.id, str(exc))
            await uow.commit()
        return 0
