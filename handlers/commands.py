"""Command and message handlers: translate the update, call a service, say the result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers import task_reports
from handlers.order_commands import ORDER_COMMAND_ROLES
from handlers.turn import Turn, turn_handler
from locales import LOCALES, normalize_locale
from workflow import changes, services
from workflow.context import number_text
from workflow.errors import DomainError
from workflow.model import ButtonSpec, OrderDraft, Person, Text
from workflow.parsing import ParseResult, parse_field_value, parse_message
from workflow.policy import NonRegularRules
from workflow.roles import ROLE_ALIASES, Role, parse_role

# An answer carrying one of these is asked again; other warnings are shown on the card.
REFUSED_ANSWERS = ("due_date_in_past", "quantity_not_positive", "price_not_positive")

FIELD_ORDER = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date",
               "complete_set", "order_class", "notes")


@dataclass(frozen=True)
class CommandInfo:
    name: str
    roles: tuple[Role, ...] = ()
    admin: bool = False

    def allowed(self, turn: Turn) -> bool:
        if self.admin:
            return turn.actor.is_admin
        return not self.roles or any(turn.person.has_role(role) for role in self.roles)


COMMANDS = (
    CommandInfo("help"),
    CommandInfo("whoami"),
    CommandInfo("lang"),
    CommandInfo("roles"),
    CommandInfo("order", roles=(Role.MARKET,)),
    CommandInfo("change", roles=(Role.MARKET, Role.TECH)),
    *(CommandInfo(name, roles=roles) for name, roles in ORDER_COMMAND_ROLES.items()),
    # Replies to a task's message; every role owns tasks.
    CommandInfo("progress", roles=tuple(Role)),
    CommandInfo("done", roles=tuple(Role)),
    CommandInfo("delay", roles=(Role.PROCUREMENT,)),
    CommandInfo("bind", admin=True),
    CommandInfo("deliveries", admin=True),
    CommandInfo("role", admin=True),
    CommandInfo("unrole", admin=True),
)


def _command_args(turn: Turn) -> str:
    text = turn.update.effective_message.text or ""
    return text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""


# ---- general --------------------------------------------------------------------------------


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
    locale = normalize_locale(_command_args(turn))
    if locale is None:
        turn.reply(Text("lang.usage", {"choices": ", ".join(LOCALES)}), kind="error")
        return
    if turn.is_private:
        await services.set_person_locale(turn.ctx, turn.actor, locale)
    else:
        turn.actor.require_admin()
        await services.set_chat_locale(turn.ctx, turn.actor, turn.chat.id, locale)
    turn.locale = locale
    turn.reply(Text("lang.done"))


# ---- administration -------------------------------------------------------------------------


@turn_handler
async def cmd_bind(turn: Turn) -> None:
    """Bind this group to a department: /bind market (or /bind 市场部)."""
    turn.actor.require_admin()
    args = _command_args(turn)
    if turn.is_private:
        turn.reply(Text("bind.only_groups"), kind="error")
        return
    role = parse_role(args) if args else None
    if role is None:
        turn.reply(Text("bind.usage", {"choices": _role_choices()}), kind="error")
        return
    await services.bind_chat(turn.ctx, turn.actor, turn.chat.id, role)
    turn.reply(Text("bind.done", {"role": role.value}))


_ROLE_ARGS = re.compile(r"^(?P<who>@?\S+)\s+(?P<role>\S+)(?:\s+(?P<leader>\S+))?$")
_LEADER_WORDS = {"leader", "lead", "负责人", "领导", "经理", "主管"}


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


@turn_handler
async def cmd_role(turn: Turn) -> None:
    """Give a person a role: /role @user manufacturing leader."""
    turn.actor.require_admin()
    match = _ROLE_ARGS.match(_command_args(turn))
    role = parse_role(match["role"]) if match else None
    if match is None or role is None or (
        match["leader"] and match["leader"].lower() not in _LEADER_WORDS
    ):
        turn.reply(Text("role.usage", {"choices": _role_choices()}), kind="error")
        return
    target = await _target_person(turn, match["who"])
    leader = bool(match["leader"])
    await services.grant_role(turn.ctx, turn.actor, target, role, leader)
    turn.reply(Text("role.granted_leader" if leader else "role.granted",
                    {"who": target.name, "role": role.value}))


@turn_handler
async def cmd_unrole(turn: Turn) -> None:
    """Take a role away: /unrole @user manufacturing."""
    turn.actor.require_admin()
    match = _ROLE_ARGS.match(_command_args(turn))
    role = parse_role(match["role"]) if match else None
    if match is None or role is None:
        turn.reply(Text("unrole.usage", {"choices": _role_choices()}), kind="error")
        return
    target = await _target_person(turn, match["who"])
    removed = await services.revoke_role(turn.ctx, turn.actor, target, role)
    turn.reply(Text("unrole.done" if removed else "unrole.not_held",
                    {"who": target.name, "role": role.value}))


def _role_choices() -> str:
    return ", ".join(f"{role.value} {ROLE_ALIASES[role][0]}" for role in Role)


@turn_handler
async def on_unknown_command(turn: Turn) -> None:
    """Answer a command we don't have with the way to find the right one."""
    text = turn.update.effective_message.text or ""
    turn.reply(Text("error.unknown_command", {"command": text.split()[0][:32]}), kind="error")


