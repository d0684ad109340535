"""Change notices filed in chat: /change, and a change sentence the free-text reader hands
over."""

from __future__ import annotations

from typing import Any

from handlers.order_commands import replied_order
from handlers.reading import read_message
from handlers.turn import Turn, command_args, turn_handler
from workflow import changes, references
from workflow.errors import DomainError
from workflow.model import Text
from workflow.roles import Role


@turn_handler
async def cmd_change(turn: Turn) -> None:
    """File a change notice: /change SO-… 数量:40台 (or name the order by customer and product);
    from tech, a technical change notice."""
    by = _change_filer(turn)
    text = turn.update.effective_message.text or ""
    if not command_args(turn):
        turn.reply(Text("usage.change"), kind="error")
        return
    result = read_message(turn, text)
    await file_change(turn, result, text, by)


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


async def file_change(turn: Turn, result: Any, text: str, by: Role) -> None:
    """File what was read as a change notice of `by`'s department, from /change or from free
    text; the answer is the notice's card, or the orders to pick from when it names no one."""
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
