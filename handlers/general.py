"""Commands anyone may use: the greeting, help, who am I, the roster, the language; and the
answer to a command the bot does not have."""

from __future__ import annotations

import difflib

from handlers.command_table import COMMANDS
from handlers.turn import Turn, command_args, turn_handler
from locales import normalize_locale
from workflow import services
from workflow.model import Person, Text
from workflow.roles import Role


@turn_handler
async def cmd_start(turn: Turn) -> None:
    """Greet and show what this person may do."""
    turn.reply(Text("start.greeting", {"name": turn.person.name}))
    turn.reply(_help_text(turn))


@turn_handler
async def cmd_help(turn: Turn) -> None:
    """List the commands this person may use here."""
    turn.reply(_help_text(turn))


def _help_text(turn: Turn) -> str:
    lines = [turn.t("help.title")]
    lines += [turn.t(f"help.cmd.{c.name}") for c in COMMANDS if c.allowed(turn)]
    if turn.person.has_role(Role.MARKET):
        lines.append(turn.t("help.free_form"))
    return "\n".join(lines)


@turn_handler
async def cmd_whoami(turn: Turn) -> None:
    """Say who the sender is to the bot: roles, leadership, admin, language, this chat's binding."""
    turn.reply(Text("whoami.text", {
        "name": turn.person.name,
        "id": turn.person.id,
        "roles": _roles_text(turn, turn.person),
        "admin": turn.t("common.yes" if turn.actor.is_admin else "common.no"),
        "locale": turn.locale,
        "private": turn.t("whoami.private_blocked" if turn.person.unreachable_since
                          else "whoami.private_ok"),
        "chat": _chat_binding_text(turn),
    }))


def _roles_text(turn: Turn, person: Person) -> str:
    if not person.roles:
        return turn.t("roles.none")
    return turn.t("list.separator").join(
        turn.t("roles.leader_of" if leader else "roles.member_of", role=role.value)
        for role, leader in sorted(person.roles.items())
    )


def _chat_binding_text(turn: Turn) -> str:
    if turn.is_private:
        return turn.t("chat.private")
    if turn.chat.department is None:
        return turn.t("chat.unbound")
    return turn.t("chat.bound", role=turn.chat.department.value)


@turn_handler
async def cmd_roles(turn: Turn) -> None:
    """The company roster: who holds which role, and which group each department uses."""
    people = await turn.uow.people.with_any_role()
    lines = [turn.t("roles.title")]
    for role in Role:
        holders = [p for p in people if role in p.roles]
        chats = await turn.uow.chats.of_department(role, active_only=False)
        names = turn.t("list.separator").join(
            p.name + (turn.t("roles.leader_mark") if p.roles[role] else "")
            + (turn.t("roles.unreachable_mark") if p.unreachable_since else "")
            for p in holders
        ) or "-"
        groups = turn.t("list.separator").join(
            (c.title or str(c.id)) + ("" if c.active else turn.t("roles.inactive_mark"))
            for c in chats) or "-"
        lines.append(turn.t("roles.line", role=role.value, people=names, groups=groups))
    turn.reply("\n".join(lines))


@turn_handler
async def cmd_lang(turn: Turn) -> None:
    """Set the language of this group (administrators) or of oneself (private chat)."""
    locale = normalize_locale(command_args(turn))
    if locale is None:
        turn.reply(Text("lang.usage"), kind="error")
        return
    if turn.is_private:
        await services.set_person_locale(turn.ctx, turn.actor, locale)
    else:
        turn.actor.require_admin()
        await services.set_chat_locale(turn.ctx, turn.actor, turn.chat.id, locale)
    turn.locale = locale
    turn.reply(Text("lang.done"))


@turn_handler
async def on_unknown_command(turn: Turn) -> None:
    """Answer a command we don't have with the way to find the right one."""
    text = turn.update.effective_message.text or ""
    command = text.split()[0][:32]
    name = command.lstrip("/").split("@", 1)[0].lower()
    # What this person may use first: "/ordr" from a rep means /order, not /report.
    mine = ["start", *(c.name for c in COMMANDS if c.allowed(turn))]
    close = (difflib.get_close_matches(name, mine, n=1, cutoff=0.6)
             or difflib.get_close_matches(name, [c.name for c in COMMANDS], n=1, cutoff=0.6))
    if close:
        turn.reply(Text("error.unknown_command_did_you_mean",
                        {"command": command, "suggestion": f"/{close[0]}"}), kind="error")
    else:
        turn.reply(Text("error.unknown_command", {"command": command}), kind="error")