# ---- orders ---------------------------------------------------------------------------------


def _require_order_chat(turn: Turn) -> None:
    """Orders are taken in the market group or a private chat, never in another department's."""
    turn.actor.require(Role.MARKET)
    if turn.is_private:
        return
    if turn.chat.department is None:
        raise DomainError(Text("error.group_unbound"))
    if turn.chat.department is not Role.MARKET:
        raise DomainError(Text("error.orders_in_market_group",
                               {"role": turn.chat.department.value}))


@turn_handler
async def cmd_order(turn: Turn) -> None:
    """Read an order from the command's text and show it for confirmation."""
    _require_order_chat(turn)
    text = _command_args(turn)
    if not text:
        turn.reply(Text("order.usage"), kind="error")
        return
    await _draft_from_text(turn, text)


async def _draft_from_text(turn: Turn, text: str) -> None:
    result = _read(turn, text)
    fields = _draft_fields(result)
    if not any(fields.get(name) for name in services.REQUIRED_FIELDS):
        turn.reply(Text("order.not_understood"), kind="error")
        return
    draft = await services.open_draft(turn.ctx, turn.actor, turn.chat.id, fields)
    _show_draft(turn, draft, result.warnings)


def _read(turn: Turn, text: str) -> ParseResult:
    """The parser with the names the company knows and its own 非常规 words."""
    lexicon = turn.runtime.lexicon() if turn.runtime.lexicon else None
    return parse_message(text, turn.ctx.now, lexicon, _non_regular(turn))


def _non_regular(turn: Turn) -> NonRegularRules | None:
    return turn.ctx.policy.non_regular if turn.ctx.policy else None


def _draft_fields(result: Any) -> dict[str, Any]:
    fields = dict(result.to_json()["fields"])
    fields["non_regular_reasons"] = list(result.fields.non_regular_reasons)
    fields["order_class"] = fields.get("order_class") or "regular"
    fields["complete_set"] = bool(fields.get("complete_set"))
    return fields


def _changed_fields(result: Any) -> dict[str, Any]:
    """Only what the correction states: absent fields and defaults leave the draft alone."""
    changes = {k: v for k, v in result.to_json()["fields"].items() if v not in (None, "")}
    if result.fields.non_regular_reasons:
        changes["non_regular_reasons"] = list(result.fields.non_regular_reasons)
    return changes


def _show_draft(turn: Turn, draft: OrderDraft, warnings: list[str] | tuple[str, ...] = ()) -> None:
    """The confirmation card, or the question for the first missing field."""
    card = _card_text(turn, draft, warnings)
    if draft.asking:
        turn.reply(card + "\n\n" + turn.t("order.ask", field=draft.asking,
                                          example=turn.t(f"example.{draft.asking}")))
        return
    turn.reply(card, buttons=((
        ButtonSpec(Text("button.confirm"), f"v1:d:{draft.id}:ok"),
        ButtonSpec(Text("button.edit"), f"v1:d:{draft.id}:edit"),
        ButtonSpec(Text("button.cancel"), f"v1:d:{draft.id}:no"),
    ),))


def _card_text(turn: Turn, draft: OrderDraft, warnings: list[str] | tuple[str, ...]) -> str:
    fields = draft.fields
    lines = [turn.t("order.card.title")]
    for name in FIELD_ORDER:
        lines.append(turn.t("order.card.line", field=name, value=_field_value(turn, name, fields)))
    reasons = fields.get("non_regular_reasons") or []
    if reasons:
        lines.append(turn.t("order.card.why_non_regular", reasons=turn.t("list.separator").join(
            turn.t(f"non_regular.{r}") for r in reasons)))
    if not draft.asking:
        due = turn.runtime.deadlines.due("feasibility_review", turn.ctx.now)
        lines.append(turn.t("order.card.next", review_due=due.astimezone(turn.ctx.tz)
                            .strftime("%Y-%m-%d %H:%M")))
    for warning in warnings:
        lines.append(turn.t("order.card.warning", text=turn.t(f"warning.{warning}")))
    return "\n".join(lines)


