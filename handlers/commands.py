"""Command and message handlers: translate the update, call a service, say the result."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from handlers import next_steps, task_reports
from handlers.order_commands import (
    LEADER_COMMANDS,
    ORDER_COMMAND_ROLES,
    answer_status,
    replied_order,
)
from handlers.render import quantity_text
from handlers.turn import Turn, turn_handler
from locales import normalize_locale
from workflow import changes, intake, references, requests, services
from workflow.context import number_text
from workflow.errors import DomainError
from workflow.evaluation import may_read_reports
from workflow.model import ButtonSpec, OrderDraft, Person, Text
from workflow.parsing import (
    ParseResult,
    chinese_calendar_holidays,
    order_template,
    parse_field_value,
    parse_message,
)
from workflow.parsing.template import DEFAULT_KEYS as ORDER_KEYS
from workflow.policy import NonRegularRules
from workflow.roles import Role, parse_role

FIELD_ORDER = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date",
               "complete_set", "order_class", "notes")


@dataclass(frozen=True)
class CommandInfo:
    name: str
    roles: tuple[Role, ...] = ()
    admin: bool = False
    leaders: bool = False  # leaders of any department and the general manager
    # Only the leaders of `roles` (a general manager needs no mark), as the lifecycle says.
    leaders_of_roles: bool = False
    admins_too: bool = False

    def allowed(self, turn: Turn) -> bool:
        if self.admin or (self.admins_too and turn.actor.is_admin):
            return turn.actor.is_admin
        if self.leaders:
            return may_read_reports(turn.actor)
        if self.leaders_of_roles:
            return any(turn.person.leads(role) or (role is Role.GM and turn.person.has_role(role))
                       for role in self.roles)
        return not self.roles or any(turn.person.has_role(role) for role in self.roles)


# The departments whose leaders keep their own roster (the general manager leads no one).
KEPT_BY_LEADERS = tuple(role for role in Role if role is not Role.GM)

COMMANDS = (
    CommandInfo("help"),
    CommandInfo("whoami"),
    CommandInfo("lang"),
    CommandInfo("roles"),
    CommandInfo("order", roles=(Role.MARKET,)),
    CommandInfo("change", roles=(Role.MARKET, Role.TECH)),
    *(CommandInfo(name, roles=roles, leaders_of_roles=name in LEADER_COMMANDS)
      for name, roles in ORDER_COMMAND_ROLES.items()),
    # Replies to a task's message; every role owns tasks.
    CommandInfo("progress", roles=tuple(Role)),
    CommandInfo("done", roles=tuple(Role)),
    CommandInfo("delay", roles=(Role.PROCUREMENT,)),
    CommandInfo("report", leaders=True),
    CommandInfo("credit", roles=(Role.FINANCE, Role.MARKET, Role.GM)),
    CommandInfo("track", roles=(Role.MARKET,)),
    CommandInfo("web", roles=tuple(Role)),
    CommandInfo("bind", admin=True),
    CommandInfo("deliveries", admin=True),
    # Administrators, and each department's leaders for their own department.
    CommandInfo("role", roles=KEPT_BY_LEADERS, leaders_of_roles=True, admins_too=True),
    CommandInfo("unrole", roles=KEPT_BY_LEADERS, leaders_of_roles=True, admins_too=True),
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
        turn.reply(Text("lang.usage"), kind="error")
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


@turn_handler
async def cmd_role(turn: Turn) -> None:
    """Give a person a role: /role @user manufacturing leader."""
    if not services.may_keep_roles(turn.actor):
        turn.actor.require_admin()
    match = _ROLE_ARGS.match(_command_args(turn))
    role = parse_role(match["role"]) if match else None
    if match is None or role is None:
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
    if not services.may_keep_roles(turn.actor):
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


def _role_choices() -> list[str]:
    return [role.value for role in Role]


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
    services.refuse_oversized(text)
    result = _read(turn, text)
    fields = intake.draft_fields(result)
    if not any(fields.get(name) for name in services.REQUIRED_FIELDS):
        turn.reply(Text("order.not_understood"), kind="error")
        return
    await _open_draft(turn, result)


async def _open_draft(turn: Turn, result: ParseResult) -> None:
    draft = await services.open_draft(turn.ctx, turn.actor, turn.chat.id, intake.draft_fields(result))
    _show_draft(turn, draft, result.warnings)


def _read(turn: Turn, text: str) -> ParseResult:
    """The parser with the names the company knows and its own 非常规 words."""
    lexicon = turn.runtime.lexicon() if turn.runtime.lexicon else None
    return parse_message(text, turn.ctx.now, lexicon, _non_regular(turn),
                         holidays=chinese_calendar_holidays)


def _non_regular(turn: Turn) -> NonRegularRules | None:
    return turn.ctx.policy.non_regular if turn.ctx.policy else None


def _show_draft(turn: Turn, draft: OrderDraft, warnings: list[str] | tuple[str, ...] = ()) -> None:
    """The card: the question for the first missing field, or the fields to confirm. A card
    with a wrong field offers only 修改 and 取消; every card offers 取消."""
    today = turn.ctx.now.astimezone(turn.ctx.tz).date()
    card = intake.draft_card(draft, warnings, turn.ctx.now, turn.runtime.deadlines, today)
    text = _card_text(turn, draft, card)
    cancel = _cancel_button(draft)
    edit = ButtonSpec(Text("button.edit"), f"v1:d:{draft.id}:edit")
    if card.stage == "ask":
        # In a group only a reply to the card answers for a name (see _read_answer).
        ask = ("order.ask" if turn.is_private or draft.asking in _ANSWER_KEYS
               else "order.ask_reply")
        turn.reply(text + "\n\n" + turn.t(ask, field=draft.asking,
                                          example=turn.t(f"example.{draft.asking}")),
                   buttons=((cancel,),))
    elif card.stage == "fix":
        turn.reply(text + "\n\n" + turn.t("order.card.fix"), buttons=((edit, cancel),))
    else:
        confirm = ButtonSpec(Text("button.confirm"),
                             f"v1:d:{draft.id}:ok:{services.draft_version(draft)}")
        turn.reply(text, buttons=((confirm, edit, cancel),))


def _cancel_button(draft: OrderDraft) -> ButtonSpec:
    return ButtonSpec(Text("button.cancel"), f"v1:d:{draft.id}:no")


def _card_text(turn: Turn, draft: OrderDraft, card: intake.DraftCard) -> str:
    fields = draft.fields
    lines = [turn.t("order.card.title")]
    for name in FIELD_ORDER:
        lines.append(turn.t("order.card.line", field=name, value=_field_value(turn, name, fields)))
    reasons = fields.get("non_regular_reasons") or []
    if reasons:
        lines.append(turn.t("order.card.why_non_regular", reasons=turn.t("list.separator").join(
            turn.t(f"non_regular.{r}") for r in reasons)))
    if card.review_due is not None:
        lines.append(turn.t("order.card.next", review_due=card.review_due.astimezone(turn.ctx.tz)
                            .strftime("%Y-%m-%d %H:%M")))
    for warning in card.shown:
        lines.append(turn.t("order.card.warning", text=turn.t(f"warning.{warning}")))
    return "\n".join(lines)


def _field_value(turn: Turn, name: str, fields: dict[str, Any]) -> str:
    value = fields.get(name)
    if name == "amount" and value in (None, "") and _known(fields, "unit_price", "quantity"):
        value = float(fields["unit_price"]) * float(fields["quantity"])
    if value in (None, ""):
        return turn.t("order.card.empty") if name in services.REQUIRED_FIELDS else "-"
    if name == "quantity":
        return quantity_text(turn.locale, number_text(value), fields.get("unit"))
    if name in ("unit_price", "amount"):
        return turn.t("money.yuan", amount=f"{value:,.2f}".rstrip("0").rstrip("."))
    if name == "complete_set":
        return turn.t("common.yes" if value else "common.no")
    if name == "order_class":
        return turn.t(f"order_class.{value}")
    return str(value)


def _known(fields: dict[str, Any], *names: str) -> bool:
    return all(fields.get(name) not in (None, "") for name in names)


@turn_handler
async def on_text(turn: Turn) -> None:
    """Free text: a task report, the end of a draft, a change notice, an answer to the bot's
    question, an order typed as a sentence, or chatter. Each is handled as what it is: a
    waiting draft never swallows a message that is something else."""
    message = turn.update.effective_message
    text = (message.text or "").strip()
    task_id = task_reports.replied_task(message)
    if task_id is not None:
        await task_reports.report(turn, task_id, text)
        return
    replied = message.reply_to_message
    question = (await turn.uow.outbox.question_at(turn.chat.id, replied.message_id)
                if replied is not None else None)
    if question is not None:
        await next_steps.answer(turn, question, text)
        return
    if services.is_cancel_word(text) and await _cancel_pending_draft(turn):
        return
    addressed = turn.is_private or _addressed_to_bot(turn)
    can_order = turn.person.has_role(Role.MARKET) and (
        turn.is_private or turn.chat.department is Role.MARKET
    )
    if not can_order:
        if addressed:
            turn.reply(Text("error.not_understood"), kind="error")
        return
    result = _read(turn, text)
    draft = await turn.uow.drafts.asking_in(turn.chat.id, turn.person.id)
    if draft is not None:
        # A correction after 修改 may restate the whole order; an answer never does.
        new_order = draft.asking != "edit" and intake.names_an_order(result)
    else:
        # One lone field in a busy group ("交期:12月25日") is talk about an order, not one.
        new_order = result.intent == "new_order" and (intake.stated(result) >= 2 or addressed)
    if len(text) > services.MAX_ORDER_CHARS:
        if addressed or new_order or result.intent == "change":
            services.refuse_oversized(text)
        return
    if result.intent == "change":
        await _file_change(turn, result, text, Role.MARKET)
    elif result.intent in ("query", "cancel_request") and draft is None:
        await _about_an_order(turn, result, text, addressed)
    elif draft is not None and not new_order and (
            await _answer_draft_question(turn, draft, text, result, addressed)):
        return
    elif new_order:
        await _open_draft(turn, result)
    elif addressed:
        _not_understood(turn, result)


async def _about_an_order(turn: Turn, result: ParseResult, text: str, addressed: bool) -> None:
    """“华东电力那单到哪了” is answered with the order's status; “SO-… 这单作废” goes to market's
    leader to decide. An order named ambiguously is asked about; talk naming none is let be."""
    named = await requests.orders_named(turn.ctx, result.target or {})
    if len(named) != 1:
        if named or addressed:
            turn.reply(Text("order.which_one" if named else "order.none_named", {
                "numbers": ", ".join(o.number for o in named[:10])}), kind="error")
        return
    order = named[0]
    if result.intent == "query":
        await answer_status(turn, order)
        return
    deciders = await requests.request_cancel(turn.ctx, turn.actor, order, text)
    turn.reply(Text("cancel_request.asked", {"number": order.number,
                                             "people": await turn.ctx.names(deciders)}),
               order=order.number)


def _not_understood(turn: Turn, result: ParseResult) -> None:
    """Say what was read and what is missing, and hand back the /order line to complete."""
    template = order_template(result, {name: turn.t(f"order_key.{name}")
                                       for name in ORDER_KEYS})
    # An order names what is bought and one thing more; "下周见" or "今天中午吃什么" does not.
    if len(template.read) < 2 or not {"customer", "product"} & set(template.read):
        turn.reply(Text("error.not_understood"), kind="error")
        return
    turn.reply(Text("parsing.not_understood", {"read": template.read,
                                               "missing": template.missing,
                                               "template": template.text}), kind="error")


async def _cancel_pending_draft(turn: Turn) -> bool:
    """取消, 算了, 不要了: the author's newest pending draft in this chat ends here."""
    draft = await turn.uow.drafts.pending_in(turn.chat.id, turn.person.id)
    if draft is None:
        return False
    await services.cancel_draft(turn.ctx, turn.actor, draft.id or 0)
    turn.reply(Text("order.draft_cancelled", {
        "customer": draft.fields.get("customer") or "-",
        "product": draft.fields.get("product") or "-"}))
    return True


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
    notice = await changes.file(turn.ctx, turn.actor, turn.chat.id,
                                await _change_target(turn, result.target or {}, text),
                                fields, text, by=by)
    if notice.order_id is None:
        orders_found = await changes.candidates(turn.ctx, notice)
        turn.reply(Text("change.which", {"count": len(orders_found)}),
                   buttons=changes.order_buttons(notice, orders_found))
        return
    order = await turn.uow.orders.get(notice.order_id)
    turn.reply(changes.draft_card(turn.ctx, notice, order), order=order.number,
               buttons=changes.level_buttons(notice))


