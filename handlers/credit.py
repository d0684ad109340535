"""/credit: customers' credit records, kept by finance (信用评估)."""

from __future__ import annotations

import re

from handlers.order_commands import answer_reader
from handlers.turn import Turn, turn_handler
from workflow import credit
from workflow.model import Text
from workflow.parsing import parse_field_value
from workflow.roles import Role
from workflow.text import clean_name

RISK_WORDS = ("风险", "risk")
NO_RISK_WORDS = ("无风险", "正常", "norisk")
NO_LIMIT_WORDS = ("不限额", "无额度", "nolimit")
READERS = (Role.FINANCE, Role.MARKET, Role.GM)
# A limit is written as an amount alone (50万, 500000, 1.5百万元): the amount reader would
# also find a number in terms such as 月结30天.
_AMOUNT = re.compile(r"^\d[\d,.]*(?:万|千|百万|亿)?元?$")


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


@turn_handler
async def cmd_credit(turn: Turn) -> None:
    """Show a customer's credit (/credit 华东电力); finance keeps it: /credit 华东电力 50万
    月结30天, /credit 华东电力 风险 说明, /credit 华东电力 无风险, /credit 华东电力 不限额."""
    text = turn.update.effective_message.text or ""
    parts = text.split(maxsplit=2)
    if len(parts) < 2:
        turn.refuse(Text("credit.customer_missing"), Text("usage.credit"))
        return
    turn.actor.require(*READERS)
    customer = clean_name(parts[1])
    rest = parts[2].strip() if len(parts) > 2 else ""
    if rest:
        word, _, note = rest.partition(" ")
        note = note.strip()
        if word.lower() in RISK_WORDS:
            if not note:
                turn.refuse(Text("credit.risk_note_missing"), Text("usage.credit"))
                return
            await credit.set_risk(turn.ctx, turn.actor, customer, note)
        elif word.lower() in NO_RISK_WORDS:
            await credit.set_risk(turn.ctx, turn.actor, customer, None)
        elif word.lower() in NO_LIMIT_WORDS:
            await credit.set_limit(turn.ctx, turn.actor, customer, None, note or None)
        else:
            limit, warning = (parse_field_value("amount", word, turn.ctx.now)
                              if _AMOUNT.match(word) else (None, "price_unreadable"))
            if limit is None or warning:
                turn.refuse(Text("credit.bad_limit", {"text": word}), Text("usage.credit"))
                return
            await credit.set_limit(turn.ctx, turn.actor, customer, float(limit), note or None)
    await _show(turn, customer, saved=bool(rest))


async def _show(turn: Turn, customer: str, *, saved: bool) -> None:
    found = await credit.standing(turn.ctx, customer)
    record = found.credit
    if record is None:
        answer_reader(turn, turn.t("credit.none", customer=customer), None)
        return
    lines = [turn.t("credit.saved")] if saved else []
    lines.append(turn.t("credit.show", customer=customer, limit=_money(record.limit),
                        terms=record.terms or "-", risk=record.risk or "-",
                        orders=found.orders, owed=_money(found.owed)))
    answer_reader(turn, "\n".join(lines), None)
