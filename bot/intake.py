"""Updates in: stored before Telegram is told they arrived, then handled in order per chat.

Long polling confirms an update by asking for the ones after it, so the poller writes what it
fetched to the inbox before it polls again; a webhook answers 200 only once the update is
stored. An update is marked handled in the same transaction as its handler's work, so a crash
anywhere in between finds it again at start-up and handles it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError
from telegram.ext import Application
from telegram.request import HTTPXRequest, RequestData

from handlers.runtime import Runtime
from handlers.turn import names_of
from storage.db import database_away, reason
from workflow import delivery

log = logging.getLogger(__name__)

# Telegram keeps an update for redelivery at most a day; a handled one is remembered longer.
REMEMBER = timedelta(days=2)
# An update still unhandled this long after it was stored was left behind: its turn failed
# every try (the database away), or the process that took it stopped.
LEFT_BEHIND = timedelta(seconds=60)
# An update whose turn failed this many rounds of tries (each TURN_ATTEMPTS tries, a round a
# minute) for a reason of its own is set aside: trying it for ever would only hide it.
GIVE_UP_AFTER = 5
EXCERPT = 60  # characters of a message set aside, quoted back to its chat
TAKEN_MARGIN = 0.5  # seconds after another process's hold on an update ends


class Intake:
    def __init__(self, runtime: Runtime, application: Application) -> None:
        self.runtime = runtime
        self.application = application
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_hand: set[int] = set()  # update ids dispatched and not yet through
        self._waiting: set[asyncio.TimerHandle] = set()  # updates another process had

    async def receive(self, updates: list[Update],
                      as_sent: Mapping[int, dict[str, Any]] | None = None) -> list[Update]:
        """Keep fetched updates; the ones not seen before, in order. `as_sent` holds them as
        the platform sent them, by update id, when the caller has that: it is what is kept,
        and it spares encoding the parsed update again, which costs as much as parsing it."""
        if not updates:
            return []
        as_sent = as_sent or {}
        async with self.runtime.unit_of_work() as uow:
            await uow.one_statement()  # one INSERT for them all needs no transaction around it
            stored = await uow.inbox.store_all(
                [(update.update_id, as_sent.get(update.update_id) or update.to_dict())
                 for update in updates],
                self.runtime.clock.now())
            await uow.commit()
        fresh = []
        for update, new in zip(updates, stored, strict=True):
            if new:
                fresh.append(update)
            else:
                log.info("update %s arrived again; dropped", update.update_id)
        return fresh

    def as_polled(self) -> dict[int, dict[str, Any]]:
        """The last getUpdates answer's updates as Telegram sent them, by update id."""
        request = self.application.bot_data.get(UpdatesRequest.KEY)
        fetched = request.fetched if isinstance(request, UpdatesRequest) else []
        return {raw["update_id"]: raw for raw in fetched
                if isinstance(raw, dict) and isinstance(raw.get("update_id"), int)}

    async def backlog(self, stored_before: datetime | None = None) -> list[Update]:
        """Updates kept but never handled: the process stopped in between, or their turn
        failed; only those stored before `stored_before` when given."""
        async with self.runtime.unit_of_work() as uow:
            payloads = await uow.inbox.unhandled(stored_before)
        updates = [Update.de_json(payload, self.application.bot) for payload in payloads]
        return [update for update in updates if update is not None]

    async def handle(self, update: Update) -> None:
        """Run the handlers; an update no handler took is marked handled here."""
        await self.application.process_update(update)
        update_id = update.update_id
        if update_id in self.runtime.handled:
            self.runtime.handled.discard(update_id)
            until = self.runtime.taken_elsewhere.pop(update_id, None)
            if until is not None:
                self._again_when_free(update, until)
            return
        error = self.runtime.unfinished.pop(update_id, None)
        if error is not None:
            await self._unfinished(update, error)
            return
        try:
            async with self.runtime.unit_of_work() as uow:
                await uow.inbox.claim(update_id, self.runtime.clock.now())
                await uow.commit()
        except Exception:
            log.exception("update %s, which no handler took, could not be marked handled; "
                          "it is looked at again later", update_id)

    async def _unfinished(self, update: Update, error: Exception) -> None:
        """Its turn failed every try. The database away is no fault of the update's: it
        waits in the inbox for the sweep. Any other reason counts a round; at GIVE_UP_AFTER
        rounds it is set aside, and its chat and the administrators are told."""
        update_id = update.update_id
        if database_away(error):
            log.error("update %s could not be handled (%s); it stays in the inbox and is tried "
                      "again once it has been there %d s", update_id, reason(error),
                      LEFT_BEHIND.total_seconds())
            return
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None  # the turn ran, so both were there
        now = self.runtime.clock.now()
        try:
            async with self.runtime.unit_of_work() as uow:
                rounds = await uow.inbox.note_failure(update_id, now, reason(error),
                                                      GIVE_UP_AFTER)
                given_up = rounds is not None and rounds >= GIVE_UP_AFTER
                if given_up:
                    name, title = names_of(update)
                    await delivery.update_given_up(
                        self.runtime.context(uow, now, user.id), update_id, chat.id, name,
                        title, _excerpt(update), rounds, reason(error))
                await uow.commit()
        except Exception:
            log.exception("update %s could not be handled, nor its failure noted; it stays in "
                          "the inbox", update_id)
            return
        if given_up:
            log.error("update %s failed %d rounds of tries (%s); set aside, and its chat and "
                      "the administrators told", update_id, rounds, reason(error))
            self.runtime.wake_sender()
        else:
            log.error("update %s could not be handled (%s), round %s of %d; it is tried again "
                      "once it has been in the inbox %d s", update_id, reason(error), rounds,
                      GIVE_UP_AFTER, LEFT_BEHIND.total_seconds())

    def _again_when_free(self, update: Update, until: datetime) -> None:
        """Another process had the update: if it dies before handling it, this one takes it
        once its hold runs out (a process that finished it meanwhile leaves nothing to do)."""
        wait = max((until - self.runtime.clock.now()).total_seconds(), 0) + TAKEN_MARGIN

        def again() -> None:
            self._waiting.discard(handle)
            self.dispatch(update)

        handle = asyncio.get_running_loop().call_later(wait, again)
        self._waiting.add(handle)

    def dispatch(self, update: Update) -> None:
        """Handle in the background: one chat's updates in order, chats side by side."""
        if update.update_id in self._in_hand:
            return
        self._in_hand.add(update.update_id)
        task = asyncio.get_running_loop().create_task(
            self.application.update_processor.process_update(update, self.handle(update)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._in_hand.discard(update.update_id))

    async def take_up_left_behind(self) -> int:
        """Dispatch again the updates left behind (see LEFT_BEHIND); how many. Each is
        marked handled with its turn's work, so one that another process is handling
        still comes out once."""
        left = await self.backlog(self.runtime.clock.now() - LEFT_BEHIND)
        if left:
            log.warning("taking up %d updates left unhandled in the inbox", len(left))
        for update in left:
            self.dispatch(update)
        return len(left)

    async def settle(self, timeout: float) -> None:
        """Wait for updates in hand; what does not finish is handled again after a restart,
        or by another process, which need not wait out this one's holds on them."""
        for waiting in self._waiting:
            waiting.cancel()
        self._waiting.clear()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:  # each ends its unit of work before the holds are given up
                await asyncio.wait(pending)
        try:
            async with self.runtime.unit_of_work() as uow:
                await uow.inbox.let_go(self.runtime.taker)
                await uow.commit()
        except Exception as error:  # the next process waits the holds out instead
            log.warning("could not give up this process's holds on updates: %s", reason(error))

    async def forget_old(self) -> int:
        async with self.runtime.unit_of_work() as uow:
            pruned = await uow.inbox.prune(self.runtime.clock.now() - REMEMBER)
            await uow.commit()
        return pruned


class UpdatesRequest(HTTPXRequest):
    """getUpdates' connection, keeping the last answer's updates as Telegram sent them."""

    KEY = "updates_request"  # where the application keeps it

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetched: list[dict[str, Any]] = []

    async def post(self, url: str, request_data: RequestData | None = None,
                   **timeouts: Any) -> dict[str, Any] | list[dict[str, Any]] | bool:
        result = await super().post(url, request_data, **timeouts)
        self.fetched = result if isinstance(result, list) else []
        return result


class Poller:
    """Long polling by one process at a time: Telegram allows one getUpdates consumer per
    token, so the processes sharing a database take turns through a lease; when the holder
    dies another takes over once the lease runs out."""

    POLL_SECONDS = 10

    def __init__(self, intake: Intake, *, holder: str | None = None) -> None:
        self.intake = intake
        self.runtime = intake.runtime
        self.bot = intake.application.bot
        self.holder = holder or uuid.uuid4().hex
        self.polling = False
        # Half the process lease, renewed before every poll, and a poll well inside it: a
        # poller that died is replaced within the lease, and never while it still polls.
        self.lease = self.runtime.lease / 2
        self.poll_seconds = min(self.POLL_SECONDS, self.lease.total_seconds() / 2)
        self._renewed: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        for update in await self.intake.backlog():
            self.intake.dispatch(update)
        offset: int | None = None
        pause = 1.0
        try:
            while not stop.is_set():
                try:
                    held = await self._hold()
                except Exception as error:
                    self.polling = False
                    pause = await _pause_polling(stop, error, pause)
                    continue
                if not held:
                    self.polling = False
                    await _wait(stop, min(5.0, self.lease.total_seconds() / 2))
                    continue
                self.polling = True
                try:
                    updates = await self.bot.get_updates(
                        offset=offset, timeout=self.poll_seconds,
                        allowed_updates=Update.ALL_TYPES)
                except Conflict as exc:  # someone outside our lease polls this token
                    log.error("another consumer polls this bot token: %s", exc.message)
                    await _wait(stop, 15)
                    continue
                except InvalidToken as exc:
                    log.error("Telegram refuses the bot token: %s", exc.message)
                    await _wait(stop, 60)
                    continue
                except NetworkError as exc:
                    log.warning("polling failed: %s; again in %.0f s", exc.message, pause)
                    await _wait(stop, pause)
                    pause = min(pause * 2, 30)
                    continue
                pause = 1.0
                try:
                    fresh = await self.intake.receive(updates, self.intake.as_polled())
                except Exception as error:
                    # Not stored, so not confirmed either: the next poll fetches them again.
                    pause = await _pause_polling(stop, error, pause)
                    continue
                for update in fresh:
                    self.intake.dispatch(update)
                if updates:
                    offset = updates[-1].update_id + 1
        finally:
            self.polling = False
            with contextlib.suppress(Exception):
                await self._release()

    async def _hold(self) -> bool:
        """Take or renew the lease; renewed a third of the way through, so that it still runs
        at the end of the poll that follows (at most half a lease long)."""
        now = self.runtime.clock.now()
        if self._renewed is not None and now - self._renewed < self.lease / 3:
            return True
        async with self.runtime.unit_of_work() as uow:
            held = await uow.leases.hold("poller", self.holder, now, now + self.lease)
            await uow.commit()
        self._renewed = now if held else None
        return held

    async def _release(self) -> None:
        async with self.runtime.unit_of_work() as uow:
            await uow.leases.release("poller", self.holder)
            await uow.commit()


def _excerpt(update: Update) -> str | None:
    """What the person sent, shortened, to quote back; None for a button press."""
    if update.callback_query is not None:
        return None
    message = update.effective_message
    said = ((message.text or message.caption) if message is not None else None) or "-"
    return said if len(said) <= EXCERPT else said[:EXCERPT - 1] + "…"


async def _pause_polling(stop: asyncio.Event, error: Exception, pause: float) -> float:
    """The database failed the poller (restarting, unreachable, or a bug, which keeps its
    traceback): wait, and the pause before the next try."""
    log.error("polling paused: the database failed (%s); again in %.0f s", reason(error),
              pause, exc_info=not database_away(error))
    await _wait(stop, pause)
    return min(pause * 2, 30)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