async def _change_target(turn: Turn, target: dict[str, Any], text: str) -> dict[str, Any]:
    """The order a change names; when its words name none, the bot's message it replies to,
    or last digits right after /change that name one open order (`/change 001 数量:15台`)."""
    if any(target.get(key) for key in ("order_no", "customer", "product")):
        return target
    replied = await replied_order(turn)
    if replied is not None:
        return {**target, "order_no": replied}
    words = text.split(maxsplit=2)
    if len(words) > 1 and words[0].startswith("/") and references.is_suffix(words[1]):
        found = await references.named(turn.ctx, words[1])
        if len(found) == 1:
            return {**target, "order_no": found[0].number}
    return target


# The parser reads a keyed value strictly: "数量:12台" is a quantity, "数量:我10点到" is not.
_ANSWER_KEYS = {"quantity": "数量", "due_date": "交期"}
_ANSWER_PARTS = {"quantity": ("quantity", "unit"), "due_date": ("due_date",)}
_ANSWER_REFUSALS = {"quantity": ("quantity_not_positive", "quantity_too_large"),
                    "due_date": ("due_date_in_past",)}


async def _answer_draft_question(turn: Turn, draft: OrderDraft, text: str, result: ParseResult,
                                 addressed: bool) -> bool:
    """Fill in what the draft asks for, or correct it after 修改. In a group, a message not
    addressed to the bot counts only when it reads as the asked value on its own (12台,
    12月20日); anything else there is talk, and is left alone."""
    if draft.asking == "edit":
        changes = intake.changed_fields(result)
        if not changes:
            if addressed:
                turn.reply(Text("order.edit_not_understood"), kind="error")
            return addressed
        draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, changes)
        _show_draft(turn, draft, result.warnings)
        return True
    field = draft.asking or ""
    if result.intent == "new_order" and getattr(result.fields, field, None) is not None:
        answer, warning = intake.changed_fields(result), None
    else:
        answer, warning = _read_answer(turn, field, text, addressed)
        if not answer and not addressed:
            return False
        if not answer or warning in intake.REFUSED_ANSWERS:
            turn.reply(Text("order.answer_invalid", {
                "field": field, "problem": turn.t(f"warning.{warning or 'value_unreadable'}"),
                "example": turn.t(f"example.{field}")}), kind="error",
                buttons=((_cancel_button(draft),),))
            return True
    draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, answer)
    _show_draft(turn, draft, [warning] if warning else result.warnings)
    return True


def _read_answer(turn: Turn, field: str, text: str, addressed: bool
                 ) -> tuple[dict[str, Any], str | None]:
    """The answer's fields and its warning. Any words read as a name, so only a message
    addressed to the bot answers for a customer or a product."""
    if field in _ANSWER_KEYS:
        keyed = _read(turn, f"{_ANSWER_KEYS[field]}:{text}")
        if getattr(keyed.fields, field) is not None:
            stated = intake.changed_fields(keyed)
            return ({name: stated[name] for name in _ANSWER_PARTS[field] if name in stated},
                    next((w for w in keyed.warnings if w in _ANSWER_REFUSALS[field]), None))
    if not addressed:
        return {}, None
    value, warning = parse_field_value(field, text, turn.ctx.now, _non_regular(turn))
    if value in (None, ""):
        return {}, warning
    return {field: value.isoformat() if hasattr(value, "isoformat") else value}, warning
