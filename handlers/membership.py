"""What Telegram tells the bot about its own place in chats: removed from a group or added
back, a group upgraded to a supergroup, a person blocking or unblocking it."""

from __future__ import annotations

from telegram import ChatMember

from handlers.turn import Turn, turn_handler
from workflow import delivery

_GONE = (ChatMember.LEFT, ChatMember.BANNED)
_PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER,
            ChatMember.RESTRICTED)


@turn_handler
async def on_my_chat_member(turn: Turn) -> None:
    """The bot was removed from a group or added back; a person blocked or unblocked it."""
    change = turn.update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    if turn.is_private:
        if status in _GONE:
            await delivery.person_unreachable(turn.ctx, turn.chat.id)
        elif status in _PRESENT:
            await delivery.person_reachable(turn.ctx, turn.chat.id)
    elif status in _GONE:
        await delivery.group_lost(turn.ctx, turn.chat.id)
    elif status in _PRESENT:
        await delivery.group_back(turn.ctx, turn.chat.id)


@turn_handler
async def on_migrate(turn: Turn) -> None:
    """A group became a supergroup: Telegram says so in both chats, and either is enough."""
    message = turn.update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        await delivery.chat_migrated(turn.ctx, message.chat_id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await delivery.chat_migrated(turn.ctx, message.migrate_from_chat_id, message.chat_id)
