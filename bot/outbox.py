"""The outbox sender: delivers what the bot owes each chat within Telegram's limits, and
applies the delivery rules to every failure Telegram answers with.

* 429 waits ``retry_after`` and is never counted as a failure.
* Network errors, timeouts and 5xx pause all sending (one probe at a time, backing off a few
  seconds at most, so the end of an outage is noticed at once) and are retried for a time
  budget counted from the row's first failure; past it the row is a dead letter.
* A migrated group moves, with everything owed to it, to its new id and the send is repeated.
* A person who refuses private messages is mentioned in their department's group instead; a
  group the bot was removed from hands its messages to the department's leaders in private.
  Where nobody can take them they wait (``held``) for the chat to come back.
* Any other refusal is a bug of ours: the row is kept as a dead letter with the error.

A send whose answer times out may have gone through; it is sent again, so a duplicate is
possible then (and when the process dies between Telegram's answer and our commit). The read
timeout is long enough that a slow answer is rarely taken for a lost one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, ForceReply, InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from handlers import messenger
from handlers.render import outbox_message, render, split_text
from handlers.runtime import Runtime
from handlers.turn import locale_for
from locales import DEFAULT_LOCALE
from storage.db import database_away, reason
from storage.models import OutboxRow
from storage.repositories.outbox import HELD, PENDING, WITHDRAWN
from storage.uow import SqlUnitOfWork
from workflow import delivery
from workflow.model import OPEN_TASK_STATUSES, Chat, Notification, Text

log = logging.getLogger(__name__)

DEFAULT_BUDGET = timedelta(hours=24)
# How long the notes of what went out wait for the sends under way (seconds).
SENT_NOTES_WAIT = 0.02
# Writing the notes is tried this often, the next try after half a second more each time.
SENT_NOTES_TRIES, SENT_NOTES_PAUSE = 3, 0.5

# Telegram's descriptions that mean the message will never be accepted where it was sent.
_EDIT_GONE = ("message to edit not found", "message can't be edited",
              "there is no text in the message to edit", "message_id_invalid")
_CHAT_GONE = ("chat not found", "have no rights to send", "not enough rights",
              "chat_write_forbidden", "bot is not a member", "group chat was deactivated",
              "bot was kicked", "peer_id_invalid", "user is deactivated")


class Pacer:
    """Our own side of Telegram's limits: about 1 message/s per chat with short bursts (a reply
    and the notice it causes go together), 20/min per group, 30/s overall."""

    def __init__(self, per_chat_gap: float = 1.0, per_chat_burst: int = 3,
                 per_group_per_minute: int = 20, global_per_second: int = 30) -> None:
        self.per_chat_gap = per_chat_gap
        self.per_chat_burst = per_chat_burst
        self.per_group_per_minute = per_group_per_minute
        self.global_per_second = global_per_second
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, as of)
        self._group_sends: dict[int, deque[float]] = {}
        self._all_sends: deque[float] = deque()
        self._held_until: dict[int, float] = {}

    def _tokens(self, chat_id: int, now: float) -> float:
        full = float(self.per_chat_burst)
        if self.per_chat_gap <= 0:  # no limit per chat (tests that let the server push back)
            return full
        tokens, as_of = self._buckets.get(chat_id, (full, now))
        return min(full, tokens + max(0.0, now - as_of) / self.per_chat_gap)

    def earliest(self, chat_id: int, now: float) -> float:
        """The first moment (epoch seconds) a message to this chat keeps within every limit."""
        tokens = self._tokens(chat_id, now)
        moment = now if tokens >= 1 else now + (1 - tokens) * self.per_chat_gap
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
        self._buckets[chat_id] = (self._tokens(chat_id, at) - 1, at)
        if chat_id < 0:
            self._group_sends.setdefault(chat_id, deque()).append(at)
        self._all_sends.append(at)

    def hold(self, chat_id: int, until: float) -> None:
        """Telegram said "retry after": nothing more to this chat before then, whatever we count."""
        self._held_until[chat_id] = max(until, self._held_until.get(chat_id, until))


class Circuit:
    """While Telegram cannot be reached, one send at a time probes it instead of every row
    failing in turn; the pause doubles up to a few seconds, so recovery is seen at once."""

    def __init__(self, first: float = 0.5, cap: float = 4.0) -> None:
        self.first, self.cap = first, cap
        self.until = 0.0
        self.since = 0.0
        self._pause = 0.0

    def trip(self, now: float, why: str) -> float:
        if not self._pause:
            self.since = now
            log.warning("Telegram cannot be reached (%s); probing it every few seconds",
                        why.split(". Parsing the server response")[0])
        self._pause = min(self.cap, self._pause * 2 if self._pause else self.first)
        self.until = now + self._pause
        return self.until

    def pause(self, now: float, seconds: float) -> float:
        self.until = max(self.until, now + seconds)
        return self.until

    def closed(self, now: float) -> None:
        if self._pause:
            log.warning("Telegram answers again after %.0f s", now - self.since)
        self._pause = 0.0


@dataclass(frozen=True)
class _Later:
    row: OutboxRow
    at: float  # epoch seconds
    why: str
    failure: bool = False  # the network failed us; counts against the retry budget


_SENT, _SETTLED = "sent", "settled"  # settled: rerouted, held or given up in the database


class OutboxSender:
    def __init__(self, runtime: Runtime, bot: Bot, pacer: Pacer | None = None,
                 batch: int = 200, budget: timedelta = DEFAULT_BUDGET) -> None:
        self.runtime = runtime
        self.bot = bot
        self.pacer = pacer or Pacer()
        self.circuit = Circuit()
        self.batch = batch
        self.budget = budget
        self._lock = asyncio.Lock()
        self._held: dict[int, int] = {}  # rows this process is sending: id -> fencing token
        self._heartbeat: asyncio.Task[None] | None = None
        self._names: dict[int, tuple[str, str | None]] = {}  # chat/person -> (name, username)
        self._locales: dict[int, str] = {}
        self._moved: dict[int, int] = {}  # migrated groups: old id -> new id
        # While Telegram cannot be reached, the row that found out is kept in hand and tried
        # again after each pause; nothing else is claimed or written until it goes through.
        self._probe: OutboxRow | None = None
        # Telegram took these: (row id, fencing token, message id, when, task of its buttons).
        self._sent: list[tuple[int, int, int | None, datetime, int | None]] = []
        self._writing_sent: asyncio.Task[None] | None = None
        self._sending = 0  # sends under way
        self._nothing_sending = asyncio.Event()

    # ---- entry points ----------------------------------------------------------------------

    async def drain(self) -> int:
        """Send every row that may go now; each row that must wait gets the moment it may go."""
        async with self._lock:
            try:
                return await self._drain()
            finally:
                await self._sent_written()

    async def _drain(self) -> int:
        sent = 0
        # Per chat, the last row this drain placed and when the one after it may go. Rows come
        # in id order, so a row never overtakes an earlier one of its chat, and the rows queued
        # behind a waiting one are spaced a gap apart.
        queue: dict[int, tuple[int, float]] = {}
        self._locales.clear()
        while True:
            now = self.runtime.clock.now()
            if self.circuit.until > now.timestamp():
                return sent  # Telegram is unreachable; nothing is tried before the pause ends
            if self._probe is not None:
                probe, self._probe = self._probe, None
                if await self._still_ours(probe):
                    sent += await self._deliver_batch([probe], queue)
                    if self._probe is not None:
                        return sent
                continue
            await self._sent_written()  # what went is marked before anything is claimed
            async with self.runtime.unit_of_work() as uow:
                rows = await uow.outbox.claim_due(now, self.batch, self.runtime.lease)
                await uow.commit()
            if not rows:
                return sent
            sent += await self._deliver_batch(rows, queue)

    async def deliver(self, rows: list[OutboxRow]) -> int:
        """Send rows already leased to this process (a handler's answers, just committed)."""
        return await self._deliver_batch(rows, {}) if rows else 0

    async def next_due(self) -> datetime | None:
        if self._probe is not None:
            return datetime.fromtimestamp(self.circuit.until, UTC)
        async with self.runtime.unit_of_work() as uow:
            due = await uow.outbox.next_due_at()
        if due is not None and self.circuit.until > due.timestamp():
            return datetime.fromtimestamp(self.circuit.until, UTC)
        return due

    async def shutdown(self) -> None:
        """Hand back what this process holds, so another one sends it at once."""
        await self._sent_written()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        if self._held:
            async with self.runtime.unit_of_work() as uow:
                await uow.outbox.release(dict(self._held), self.runtime.clock.now())
                await uow.commit()
            self._held.clear()

    # ---- a batch ---------------------------------------------------------------------------

    async def _deliver_batch(self, rows: list[OutboxRow],
                             queue: dict[int, tuple[int, float]]) -> int:
        sent = 0
        later: list[_Later] = []
        self._held.update({row.id: row.attempts for row in rows})
        self._ensure_heartbeat()
        try:
            for row in rows:  # in id order, so each chat's messages keep their order
                now = self.runtime.clock.now().timestamp()
                allowed = max(self.pacer.earliest(row.chat_id, now), self.circuit.until)
                placed_id, free_at = queue.get(row.chat_id, (0, now))
                if row.id > placed_id:  # not a row placed earlier whose moment has come
                    allowed = max(allowed, free_at)
                if allowed > now:
                    later.append(_Later(row, allowed, "paced"))
                    queue[row.chat_id] = (row.id, allowed + self.pacer.per_chat_gap)
                    continue
                self._sending += 1
                self._nothing_sending.clear()
                try:
                    outcome = await self._deliver(row)
                finally:
                    self._sending -= 1
                    if not self._sending:
                        self._nothing_sending.set()
                if isinstance(outcome, _Later) and outcome.failure and self._probe is None:
                    if not await self._keep_as_probe(row, outcome):
                        later.append(outcome)
                    queue[row.chat_id] = (row.id, outcome.at)
                elif isinstance(outcome, _Later):
                    later.append(outcome)
                    queue[row.chat_id] = (row.id, outcome.at)
                elif outcome == _SENT:
                    sent += 1
                    self._held.pop(row.id, None)
                else:
                    self._held.pop(row.id, None)
        finally:
            if later:  # one transaction for all of them; a crash before it only leaves leases
                await self._put_back(later)
            for item in later:
                self._held.pop(item.row.id, None)
        return sent

    async def _still_ours(self, row: OutboxRow) -> bool:
        """Renew the lease of a row held across a pause; False when another sender has it."""
        async with self.runtime.unit_of_work() as uow:
            renewed = await uow.outbox.renew({row.id: row.attempts},
                                             self.runtime.clock.now() + self.runtime.lease)
            await uow.commit()
        if not renewed:
            self._held.pop(row.id, None)
        return bool(renewed)

    async def _keep_as_probe(self, row: OutboxRow, failed: _Later) -> bool:
        """Hold the row that met the failure, to try again after the pause; False when its
        retry budget is spent (it is put back, and given up there)."""
        now = self.runtime.clock.now()
        row.failing_since = row.failing_since or now
        row.last_error = failed.why
        if now - row.failing_since > self.budget:
            return False
        self._probe = row
        return True

    async def _put_back(self, later: list[_Later]) -> None:
        now = self.runtime.clock.now()
        async with self.runtime.unit_of_work() as uow:
            for item in later:
                row = item.row
                failing_since = (row.failing_since or now) if item.failure else None
                if failing_since is not None and now - failing_since > self.budget:
                    await self._dead_letter(uow, row, f"gave up after {self.budget}: {item.why}")
                    continue
                await uow.outbox.retry_later(row.id, row.attempts,
                                             datetime.fromtimestamp(item.at, UTC), item.why,
                                             failing_since)
            await uow.commit()

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        """Keep the leases of rows still being sent, however slow Telegram answers: another
        process never claims a row this one is sending."""
        while self._held:
            await asyncio.sleep(self.runtime.lease.total_seconds() / 3)
            if not self._held:
                return
            try:
                async with self.runtime.unit_of_work() as uow:
                    await uow.outbox.renew(dict(self._held),
                                           self.runtime.clock.now() + self.runtime.lease)
                    await uow.commit()
            except Exception:
                log.exception("could not renew outbox leases")

    # ---- one row ---------------------------------------------------------------------------

    async def _deliver(self, row: OutboxRow) -> _Later | str:
        # Rows claimed before their group moved were moved in the database already.
        row.chat_id = self._moved.get(row.chat_id, row.chat_id)
        for _ in range(3):  # a migrated chat or a vanished message is tried again at once
            try:
                return await self._send(row)
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                until = self.runtime.clock.now().timestamp() + seconds
                self.pacer.hold(row.chat_id, until)
                return _Later(row, until, f"retry_after {seconds:g}")
            except ChatMigrated as exc:
                await self._migrated(row, exc.new_chat_id)
            except Forbidden as exc:
                if row.kind == WITHDRAWN:  # nobody there to press the buttons any more
                    return await self._moot(row, exc.message)
                return await self._unreachable(row, exc.message)
            except BadRequest as exc:
                described = exc.message.lower()
                if row.edit_message_id is not None and "message is not modified" in described:
                    return await self._mark_sent(row, row.edit_message_id)
                if row.kind == WITHDRAWN and any(s in described
                                                 for s in (*_EDIT_GONE, *_CHAT_GONE)):
                    # The message is gone or can no longer be edited: its buttons with it, as
                    # far as anyone can press them; nothing is owed, nothing to report.
                    return await self._moot(row, exc.message)
                if row.edit_message_id is not None and any(s in described for s in _EDIT_GONE):
                    await self._edit_becomes_send(row)
                    continue
                if any(s in described for s in _CHAT_GONE):
                    return await self._unreachable(row, exc.message)
                return await self._give_up(row, f"refused: {exc.message}")
            except InvalidToken as exc:
                log.error("Telegram refuses the bot token: %s", exc.message)
                now = self.runtime.clock.now().timestamp()
                return _Later(row, self.circuit.pause(now, 60), f"token: {exc.message}", True)
            except NetworkError as exc:  # 5xx, timeouts, the connection itself
                now = self.runtime.clock.now().timestamp()
                return _Later(row, self.circuit.trip(now, exc.message),
                              f"network: {exc.message}", True)
            except TelegramError as exc:
                return await self._give_up(row, f"refused: {exc.message}")
            except Exception as exc:  # a bug of ours must not block the rows behind it
                log.exception("outbox row %s could not be sent", row.id)
                return await self._give_up(row, f"bug: {exc!r}")
        return await self._give_up(row, "the chat kept moving")

    async def _send(self, row: OutboxRow) -> _Later | str:
        text, markup = await self._render(row)
        chat_id, kind, order = row.chat_id, row.kind, row.order_number
        if row.document is not None:
            message: Message | bool = await messenger.send_document(
                self.bot, self.runtime, chat_id, row.document_name or "file", row.document, text,
                kind=kind, order=order, as_photo=row.as_photo)
        elif row.edit_message_id is not None:
            message = await messenger.edit(self.bot, self.runtime, chat_id, row.edit_message_id,
                                           text, kind=kind, order=order, markup=markup,
                                           markup_only=row.markup_only)
        else:
            parts = split_text(text)
            message = True
            for index in range(row.parts_sent, len(parts)):
                now = self.runtime.clock.now().timestamp()
                if index > row.parts_sent and (at := self.pacer.earliest(chat_id, now)) > now:
                    return _Later(row, at, "paced between parts")
                last = index == len(parts) - 1
                message = await messenger.send_part(self.bot, self.runtime, chat_id,
                                                    parts[index], kind=kind, order=order,
                                                    markup=markup if last else None)
                self.pacer.sent(chat_id, self.runtime.clock.now().timestamp())
                if not last:
                    row.parts_sent = index + 1
                    await self._note_parts(row)
            self.circuit.closed(self.runtime.clock.now().timestamp())
            return await self._mark_sent(row, message.message_id
                                         if isinstance(message, Message) else None)
        self.pacer.sent(chat_id, self.runtime.clock.now().timestamp())
        self.circuit.closed(self.runtime.clock.now().timestamp())
        return await self._mark_sent(row, message.message_id if isinstance(message, Message)
                                     else row.edit_message_id)

    async def _render(self, row: OutboxRow
                      ) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
        rerouted = (row.mention_id is not None or row.for_role is not None
                    or (row.rerouted_from is not None and row.rerouted_from < 0))
        finished = not row.text_key and all("text" in b for line in row.buttons or []
                                            for b in line)
        # A handler's answer was rendered in its chat's language already.
        locale = DEFAULT_LOCALE if finished and not rerouted else await self._locale(row.chat_id)
        text, markup = outbox_message(row.text_key, row.params or {}, row.buttons or [], locale)
        if row.mention_id is not None:  # a person's message, given to them in a group
            name, username = await self._name(row.mention_id)
            text = render(Text("delivery.for_person", {
                "mention": f"@{username}" if username else name, "text": text}), locale)
        elif row.for_role is not None:  # a department's message, given to one of its people
            text = render(Text("delivery.for_department", {"role": row.for_role,
                                                           "text": text}), locale)
        elif row.rerouted_from is not None and row.rerouted_from < 0:
            title, _ = await self._name(row.rerouted_from)
            text = render(Text("delivery.from_group", {"title": title, "text": text}), locale)
        return text, markup

    async def as_sent(self, limit: int = 500) -> list[tuple[int, int, str, dict[str, Any] | None]]:
        """The bot's newest messages as they show now (as sent, then as last edited): chat,
        message id, text and inline keyboard; for an emulator started again on this database
        (the sandbox), where they stay pressable as in Telegram."""
        async with self.runtime.unit_of_work() as uow:
            rows = await uow.outbox.sent_lately(limit)
        shown: dict[tuple[int, int], tuple[str, dict[str, Any] | None]] = {}
        for row in rows:
            text, markup = await self._render(row)
            keyboard = markup.to_dict() if isinstance(markup, InlineKeyboardMarkup) else None
            key = (row.chat_id, row.message_id or 0)
            if row.edit_message_id is None:
                shown[key] = (text, keyboard)
            elif key in shown:  # an edit of a message sent before the oldest row read is lost
                shown[key] = (shown[key][0] if row.markup_only else text, keyboard)
        return [(chat_id, message_id, text, keyboard)
                for (chat_id, message_id), (text, keyboard) in shown.items()]

    async def _locale(self, chat_id: int) -> str:
        if chat_id not in self._locales:
            async with self.runtime.unit_of_work() as uow:
                chat = await uow.chats.get(chat_id) or Chat(chat_id)
                person = await uow.people.get(chat_id) if chat_id > 0 else None
            self._locales[chat_id] = locale_for(chat, person)
        return self._locales[chat_id]

    async def _name(self, chat_id: int, uow: SqlUnitOfWork | None = None
                    ) -> tuple[str, str | None]:
        """A person's (name, username) or a group's title; inside a unit of work, pass it:
        SQLite has one connection, and a second one would wait for it forever."""
        if chat_id not in self._names:
            if uow is None:
                async with self.runtime.unit_of_work() as own:
                    return await self._name(chat_id, own)
            if chat_id > 0:
                person = await uow.people.get(chat_id)
                found = (person.name, person.username) if person else (str(chat_id), None)
            else:
                chat = await uow.chats.get(chat_id)
                found = (chat.title or str(chat_id), None) if chat else (str(chat_id), None)
            self._names[chat_id] = found
        return self._names[chat_id]

    # ---- finishing a row -------------------------------------------------------------------

    async def _mark_sent(self, row: OutboxRow, message_id: int | None) -> str:
        """Note that Telegram took the row; the notes of a burst are written together, as soon
        as the sends in hand have gone (a crash before that sends those rows again)."""
        self._sent.append((row.id, row.attempts, message_id, self.runtime.clock.now(),
                           row.task_id))
        if self._writing_sent is None or self._writing_sent.done():
            self._writing_sent = asyncio.get_running_loop().create_task(self._write_sent())
        return _SENT

    async def _write_sent(self) -> None:
        await asyncio.sleep(0)
        if self._sending:
            # Sends under way add theirs, so a burst is noted in a few statements rather than
            # one per message; a lone answer's note is written at once. The wait is short:
            # a crash before the write sends those messages again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nothing_sending.wait(), SENT_NOTES_WAIT)
        failures = 0
        while self._sent:
            marks, self._sent = self._sent, []
            try:
                queued = await self._write_marks(marks)
            except Exception as error:
                # The database failed (a restart drops every connection): the marks are kept
                # and written on a new connection; given up, the messages are sent again
                # once their leases run out.
                failures += 1
                if failures == SENT_NOTES_TRIES:
                    log.error("could not note %d sent messages (%s); they will be sent again",
                              len(marks), reason(error), exc_info=not database_away(error))
                    return
                log.warning("could not note %d sent messages (%s); trying again",
                            len(marks), reason(error))
                self._sent = marks + self._sent
                await asyncio.sleep(SENT_NOTES_PAUSE * failures)
                continue
            if queued:
                self.runtime.wake_sender()

    async def _write_marks(self, marks: list[tuple[int, int, int | None, datetime, int | None]]
                           ) -> int:
        """Write what Telegram took; how many rows that queued (withdrawn buttons)."""
        async with self.runtime.unit_of_work() as uow:
            closed = {task for *_, task in marks if task}
            if not closed:
                await uow.one_statement()  # one UPDATE for them all needs no transaction
            for row_id in await uow.outbox.mark_all_sent(
                    [(row_id, token, message_id, at)
                     for row_id, token, message_id, at, _task in marks]):
                log.warning("outbox row %s was sent after its lease passed to another "
                            "sender", row_id)
            await self._withdraw_closed(uow, closed)
            await uow.commit()
        return uow.outbox.queued

    async def _withdraw_closed(self, uow: SqlUnitOfWork, task_ids: set[int]) -> None:
        """A row that was being sent while its task closed went out with the buttons (the
        closing left it to us): they are withdrawn now that the message has an id."""
        for task_id in sorted(task_ids):
            task = await uow.tasks.get(task_id)
            if task is not None and task.status not in OPEN_TASK_STATUSES:
                await uow.outbox.withdraw_task(task_id, self.runtime.clock.now())

    async def _sent_written(self) -> None:
        if self._writing_sent is not None:
            # Shielded: a drain cancelled at shutdown must not cancel the write it waits for,
            # or the marks are lost and shutdown, waiting for the same write, fails.
            await asyncio.shield(self._writing_sent)
        if self._sent:
            await self._write_sent()

    async def _note_parts(self, row: OutboxRow) -> None:
        async with self.runtime.unit_of_work() as uow:
            await uow.outbox.mark_parts(row.id, row.attempts, row.parts_sent)
            await uow.commit()

    async def _edit_becomes_send(self, row: OutboxRow) -> None:
        async with self.runtime.unit_of_work() as uow:
            await uow.outbox.make_send(row.id, row.attempts)
            await uow.commit()
        row.edit_message_id, row.markup_only = None, False

    async def _moot(self, row: OutboxRow, why: str) -> str:
        """A withdrawal Telegram cannot apply and need not: settled, not a dead letter."""
        log.info("outbox row %s: buttons of message %s in chat %s not withdrawn (%s)", row.id,
                 row.edit_message_id, row.chat_id, why)
        async with self.runtime.unit_of_work() as uow:
            await uow.outbox.settle(row.id, row.attempts, row.edit_message_id,
                                    self.runtime.clock.now(), f"not needed: {why}")
            await uow.commit()
        return _SETTLED

    async def _give_up(self, row: OutboxRow, error: str) -> str:
        async with self.runtime.unit_of_work() as uow:
            await self._dead_letter(uow, row, error)
            await uow.commit()
        self.runtime.wake_sender()
        return _SETTLED

    async def _dead_letter(self, uow: SqlUnitOfWork, row: OutboxRow, error: str) -> None:
        log.error("outbox row %s to chat %s is a dead letter: %s", row.id, row.chat_id, error)
        if not await uow.outbox.give_up(row.id, row.attempts, error):
            return
        if row.origin_id is not None and row.origin_id != row.chat_id:
            name, _ = await self._name(row.chat_id, uow)
            ctx = self.runtime.context(uow, self.runtime.clock.now())
            await ctx.notify(Notification(row.origin_id, Text("delivery.failed_for_origin", {
                "name": name}), "notice", row.order_number))

    # ---- the delivery rules ----------------------------------------------------------------

    async def _migrated(self, row: OutboxRow, new_chat_id: int) -> None:
        async with self.runtime.unit_of_work() as uow:
            await delivery.chat_migrated(self.runtime.context(uow, self.runtime.clock.now()),
                                         row.chat_id, new_chat_id)
            await uow.commit()
        log.info("chat %s became %s; what it is owed follows", row.chat_id, new_chat_id)
        self._moved[row.chat_id] = new_chat_id
        row.chat_id = new_chat_id

    async def _unreachable(self, row: OutboxRow, why: str) -> str:
        """Telegram will not take messages for this chat: reroute everything owed to it that
        no other sender holds, or keep it until the chat is back."""
        now = self.runtime.clock.now()
        async with self.runtime.unit_of_work() as uow:
            ctx = self.runtime.context(uow, now)
            owed = [r for r in await uow.outbox.owed_to(row.chat_id)
                    if r.status in (PENDING, HELD) or r.id == row.id]
            movable = [r for r in owed if r.edit_message_id is None]
            waiting = [r.id for r in owed if r.edit_message_id is not None]
            told: set[int] = set()
            if row.chat_id > 0:
                group = await delivery.person_unreachable(ctx, row.chat_id)
                if group is not None:
                    await uow.outbox.redirect([r.id for r in movable], group, row.chat_id, now)
                    await self._tell_origins(uow, ctx, movable, "delivery.rerouted_for_origin",
                                             told, group=group)
                else:
                    waiting += [r.id for r in movable]
                    await self._tell_origins(uow, ctx, movable, "delivery.held_for_origin", told)
            else:
                readers = await delivery.group_lost(ctx, row.chat_id)
                for r in movable:
                    # A group that stands for no department: its answers go to whoever asked.
                    targets = readers or ([r.origin_id] if r.origin_id else [])
                    if targets:
                        await uow.outbox.fan_out([r], targets, now)
                    else:
                        waiting.append(r.id)
            await uow.outbox.hold(waiting, why)
            await uow.commit()
        log.warning("chat %s cannot be reached (%s): %d rows rerouted or held", row.chat_id,
                    why, len(owed))
        self.runtime.wake_sender()
        return _SETTLED

    async def _tell_origins(self, uow: SqlUnitOfWork, ctx: Any, rows: list[OutboxRow], key: str,
                            told: set[int], group: int | None = None) -> None:
        """Whoever sent something to this person hears where it went instead, once."""
        name, _ = await self._name(rows[0].chat_id, uow) if rows else ("", None)
        title = (await self._name(group, uow))[0] if group is not None else "-"
        for r in rows:
            if r.origin_id is None or r.origin_id in told or r.origin_id == r.chat_id:
                continue
            told.add(r.origin_id)
            await ctx.notify(Notification(r.origin_id, Text(key, {"name": name, "group": title}),
                                          "notice", r.order_number))

