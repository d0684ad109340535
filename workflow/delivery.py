"""The delivery rules: where a message goes when Telegram will not take it where it was meant.

Nothing owed to anyone is dropped silently. A group that became a supergroup keeps its
binding under the new id; a group the bot was removed from hands its department's messages to
the department's leaders in private until the bot is back; a person who blocked the bot (or
never pressed Start) is mentioned in their department's group instead. Administrators hear of
each such problem once, when it starts, not with every message. The sender in `bot/` applies
these decisions to the queued rows.
"""

from __future__ import annotations

from workflow.context import Context
from workflow.model import Chat, Notification, Person, Text

GIVEN_UP = "update.given_up"  # the audit action of a message set aside


async def chat_migrated(ctx: Context, old: int, new: int) -> Chat | None:
    """The group is a supergroup now: its binding, language and everything owed follow."""
    before = await ctx.uow.chats.migrate(old, new)
    moved = await ctx.uow.outbox.move_chat(old, new)
    await ctx.audit(None, "chat.migrated", "chat", old, None, {"to": new, "owed": moved})
    return before


async def group_lost(ctx: Context, chat_id: int) -> list[int]:
    """The bot is out of the group: who reads the group's messages meanwhile (its
    department's leaders, or everyone in it when none leads; nobody for a group that stands
    for no department). Administrators hear it once, at once."""
    chat = await ctx.uow.chats.get(chat_id)
    readers = (await ctx.leaders_or_holders(chat.department) if chat and chat.department
               else [])
    if await ctx.uow.chats.set_active(chat_id, False):
        await ctx.audit(None, "chat.lost", "chat", chat_id, {"active": True}, {"active": False})
        if chat is not None and chat.department is not None:
            await ctx.tell_admins(Text("admin.group_lost", {
                "title": chat.title or str(chat_id), "role": chat.department,
                "people": await ctx.names(readers)}))
    return readers


async def group_back(ctx: Context, chat_id: int) -> int:
    """The bot is in the group again: what waited for it goes now; how many."""
    if not await ctx.uow.chats.set_active(chat_id, True):
        return 0
    released = await ctx.uow.outbox.release_held(chat_id, ctx.now)
    await ctx.audit(None, "chat.back", "chat", chat_id, {"active": False},
                    {"active": True, "released": released})
    chat = await ctx.uow.chats.get(chat_id)
    if chat is not None and chat.department is not None:
        await ctx.tell_admins(Text("admin.group_back", {"title": chat.title or str(chat_id),
                                                        "role": chat.department}))
    return released


async def person_unreachable(ctx: Context, person_id: int) -> int | None:
    """Telegram refused a private message to the person: the group to mention them in
    instead (their own department's first), or None when they have none."""
    person = await ctx.uow.people.get(person_id)
    group = await _group_of(ctx, person) if person else None
    if await ctx.uow.people.mark_unreachable(person_id, ctx.now):
        await ctx.audit(None, "person.unreachable", "person", person_id)
        if person is not None and person_id not in ctx.admin_ids:
            chat = await ctx.uow.chats.get(group) if group else None
            await ctx.tell_admins(Text(
                "admin.person_unreachable" if chat else "admin.person_unreachable_held",
                {"name": person.name, "group": chat.title if chat else "-"}))
    return group


async def _group_of(ctx: Context, person: Person) -> int | None:
    for role in sorted(person.roles, key=lambda r: not person.leads(r)):
        chats = await ctx.uow.chats.of_department(role)
        if chats:
            return chats[0].id
    return None


async def person_reachable(ctx: Context, person_id: int) -> int:
    """The person wrote to the bot in private: the mark goes, and what waited for them goes
    to them now; how many."""
    if not await ctx.uow.people.mark_reachable(person_id):
        return 0
    released = await ctx.uow.outbox.release_held(person_id, ctx.now)
    await ctx.audit(None, "person.reachable", "person", person_id, None,
                    {"released": released})
    return released


async def update_given_up(ctx: Context, update_id: int, chat_id: int, name: str,
                          chat_title: str, excerpt: str | None, rounds: int, error: str
                          ) -> None:
    """A message (or, with no excerpt, a button press) whose turn failed every round for a
    reason of its own is set aside rather than tried for ever: the chat hears that it was
    not taken and should be sent again, administrators hear what failed, and the audit
    trail keeps it."""
    await ctx.audit(None, GIVEN_UP, "update", update_id, None,
                    {"chat": chat_id, "name": name, "text": excerpt, "rounds": rounds,
                     "error": error})
    said = {"name": name, "excerpt": excerpt, "rounds": rounds}
    await ctx.notify(Notification(chat_id, Text(
        "update.given_up" if excerpt is not None else "update.given_up_button", said),
        "error"))
    await ctx.tell_admins(Text(
        "admin.update_given_up" if excerpt is not None else "admin.update_given_up_button",
        {**said, "chat": chat_title, "update": update_id, "error": error}))
