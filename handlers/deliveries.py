"""What could not be delivered, for administrators: `/deliveries`, `/deliveries retry N|all`."""

from __future__ import annotations

from typing import Any

from handlers.turn import Turn, turn_handler
from workflow.model import Text, Undelivered
from workflow.ports import UnitOfWork

SHOWN = 20


async def undelivered_lines(uow: UnitOfWork, rows: list[Undelivered]) -> list[list[Any]]:
    """Dead letters as [id, chat, status, error], the chat named as people know it."""
    lines = []
    for row in rows:
        if row.chat_id > 0:
            person = await uow.people.get(row.chat_id)
            chat = person.name if person else str(row.chat_id)
        else:
            found = await uow.chats.get(row.chat_id)
            chat = (found.title if found else None) or str(row.chat_id)
        lines.append([row.id, chat, row.status, row.error or "-"])
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
