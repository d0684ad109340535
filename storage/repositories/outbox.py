"""The outbox: every message the bot owes a chat, until Telegram confirms it.

Rows are claimed under a lease by any process; the claim bumps ``attempts``, which is the
fencing token: a sender that finishes a row passes the token it claimed with, and a sender
whose lease ran out (and whose row another sender holds now) changes nothing.

Statuses are stored as text and never renamed:

* ``pending`` waits for ``not_before``; ``leased`` is being sent;
* ``sent`` Telegram confirmed it;
* ``held`` waits for its chat to become reachable (a person who blocked the bot and has no
  group to be mentioned in; a group the bot left, whose department has nobody to tell);
* ``rerouted`` was replaced by rows to other chats (``rerouted_from`` names this chat on them);
* ``failed`` a dead letter: given up, with the error, listed for administrators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.claims import claimable
from storage.models import OutboxRow
from storage.prepared import prepared, write_behind
from workflow.model import (
    Answer,
    ButtonSpec,
    Notification,
    SentMessage,
    Undelivered,
    task_of_buttons,
)

PENDING, LEASED, SENT, HELD, REROUTED, FAILED = (
    "pending", "leased", "sent", "held", "rerouted", "failed")
OWED = (PENDING, LEASED, HELD)  # not yet delivered anywhere
RENDERED = ""  # text_key of a row whose params["text"] is the finished text
# The kind of a markup-only edit that takes a closed task's buttons off a message sent before.
WITHDRAWN = "withdrawn"

_outbox = OutboxRow.__table__
_INSERT = prepared(insert(_outbox).returning(_outbox.c.id))
# Every answer is marked sent right after it goes: built once, as on every turn's path.
_MARK_SENT = prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.attempts == bindparam("token"),
           _outbox.c.status == LEASED)
    .values(status=SENT, sent_at=bindparam("at"), message_id=bindparam("message_id"),
            lease_until=None))
# Several answers marked at once on PostgreSQL: one statement over arrays of the marks.
_MARK_ALL_SENT = prepared(text(
    "UPDATE outbox SET status = :sent, sent_at = marks.at, message_id = marks.message_id,"
    " lease_until = NULL"
    " FROM unnest(CAST(:ids AS INTEGER[]), CAST(:tokens AS INTEGER[]),"
    " CAST(:message_ids AS BIGINT[]), CAST(:ats AS TIMESTAMPTZ[]))"
    " AS marks (id, token, message_id, at)"
    " WHERE outbox.id = marks.id AND outbox.attempts = marks.token AND outbox.status = :leased"
    " RETURNING outbox.id").columns(column("id", Integer)))
# What a copy of a row carries over to the chat it is rerouted to.
_CONTENT = ("kind", "order_number", "text_key", "params", "buttons", "document_name", "document",
            "as_photo", "origin_id", "for_role", "task_id")


def _stored(button: ButtonSpec) -> dict[str, Any]:
    """A button as its row keeps it: the label to render in the reader's language, and the
    answer, which the sender turns into the chat's code."""
    return {"key": button.label.key, "params": button.label.params,
            "answer": button.answer.as_dict()}


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.queued = 0  # rows added in this unit of work

    async def enqueue(self, note: Notification, now: datetime, origin: int | None = None
                      ) -> None:
        self.queued += 1
        buttons = [[_stored(b) for b in row] for row in note.buttons]
        await self.session.execute(_INSERT, {
            "chat_id": note.chat_id, "kind": note.kind, "order_number": note.order_number,
            "text_key": note.text.key, "params": note.text.params,
            "buttons": buttons, "task_id": task_of_buttons(note.buttons),
            "status": PENDING, "attempts": 0, "not_before": now, "created_at": now,
            "origin_id": origin, "for_role": note.for_role.value if note.for_role else None,
            "markup_only": False, "as_photo": False, "parts_sent": 0,
        })

    async def add_answers(self, answers: list[Answer], now: datetime, lease: timedelta,
                          origin: int | None) -> list[OutboxRow]:
        """Queue a handler's answers already leased to the caller, who sends them as soon as
        the transaction commits; a crash before that leaves a lease that runs out. The rows'
        ids are known once the unit of work has committed: the last answer's write waits for
        the commit, to go with the turn's other writes."""
        rows = []
        for answer in answers:
            if answer.edit_message_id is not None:
                await self._drop_withdrawals(answer.chat_id, answer.edit_message_id)
            values: dict[str, Any] = {
                "chat_id": answer.chat_id, "kind": answer.kind,
                "order_number": answer.order_number, "text_key": RENDERED,
                "params": {"text": answer.text, **({"ask": answer.ask} if answer.ask else {})},
                "buttons": answer.buttons,
                "status": LEASED, "attempts": 1, "not_before": now, "lease_until": now + lease,
                "created_at": now, "edit_message_id": answer.edit_message_id,
                "markup_only": answer.markup_only, "document_name": answer.document_name,
                "document": answer.document, "as_photo": answer.as_photo, "parts_sent": 0,
                "origin_id": origin,
                "task_id": answer.task_id,
            }
            row = OutboxRow(**values)
            await write_behind(self.session, _INSERT, values,
                               lambda written, row=row: setattr(row, "id", written.scalar_one()))
            rows.append(row)
        return rows

    # ---- a closed task's buttons -----------------------------------------------------------

    async def withdraw_task(self, task_id: int, now: datetime) -> int:
        """The task's buttons go from every message that shows them: a row still owed loses
        them before it goes; a message sent, whose newest state (as sent or as last edited)
        still shows them, gets a markup-only edit in the chat it was delivered to. The card
        loses all its buttons: the next steps it offered beside them were the task's own (the
        order's cards and /status offer the steps that hold now). A row being sent right now
        is left to its sender, which withdraws the buttons once Telegram has taken it."""
        rows = list(await self.session.scalars(
            select(OutboxRow).where(OutboxRow.task_id == task_id).order_by(OutboxRow.id)))
        touched = 0
        for row in rows:
            if row.status in (PENDING, HELD):
                await self.session.execute(
                    update(OutboxRow).where(OutboxRow.id == row.id,
                                            OutboxRow.status.in_((PENDING, HELD)))
                    .values(buttons=[], task_id=None),
                    execution_options={"synchronize_session": False})
                touched += 1
                continue
            message_id = row.edit_message_id or row.message_id
            if row.status != SENT or message_id is None:
                continue  # leased (its sender sees to it), rerouted, failed, or no message
            newest = await self.session.scalar(
                select(func.max(OutboxRow.id)).where(
                    OutboxRow.chat_id == row.chat_id,
                    or_(OutboxRow.message_id == message_id,
                        OutboxRow.edit_message_id == message_id),
                    OutboxRow.status.in_((SENT, *OWED))))
            if newest != row.id:
                continue  # edited since: the newer state is what the message shows
            self.queued += 1
            await self.session.execute(_INSERT, {
                **{name: getattr(row, name) for name in _CONTENT},
                "kind": WITHDRAWN, "buttons": [], "task_id": None, "document": None,
                "chat_id": row.chat_id, "edit_message_id": message_id, "markup_only": True,
                "mention_id": row.mention_id, "rerouted_from": row.rerouted_from,
                "origin_id": None, "status": PENDING, "attempts": 0, "not_before": now,
                "created_at": now, "parts_sent": 0,
            })
            touched += 1
        return touched

    async def _drop_withdrawals(self, chat_id: int, message_id: int) -> None:
        """A handler's answer replaces the whole message (the one whose button was pressed):
        a withdrawal of its buttons still waiting would only take the answer's own away."""
        await self.session.execute(
            delete(OutboxRow).where(OutboxRow.chat_id == chat_id,
                                    OutboxRow.edit_message_id == message_id,
                                    OutboxRow.kind == WITHDRAWN, OutboxRow.status == PENDING),
            execution_options={"synchronize_session": False})

    # ---- claiming and finishing ------------------------------------------------------------

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        """Lease due rows so one sender delivers each; an expired lease is claimed again."""
        due = and_(
            OutboxRow.not_before <= now,
            or_(
                OutboxRow.status == PENDING,
                and_(OutboxRow.status == LEASED, OutboxRow.lease_until <= now),
            ),
        )
        candidates = claimable(
            select(OutboxRow.id).where(due).order_by(OutboxRow.id).limit(limit), "claimable_outbox"
        )
        rows = await self.session.scalars(
            update(OutboxRow)
            .where(OutboxRow.id.in_(select(candidates.c.id)), due)
            .values(status=LEASED, lease_until=now + lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow),
            execution_options={"synchronize_session": False},
        )
        return sorted(rows, key=lambda row: row.id)

    async def renew(self, held: dict[int, int], until: datetime) -> int:
        """Extend the leases of rows still being sent (row id -> fencing token)."""
        renewed = 0
        for row_id, token in held.items():
            renewed += (await self._fenced(row_id, token, lease_until=until)).rowcount
        return renewed

    async def _fenced(self, row_id: int, token: int, **values: Any) -> Any:
        return await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, OutboxRow.attempts == token,
                   OutboxRow.status == LEASED)
            .values(**values),
            execution_options={"synchronize_session": False},
        )

    async def mark_sent(self, row_id: int, token: int, message_id: int | None,
                        at: datetime) -> bool:
        result = await self.session.execute(_MARK_SENT, {
            "row_id": row_id, "token": token, "at": at, "message_id": message_id})
        return result.rowcount == 1

    async def mark_all_sent(self, marks: list[tuple[int, int, int | None, datetime]]
                            ) -> list[int]:
        """Note what Telegram took, each mark (row id, fencing token, message id, when) as
        `mark_sent` does, in one statement; the ids of rows another sender holds by now."""
        if len(marks) == 1:
            row_id, token, message_id, at = marks[0]
            return [] if await self.mark_sent(row_id, token, message_id, at) else [row_id]
        if not marks:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            ids, tokens, message_ids, ats = (list(column) for column in zip(*marks, strict=True))
            marked = set((await self.session.execute(_MARK_ALL_SENT, {
                "sent": SENT, "leased": LEASED, "ids": ids, "tokens": tokens,
                "message_ids": message_ids, "ats": ats})).scalars())
            return [row_id for row_id, *_ in marks if row_id not in marked]
        result = await self.session.execute(_MARK_SENT, [
            {"row_id": row_id, "token": token, "at": at, "message_id": message_id}
            for row_id, token, message_id, at in marks])
        if result.rowcount == len(marks):
            return []
        # Some were not ours any more (rare): those not marked with our token and moment.
        found = {row.id: row for row in await self.session.execute(
            select(_outbox.c.id, _outbox.c.attempts, _outbox.c.status, _outbox.c.sent_at,
                   _outbox.c.message_id)
            .where(_outbox.c.id.in_([row_id for row_id, *_ in marks])))}
        return [row_id for row_id, token, message_id, at in marks
                if (row := found.get(row_id)) is None
                or (row.attempts, row.status, row.sent_at, row.message_id)
                != (token, SENT, at, message_id)]

    async def mark_parts(self, row_id: int, token: int, parts_sent: int) -> bool:
        """A long text's part went out: a retry starts after it."""
        return (await self._fenced(row_id, token, parts_sent=parts_sent)).rowcount == 1

    async def retry_later(self, row_id: int, token: int, not_before: datetime, error: str,
                          failing_since: datetime | None = None) -> bool:
        values: dict[str, Any] = {"status": PENDING, "not_before": not_before,
                                  "lease_until": None, "last_error": error}
        if failing_since is not None:
            values["failing_since"] = failing_since
        return (await self._fenced(row_id, token, **values)).rowcount == 1

    async def settle(self, row_id: int, token: int, message_id: int | None, at: datetime,
                     note: str) -> bool:
        """Nothing more is owed (an edit Telegram need not make): done, with why it was not."""
        return (await self._fenced(row_id, token, status=SENT, sent_at=at, lease_until=None,
                                   message_id=message_id, last_error=note)).rowcount == 1

    async def give_up(self, row_id: int, token: int, error: str) -> bool:
        return (await self._fenced(row_id, token, status=FAILED, lease_until=None,
                                   last_error=error)).rowcount == 1

    async def make_send(self, row_id: int, token: int) -> bool:
        """An edit whose message is gone goes out as a new message."""
        return (await self._fenced(row_id, token, edit_message_id=None,
                                   markup_only=False)).rowcount == 1

    async def release(self, held: dict[int, int], now: datetime) -> None:
        """Hand rows back at shutdown so another process sends them without waiting."""
        for row_id, token in held.items():
            await self._fenced(row_id, token, status=PENDING, lease_until=None, not_before=now)

    # ---- moving what is owed ---------------------------------------------------------------

    async def move_chat(self, old: int, new: int) -> int:
        """A group became a supergroup: what it is owed goes to the new id."""
        result = await self.session.execute(
            update(OutboxRow).where(OutboxRow.chat_id == old, OutboxRow.status.in_(OWED))
            .values(chat_id=new), execution_options={"synchronize_session": False})
        return result.rowcount

    async def sent_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        # The message as sent and its edits since, newest first: the question is the newest
        # state's; the task is the one the message carried (edits and withdrawals name none).
        rows = (await self.session.execute(
            select(OutboxRow.params, OutboxRow.task_id)
            .where(OutboxRow.chat_id == chat_id, OutboxRow.status == SENT,
                   OutboxRow.message_id == message_id)
            .order_by(OutboxRow.id.desc()))).all()
        if not rows:
            return None
        return SentMessage((rows[0].params or {}).get("ask"),
                           next((row.task_id for row in rows if row.task_id), None))

    async def owed_to(self, chat_id: int) -> list[OutboxRow]:
        rows = await self.session.scalars(
            select(OutboxRow).where(OutboxRow.chat_id == chat_id, OutboxRow.status.in_(OWED))
            .order_by(OutboxRow.id))
        return list(rows)

    async def redirect(self, row_ids: list[int], chat_id: int, mention_id: int | None,
                       now: datetime) -> None:
        """Send these rows to another chat instead, mentioning the person they were for."""
        await self.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.status.in_(OWED))
            .values(rerouted_from=OutboxRow.chat_id, chat_id=chat_id, mention_id=mention_id,
                    status=PENDING, lease_until=None, not_before=now),
            execution_options={"synchronize_session": False})

    async def fan_out(self, rows: list[OutboxRow], chat_ids: list[int], now: datetime) -> None:
        """Replace each row by a copy to every one of `chat_ids` (a lost group's messages to
        its department's people)."""
        for row in rows:
            for chat_id in chat_ids:
                await self.session.execute(_INSERT, {
                    **{name: getattr(row, name) for name in _CONTENT},
                    "chat_id": chat_id, "rerouted_from": row.chat_id, "status": PENDING,
                    "attempts": 0, "not_before": now, "created_at": row.created_at,
                    "markup_only": False, "parts_sent": 0,
                })
            self.queued += len(chat_ids)
        await self._set_status([row.id for row in rows], REROUTED)

    async def hold(self, row_ids: list[int], error: str) -> None:
        await self._set_status(row_ids, HELD, last_error=error)

    async def _set_status(self, row_ids: list[int], status: str, **values: Any) -> None:
        if row_ids:
            await self.session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.status.in_(OWED))
                .values(status=status, lease_until=None, **values),
                execution_options={"synchronize_session": False})

    async def release_held(self, chat_id: int, now: datetime) -> int:
        """The chat can be reached again: what waited for it goes now."""
        result = await self.session.execute(
            update(OutboxRow).where(OutboxRow.chat_id == chat_id, OutboxRow.status == HELD)
            .values(status=PENDING, not_before=now, failing_since=None),
            execution_options={"synchronize_session": False})
        self.queued += result.rowcount
        return result.rowcount

    # ---- what administrators see -----------------------------------------------------------

    async def dead_letters(self, since: datetime | None = None, limit: int = 50
                           ) -> list[Undelivered]:
        query = select(_outbox.c.id, _outbox.c.chat_id, _outbox.c.status, _outbox.c.last_error,
                       _outbox.c.created_at).where(_outbox.c.status.in_((FAILED, HELD)))
        if since is not None:
            query = query.where(_outbox.c.created_at >= since)
        rows = await self.session.execute(query.order_by(_outbox.c.id.desc()).limit(limit))
        return [Undelivered(*row) for row in rows]

    async def retry(self, row_id: int | None, now: datetime) -> int:
        """An administrator sends dead letters again (one, or all of them)."""
        query = update(OutboxRow).where(OutboxRow.status.in_((FAILED, HELD)))
        if row_id is not None:
            query = query.where(OutboxRow.id == row_id)
        result = await self.session.execute(
            query.values(status=PENDING, not_before=now, failing_since=None, lease_until=None),
            execution_options={"synchronize_session": False})
        self.queued += result.rowcount
        return result.rowcount

    async def order_of_message(self, chat_id: int, message_id: int) -> str | None:
        """The order number of the bot's message `message_id` in the chat (as sent or as
        last edited), if it was about one."""
        about = (OutboxRow.chat_id == chat_id) & OutboxRow.order_number.is_not(None)
        # The newest row wins: a draft's card names its order only once confirmed (an edit).
        return await self.session.scalar(
            select(OutboxRow.order_number)
            .where(about, or_(OutboxRow.message_id == message_id,
                              OutboxRow.edit_message_id == message_id))
            .order_by(OutboxRow.id.desc()).limit(1))

    async def sent_lately(self, limit: int) -> list[OutboxRow]:
        """The newest `limit` text messages and edits Telegram took, oldest first."""
        rows = await self.session.scalars(
            select(OutboxRow)
            .where(OutboxRow.status == SENT, OutboxRow.message_id.is_not(None),
                   OutboxRow.document.is_(None))
            .order_by(OutboxRow.id.desc()).limit(limit))
        return list(reversed(rows.all()))

    async def last_message_ids(self) -> dict[int, int]:
        rows = await self.session.execute(
            select(OutboxRow.chat_id, func.max(OutboxRow.message_id))
            .where(OutboxRow.message_id.is_not(None)).group_by(OutboxRow.chat_id))
        return {chat_id: message_id for chat_id, message_id in rows}

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        counts = {status: 0 for status in (PENDING, LEASED, SENT, HELD, REROUTED, FAILED)}
        counts.update({status: count for status, count in rows})
        return counts

    async def next_due_at(self) -> datetime | None:
        """When a sender next has work: the earliest pending row, or an expiring lease."""
        pending = await self.session.scalar(
            select(func.min(OutboxRow.not_before)).where(OutboxRow.status == PENDING))
        lease_ends = await self.session.scalar(
            select(func.min(OutboxRow.lease_until)).where(OutboxRow.status == LEASED))
        moments = [moment for moment in (pending, lease_ends) if moment is not None]
        return min(moments) if moments else None

    async def pending_count(self) -> int:
        """Rows still owed to someone (held ones included)."""
        return await self.session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status.in_(OWED))
        ) or 0
