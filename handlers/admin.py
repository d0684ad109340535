"""Administration in chat: which department a group is, and who holds which role."""

from __future__ import annotations

import re

from handlers.turn import Turn, command_args, turn_handler
from workflow import services
from workflow.errors import DomainError
from workflow.model import Person, Text
from workflow.roles import Role, parse_role


@turn_handler
async def cmd_bind(turn: Turn) -> None:
    """Bind this group to a department: /bind market (or /bind 市场部)."""
    turn.actor.require_admin()
    args = command_args(turn)
    if turn.is_private:
        turn.reply(Text("bind.only_groups"), kind="error")
        return
    role = parse_role(args) if args else None
    if role is None:
        turn.reply(Text("bind.usage", {"choices": _role_choices()}), kind="error")
        return
    await services.bind_chat(turn.ctx, turn.actor, turn.chat.id, role)
    turn.reply(Text("bind.done", {"role": role.value}))


_LEADER_WORDS = {"leader", "lead", "负责人", "领导", "经理", "主管"}
# The department may be several words ("Manufacturing Center"); a last word that marks the
# leader is not part of it.
_LEADER = "|".join(map(re.escape, sorted(_LEADER_WORDS)))
_ROLE_ARGS = re.compile(rf"^(?P<who>@?\S+)\s+(?P<role>.+?)(?:\s+(?P<leader>{_LEADER}))?$",
                        re.IGNORECASE)


async def _target_person(turn: Turn, who: str) -> Person:
    message = turn.update.effective_message
    if message is not None and message.reply_to_message and message.reply_to_message.from_user:
        replied = message.reply_to_message.from_user
        return await turn.uow.people.upsert(replied.id, replied.full_name, replied.username)
    target = None
    if who.startswith("@"):
        target = await turn.uow.people.by_username(who[1:]) or await turn.uow.people.by_name(who[1:])
    elif who.isdigit():
        target = await turn.uow.people.get(int(who))
    else:
        target = await turn.uow.people.by_name(who)
    if target is None:
        raise DomainError(Text("role.unknown_person", {"who": who}))
    return target


async def _who_and_role(turn: Turn, usage_key: str) -> tuple[Person, Role, bool] | None:
    """The person and the role /role or /unrole names, and whether as leader; None when the
    words did not read and the usage was said instead."""
    if not services.may_keep_roles(turn.actor):
        turn.actor.require_admin()
    match = _ROLE_ARGS.match(command_args(turn))
    role = parse_role(match["role"]) if match else None
    if match is None or role is None:
        turn.reply(Text(usage_key, {"choices": _role_choices()}), kind="error")
        return None
    return await _target_person(turn, match["who"]), role, bool(match["leader"])


@turn_handler
async def cmd_role(turn: Turn) -> None:
    """Give a person a role: /role @user manufacturing leader."""
    named = await _who_and_role(turn, "role.usage")
    if named is None:
        return
    target, role, leader = named
    await services.grant_role(turn.ctx, turn.actor, target, role, leader)
    turn.reply(Text("role.granted_leader" if leader else "role.granted",
                    {"who": target.name, "role": role.value}))


@turn_handler
async def cmd_unrole(turn: Turn) -> None:
    """Take a role away: /unrole @user manufacturing."""
    named = await _who_and_role(turn, "unrole.usage")
    if named is None:
        return
    target, role, _leader = named
    removed = await services.revoke_role(turn.ctx, turn.actor, target, role)
    turn.reply(Text("unrole.done" if removed else "unrole.not_held",
                    {"who": target.name, "role": role.value}))


def _role_choices() -> list[str]:
    return [role.value for role in Role]
