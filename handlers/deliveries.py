"""What could not be delivered, for administrators: `/deliveries`, `/deliveries retry N|all`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.turn import Turn, turn_handler
from workflow import delivery
from workflow.context import local_time
from workflow.model import Text, Undelivered
from workflow.ports import UnitOfWork

SHOWN = 20
SET_ASIDE_SHOWN_FOR = timedelta(days=7)


async def _chat_name(uow: UnitOfWork, chat_id: int) -> str:
    """A chat as people know it: the person for a private chat, the group's title."""
    if chat_id > 0:
        person = await uow.people.get(chat_id)
        return person.name if person else str(chat_id)
    found = await uow.chats.get(chat_id)
    return (found.title if found else None) or str(chat_id)


async def undelivered_lines(uow: UnitOfWork, rows: list[Undelivered]) -> list[list[Any]]:
    """Dead letters as [id, chat, status, error], the chat named as people know it."""
    return [[row.id, await _chat_name(uow, row.chat_id), row.status, row.error or "-"]
            for row in rows]


async def _set_aside_lines(turn: Turn) -> list[list[Any]]:
    """Messages set aside lately (their turn failed every round), newest first, as
    [when, who, chat, what they sent (None for a button), error]."""
    now = turn.ctx.now
    events = await turn.uow.reports.events([delivery.GIVEN_UP], now - SET_ASIDE_SHOWN_FOR, now)
    lines = []
    for event in sorted(events, key=lambda e: e.at, reverse=True)[:SHOWN]:
        after = event.after or {}
        lines.append([local_time(event.at, turn.ctx.tz), after.get("name") or "-",
                      await _chat_name(turn.uow, int(after.get("chat") or 0)),
                      after.get("text"), after.get("error") or "-"])
    return lines


@turn_handler
async def cmd_deliveries(turn: Turn) -> None:
    """Messages given up or waiting for their recipient; `retry N` (or `all`) sends again."""
    turn.actor.require_admin()
    words = (turn.update.effective_message.text or "").split()[1:]
    if words and words[0].lower() in ("retry", "重发"):
        target = words[1].lstrip("#") if len(words) > 1 else ""
        if target.lower() not in ("all", "全部") and not target.isdigit():
            turn.reply(Text("deliveries.usage"), kind="error")
            return
        count = await turn.uow.outbox.retry(int(target) if target.isdigit() else None,
                                            turn.ctx.now)
        turn.reply(Text("deliveries.retried", {"count": count}))
        return
    counts = await turn.uow.outbox.counts()
    rows = await turn.uow.outbox.dead_letters(limit=SHOWN)
    turn.reply(Text("deliveries.list", {
        "pending": counts["pending"] + counts["leased"], "held": counts["held"],
        "failed": counts["failed"], "undelivered": await undelivered_lines(turn.uow, rows)}))
    set_aside = await _set_aside_lines(turn)
    if set_aside:
        turn.reply(Text("deliveries.set_aside", {"days": SET_ASIDE_SHOWN_FOR.days,
                                                 "set_aside": set_aside}))