def _field_value(turn: Turn, name: str, fields: dict[str, Any]) -> str:
    value = fields.get(name)
    if value in (None, ""):
        return turn.t("order.card.empty") if name in services.REQUIRED_FIELDS else "-"
    if name == "quantity":
        return f"{number_text(value)} {fields.get('unit') or ''}".strip()
    if name in ("unit_price", "amount"):
        return turn.t("money.yuan", amount=f"{value:,.2f}".rstrip("0").rstrip("."))
    if name == "complete_set":
        return turn.t("common.yes" if value else "common.no")
    if name == "order_class":
        return turn.t(f"order_class.{value}")
    return str(value)


@turn_handler
async def on_text(turn: Turn) -> None:
    """Free text: an answer to the bot's question, an order typed as a sentence, or chatter."""
    message = turn.update.effective_message
    text = (message.text or "").strip()
    draft = await turn.uow.drafts.asking_in(turn.chat.id, turn.person.id)
    if draft is not None:
        await _answer_draft_question(turn, draft, text)
        return
    task_id = task_reports.replied_task(message)
    if task_id is not None:
        await task_reports.report(turn, task_id, text)
        return
    addressed = turn.is_private or _addressed_to_bot(turn)
    can_order = turn.person.has_role(Role.MARKET) and (
        turn.is_private or turn.chat.department is Role.MARKET
    )
    if can_order:
        result = _read(turn, text)
        if result.intent == "change":
            await _file_change(turn, result, text, Role.MARKET)
            return
        stated = sum(getattr(result.fields, name) is not None
                     for name in services.REQUIRED_FIELDS)
        # One lone field in a busy group ("交期:12月25日") is talk about an order, not one.
        if result.intent == "new_order" and (stated >= 2 or addressed):
            draft = await services.open_draft(turn.ctx, turn.actor, turn.chat.id,
                                              _draft_fields(result))
            _show_draft(turn, draft, result.warnings)
            return
    if addressed:
        turn.reply(Text("error.not_understood"), kind="error")


def _addressed_to_bot(turn: Turn) -> bool:
    message = turn.update.effective_message
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == turn.bot.id:
        return True
    return f"@{turn.bot.username}".lower() in (message.text or "").lower()


@turn_handler
async def cmd_change(turn: Turn) -> None:
    """File a change notice: /change SO-… 数量:40台 (or name the order by customer and product);
    from tech, a technical change notice."""
    by = _change_filer(turn)
    text = turn.update.effective_message.text or ""
    if not _command_args(turn):
        turn.reply(Text("usage.change"), kind="error")
        return
    result = _read(turn, text)
    await _file_change(turn, result, text, by)


def _change_filer(turn: Turn) -> Role:
    """Who files: the group's own department, market or tech; in a private chat market when
    the person is in both, since customer changes are market's first."""
    turn.actor.require(*changes.FILING_ROLES)
    if turn.is_private:
        return Role.MARKET if turn.person.has_role(Role.MARKET) else Role.TECH
    department = turn.chat.department
    if department is None:
        raise DomainError(Text("error.group_unbound"))
    if department not in changes.FILING_ROLES or not turn.person.has_role(department):
        raise DomainError(Text("change.in_own_group", {"role": department.value}))
    return department


async def _file_change(turn: Turn, result: Any, text: str, by: Role) -> None:
    fields = {k: v for k, v in result.to_json()["fields"].items() if v not in (None, "")}
    fields.pop("order_class", None)
    notice = await changes.file(turn.ctx, turn.actor, turn.chat.id, result.target or {},
                                fields, text, by=by)
    if notice.order_id is None:
        orders_found = await changes.candidates(turn.ctx, notice)
        turn.reply(Text("change.which", {"count": len(orders_found)}),
                   buttons=changes.order_buttons(notice, orders_found))
        return
    order = await turn.uow.orders.get(notice.order_id)
    turn.reply(changes.draft_card(turn.ctx, notice, order), order=order.number,
               buttons=changes.level_buttons(notice))


async def _answer_draft_question(turn: Turn, draft: OrderDraft, text: str) -> None:
    if draft.asking == "edit":
        result = _read(turn, text)
        changes = _changed_fields(result)
        if not changes:
            turn.reply(Text("order.edit_not_understood"), kind="error")
            return
        draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, changes)
        _show_draft(turn, draft, result.warnings)
        return
    field = draft.asking or ""
    value, warning = parse_field_value(field, text, turn.ctx.now, _non_regular(turn))
    if value in (None, "") or warning in REFUSED_ANSWERS:
        turn.reply(Text("order.answer_invalid", {
            "field": field, "problem": turn.t(f"warning.{warning or 'value_unreadable'}"),
            "example": turn.t(f"example.{field}")}), kind="error")
        return
    changes = {field: value.isoformat() if hasattr(value, "isoformat") else value}
    draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, changes)
    _show_draft(turn, draft, [warning] if warning else [])
