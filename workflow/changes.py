"""Change notices (合同订单更改通知单): filed by market, answered by tech and manufacturing
within 30 minutes, handled at one of the policy's three levels.

Tech files one too when the customer changes the technical scheme during design (技术中心 3.5,
合同订单技术更改通知单): manufacturing answers it within `deadlines.tech_change_answer`, and
market, which owns the customer and the contract, is told. The levels and the rest of the
path are the same.

1 “小范围或局部的更改,不涉及产品结构变化或主要元件变动,且不影响原生产计划” — departments adjust.
2 “影响原生产交货期计划” — the delivery date is reviewed again (the answers are that review).
3 “涉及产品结构变化或主要元件变动” — the non-regular review, a supplemental contract if needed.
The bot suggests a level from what the notice changes; the filer chooses, and a level below
the suggestion needs one of the reasons the policy's own definitions give. A department that
answers may raise the level, never lower it, and every card offers only what the level in
force allows. Nobody answers a notice they filed themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow import escalation, orders, urging
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError, Forbidden, NotFound, TaskClosed
from workflow.model import (
    OPEN_TASK_STATUSES,
    UNDER_WAY_STATUSES,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    ChangeNotice,
    ChangeStatus,
    Notification,
    Order,
    OrderStatus,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.roles import Role
from workflow.tasks import open_task

FILING_ROLES = (Role.MARKET, Role.TECH)
ANSWERING_ROLES = (Role.TECH, Role.MANUFACTURING)
# Tech filed the notice, so it is not asked to answer it: “发至产品公司的制造中心”.
TECHNICAL_ANSWERING_ROLES = (Role.MANUFACTURING,)
# Told of a technical notice when it is issued (技术中心 3.6), without an answer to give.
TECH_RELATED = (Role.QUALITY, Role.PROCUREMENT)
CHANGEABLE = ("customer", "product", "model", "quantity", "unit", "unit_price", "amount",
              "due_date", "complete_set", "notes")
STRUCTURE_WORDS = ("结构", "主要元件", "元件规格", "改型", "指定厂家", "重新设计", "structure")
# Level 3's non-regular re-review; procurement and quality are asked where they have a group.
LEVEL_MEETING = (Role.TECH, Role.MANUFACTURING, Role.PROCUREMENT, Role.QUALITY)
# A level below the suggestion asserts what the suggestion doubted, in the policy's own words:
# 1 is “不影响原生产计划”, below 3 is “不涉及产品结构变化或主要元件变动”; or the order's record
# was simply wrong and the customer's agreement stands.
LOWER_LEVEL_REASONS = {2: ("plan_kept", "record_fix"), 3: ("no_structure", "record_fix")}
PRICE_FIELDS = ("unit_price", "amount")


def suggested_level(changes: dict[str, Any], text: str) -> int:
    if any(word in text for word in STRUCTURE_WORDS):
        return 3
    return 2 if "due_date" in changes else 1


def is_technical(notice: ChangeNotice) -> bool:
    """A 技术更改通知单: filed by tech rather than by market."""
    return notice.facts.get("by") == Role.TECH.value


def answering_roles(notice: ChangeNotice) -> tuple[Role, ...]:
    return TECHNICAL_ANSWERING_ROLES if is_technical(notice) else ANSWERING_ROLES


async def file(ctx: Context, actor: Actor, chat_id: int, target: dict[str, Any],
               fields: dict[str, Any], text: str, *, by: Role) -> ChangeNotice:
    """A draft notice filed by `by` (market, or tech for a technical one); the order is found
    by number, or by customer and product."""
    if by not in FILING_ROLES:
        raise Forbidden(*FILING_ROLES)
    actor.require(by)
    changes = {k: v for k, v in fields.items() if k in CHANGEABLE and v not in (None, "")}
    if not changes:
        raise DomainError(Text("change.nothing"))
    candidates: list[Order] = []
    if target.get("order_no"):
        order = await ctx.uow.orders.by_number(str(target["order_no"]).upper())
        if order is None:
            raise NotFound(Text("error.order_number_unknown", {"number": target["order_no"]}))
        orders.refuse_archived(order)
        candidates = [order]
    elif target.get("customer") or target.get("product"):
        candidates = await ctx.uow.orders.matching(target.get("customer"), target.get("product"),
                                                   list(UNDER_WAY_STATUSES))
    if not candidates:
        raise DomainError(Text("change.no_order", {"what": " ".join(
            str(v) for v in target.values() if v) or "-"}))
    if len(candidates) == 1:
        changes = _really_changed(candidates[0], changes)
        if not changes:
            raise DomainError(Text("change.nothing"))
    level = suggested_level(changes, text)
    notice = ChangeNotice(None, None, candidates[0].id if len(candidates) == 1 else None,
                          ChangeStatus.DRAFT, changes, level, actor.person.id, ctx.now, chat_id,
                          {"candidates": [o.id for o in candidates], "by": by.value,
                           "suggested": level})
    await ctx.uow.changes.add(notice)
    await ctx.audit(actor, "change.draft", "change", notice.id or 0, None,
                    {"changes": changes, "candidates": [o.number for o in candidates],
                     "by": by.value})
    return notice


async def candidates(ctx: Context, notice: ChangeNotice) -> list[Order]:
    orders = [await ctx.uow.orders.get(i) for i in notice.facts.get("candidates", [])]
    return [o for o in orders if o is not None]


async def own_draft(ctx: Context, actor: Actor, notice_id: int) -> ChangeNotice:
    notice = await ctx.uow.changes.get(notice_id)
    if notice is None:
        raise NotFound(Text("error.change_not_found"))
    if notice.status is not ChangeStatus.DRAFT:
        raise DomainError(Text("change.already", {"number": notice.number or "-"}))
    if notice.created_by != actor.person.id:
        raise DomainError(Text("error.not_your_draft"))
    return notice


async def pick_order(ctx: Context, actor: Actor, notice_id: int, order_id: int) -> ChangeNotice:
    notice = await own_draft(ctx, actor, notice_id)
    if order_id not in notice.facts.get("candidates", []):
        raise DomainError(Text("error.stale_button"))
    order = await ctx.uow.orders.get(order_id)
    notice.order_id = order_id
    notice.changes = _really_changed(order, notice.changes) if order else notice.changes
    if not notice.changes:
        raise DomainError(Text("change.nothing"))
    await ctx.uow.changes.save(notice)
    return notice


def reasons_to_lower(notice: ChangeNotice, level: int) -> tuple[str, ...]:
    """The reasons one of which a level below the bot's suggestion needs; none at or above."""
    suggested = notice.facts.get("suggested", notice.level)
    return LOWER_LEVEL_REASONS[suggested] if level < suggested else ()


async def issue(ctx: Context, actor: Actor, notice_id: int, level: int,
                reason: str | None = None) -> tuple[ChangeNotice, Order]:
    """The filer chose the level: the notice gets its number and goes to the departments that
    answer it; a technical one is also shown to market."""
    notice = await own_draft(ctx, actor, notice_id)
    allowed = reasons_to_lower(notice, level)
    if allowed and reason not in allowed:
        raise DomainError(Text("change.reason_required", {
            "level": level, "suggested": notice.facts.get("suggested", notice.level)}))
    order = await ctx.uow.orders.get(notice.order_id or 0)
    if order is None:
        raise NotFound(Text("error.order_not_found"))
    count = await ctx.uow.changes.count_for(order.id or 0)
    notice.number = f"CN-{order.number.removeprefix('SO-')}-{count + 1}"
    notice.status, notice.level = ChangeStatus.OPEN, level
    notice.facts["answers"] = {}
    if allowed:
        notice.facts["lowered"] = {"reason": reason, "by": actor.person.id}
    await ctx.uow.changes.save(notice)
    await ctx.audit(actor, "change.issued", "change", notice.number, None,
                    {"order": order.number, "level": level, "changes": notice.changes,
                     "suggested": notice.facts.get("suggested"), "reason": reason})
    technical = is_technical(notice)
    due = ctx.deadlines.due("tech_change_answer" if technical else "change_answer", ctx.now)
    params = {**notice_params(ctx, notice, order), "due": local_time(due, ctx.tz)}
    for role in answering_roles(notice):
        await open_task(ctx, actor, order, TaskKind.CHANGE_ANSWER, role, due,
                        title=notice.number, level=level,
                        announce=Text("change.tech_request" if technical else "change.request",
                                      {**params, "role": role}))
        if allowed:
            # The department answering may raise the level back: it should know it was lowered.
            await ctx.notify_department(role, Text("change.lowered", {
                **params, "suggested": notice.facts["suggested"], "who": actor.person.name,
                "reason": reason}), kind="notice", order_number=order.number)
    if technical:
        await ctx.notify(Notification(order.chat_id, Text("change.tech_to_market", params),
                                      "notice", order.number))
        # “…应及时书面…通知制造中心、质量管理部、供应等关联部门”: they inspect and buy by it.
        for role in TECH_RELATED:
            await ctx.notify_department(role, Text("change.tech_to_related", params),
                                        kind="notice", order_number=order.number)
    await _tell_leaders(ctx, notice, order)
    await ctx.uow.changes.save(notice)
    return notice, order


async def _tell_leaders(ctx: Context, notice: ChangeNotice, order: Order) -> None:
    """Levels 2 and 3: “报告部门领导(同时通报制造中心负责人)” — the filer's leaders, market's
    (the customer and the contract are market's) and manufacturing's, in person; again when
    an answer raises the level they were told."""
    if notice.level < 2 or notice.level <= notice.facts.get("leaders_told_at", 0):
        return
    people: list[int] = []
    for role in dict.fromkeys((Role(notice.facts.get("by", Role.MARKET.value)), Role.MARKET,
                               Role.MANUFACTURING)):
        people += await ctx.leaders_of(role)
    people = list(dict.fromkeys(people))
    await ctx.notify_each(people, Text("change.to_leaders", {
        **notice_params(ctx, notice, order), "role": Role.MANUFACTURING}),
        kind="notice", order_number=order.number)
    notice.facts["leaders_told_at"] = notice.level
    await ctx.audit(None, "change.leaders_told", "change", notice.number or "-", None,
                    {"level": notice.level, "people": people})


def draft_card(ctx: Context, notice: ChangeNotice, order: Order) -> Text:
    """The draft with its level buttons, titled 技术更改通知单 when tech filed it."""
    key = "change.tech_card" if is_technical(notice) else "change.card"
    return Text(key, notice_params(ctx, notice, order))


def _really_changed(order: Order, changes: dict[str, Any]) -> dict[str, Any]:
    """Only the fields whose value differs from the order's (a repeated unit is no change)."""
    return {k: v for k, v in changes.items() if _shown(getattr(order, k, None)) != _shown(v)}


def notice_params(ctx: Context, notice: ChangeNotice, order: Order) -> dict[str, Any]:
    """Once applied, the order holds the new values: the old ones come from the notice."""
    lines = notice.facts.get("described") or describe(order, notice.changes)
    return {**order_params(order, ctx.tz), "change": notice.number or "-",
            "level": notice.level, "changes": lines}


def describe(order: Order, changes: dict[str, Any]) -> list[str]:
    """Lines "field|old|new" that the renderer shows in the reader's language."""
    return [f"{name}|{_shown(getattr(order, name, None))}|{_shown(value)}"
            for name, value in changes.items()]


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "-" if value in (None, "") else str(value)


async def answer(ctx: Context, actor: Actor, task_id: int, raise_to: int | None,
                 shown: int | None = None) -> tuple[ChangeNotice, Order, bool]:
    """A department asked answers: 确认 the level its card shows, or raise it. Once all have
    answered, the notice is handled at its level."""
    task = await ctx.uow.tasks.get(task_id)
    if task is None or task.kind is not TaskKind.CHANGE_ANSWER:
        raise NotFound(Text("error.task_not_found"))
    actor.require(task.role)
    if task.status not in OPEN_TASK_STATUSES:
        raise TaskClosed(task.status.value)
    order = await ctx.uow.orders.get(task.order_id)
    notice = await ctx.uow.changes.by_number(task.title or "")
    if notice is not None and notice.status is not ChangeStatus.OPEN:
        notice = None
    if order is None or notice is None:
        raise NotFound(Text("error.change_not_found"))
    orders.forbid_own_request(actor, notice.created_by, Text(
        "change.own_notice", {"change": notice.number, "role": task.role}))
    if (raise_to is not None and raise_to <= notice.level) or (
            raise_to is None and shown is not None and shown != notice.level):
        raise orders.Outdated(Text("change.level_now", {"change": notice.number,
                                                        "level": notice.level}),
                              escalation.task_buttons(task, level=notice.level))
    before = notice.level
    if raise_to is not None:
        notice.level = raise_to
    notice.facts.setdefault("answers", {})[task.role.value] = raise_to or "ok"
    task.status, task.outcome = TaskStatus.DONE, f"level{notice.level}"
    task.closed_by, task.closed_at = actor.person.id, ctx.now
    if not await ctx.uow.tasks.close(task):
        raise TaskClosed("done")
    await escalation.stop_for(ctx, task_id)
    await ctx.withdraw_buttons(task_id)  # closed here, not by tasks.close_task: its own audit
    await ctx.audit(actor, "change.answer", "change", notice.number or "-", {"level": before},
                    {"level": notice.level, "role": task.role.value})
    if notice.level > before:
        await _tell_raised(ctx, actor, notice, order)
        await _tell_leaders(ctx, notice, order)
    answered = set(notice.facts["answers"])
    done = all(role.value in answered for role in answering_roles(notice))
    if done:
        await _apply(ctx, actor, notice, order)
    await ctx.uow.changes.save(notice)
    return notice, order, done


async def _tell_raised(ctx: Context, actor: Actor, notice: ChangeNotice, order: Order) -> None:
    """The departments still to answer get the card again at the level now in force; the
    buttons on their first card are answered with it if pressed (`Outdated`)."""
    for task in await ctx.uow.tasks.for_order(order.id or 0):
        if (task.kind is TaskKind.CHANGE_ANSWER and task.title == notice.number
                and task.status in OPEN_TASK_STATUSES):
            await ctx.notify_department(task.role, Text("change.raised", {
                **notice_params(ctx, notice, order), "role": task.role,
                "who": actor.person.name}), kind="task", order_number=order.number,
                buttons=escalation.task_buttons(task, level=notice.level))


async def _apply(ctx: Context, actor: Actor, notice: ChangeNotice, order: Order) -> None:
    notice.facts["described"] = describe(order, notice.changes)
    values: dict[str, Any] = {}
    for name, value in notice.changes.items():
        values[name] = date.fromisoformat(value) if name == "due_date" else value
    if notice.level == 3:
        values["order_class"] = "non_regular"
    before = {k: _shown(getattr(order, k, None)) for k in values}
    await ctx.uow.orders.apply_changes(order.id or 0, values)
    for name, value in values.items():
        setattr(order, name, value)
    notice.status = ChangeStatus.APPLIED
    await ctx.audit(actor, "order.changed", "order", order.number, before,
                    {**{k: _shown(v) for k, v in values.items()},
                     "why": notice.number, "level": notice.level})
    if "due_date" in values:
        await _derive_again(ctx, order, notice)
    params = notice_params(ctx, notice, order)
    key = f"change.applied_{notice.level}"
    if notice.level == 2 and "due_date" not in values:
        key = "change.applied_2_same_date"
    await ctx.notify(Notification(order.chat_id, Text(key, params), "notice", order.number))
    told = set(ANSWERING_ROLES if notice.level < 3 else LEVEL_MEETING)
    for role in sorted(told):
        await ctx.notify_department(role, Text(key, params), kind="notice",
                                    order_number=order.number)
    await _relay(ctx, notice, order, told | (set(TECH_RELATED) if is_technical(notice) else set()))
    if notice.level == 3:
        reviewers = [role for role in LEVEL_MEETING
                     if role in ANSWERING_ROLES or await ctx.uow.chats.of_department(role)]
        # Market asked for a customer's change, so its filer does not answer the review; tech
        # both raises a technical change and reviews the order (技术中心 3.5), so it may.
        await orders.reopen_review(ctx, order, reviewers, change=notice.number or "-",
                                   requested_by=None if is_technical(notice)
                                   else notice.created_by,
                                   new_contract=any(f in notice.changes for f in PRICE_FIELDS))


async def _relay(ctx: Context, notice: ChangeNotice, order: Order, told: set[Role]) -> None:
    """“制造中心应负责在接到通知后的第一时间…流转相关涉及部门进行调整”: the bot passes the change
    on for manufacturing the moment it is in force, so nothing can be late, to every
    department with work on the order — open tasks, the planning meeting,
    inspections recorded, goods in the warehouse — and records to whom."""
    where = orders.standing(order)
    concerned = {t.role for t in await ctx.uow.tasks.for_order(order.id or 0)
                 if t.status in OPEN_TASK_STATUSES}
    concerned |= {Role(r) for r in order.facts.get("planning_meeting", [])}
    if order.facts.get("inspections"):
        concerned.add(Role.QUALITY)
    if where in (OrderStatus.WAREHOUSED, OrderStatus.SHIPPING):
        concerned.add(Role.WAREHOUSE)
    text = Text("change.relayed", {**notice_params(ctx, notice, order),
                                   "role": Role.MANUFACTURING})
    reached: list[str] = []
    unbound: list[str] = []
    for role in sorted(concerned - told - {Role.MARKET}):
        sent = await ctx.notify_department(role, text, kind="notice", order_number=order.number)
        (reached if sent else unbound).append(role.value)
    await ctx.audit(None, "change.relayed", "change", notice.number or "-", None,
                    {"to": reached, "no_group": unbound})


async def _derive_again(ctx: Context, order: Order, notice: ChangeNotice) -> None:
    """Every deadline that hangs on the delivery date follows it; the log says why."""
    await ctx.uow.timers.cancel_subject(urging.subject(order.id or 0))
    if order.status in urging.FOLLOWED_STATES:
        await urging.schedule_follow_up(ctx, order)
    await ctx.audit(None, "deadlines.derived", "order", order.number, None,
                    {"due_date": order.due_date.isoformat(), "why": notice.number})


async def cancel(ctx: Context, actor: Actor, notice_id: int) -> None:
    notice = await own_draft(ctx, actor, notice_id)
    notice.status = ChangeStatus.CANCELLED
    await ctx.uow.changes.save(notice)
    await ctx.audit(actor, "change.cancelled", "change", notice.id or 0, None, None)


def level_buttons(notice: ChangeNotice) -> tuple[tuple[ButtonSpec, ...], ...]:
    return (
        tuple(ButtonSpec(Text(f"button.level_{n}"), _answer(notice, "level", f"l{n}"))
              for n in (1, 2, 3)),
        (ButtonSpec(Text("button.cancel"), _answer(notice, "no")),),
    )


def reason_buttons(notice: ChangeNotice, level: int) -> tuple[tuple[ButtonSpec, ...], ...]:
    """Why the chosen level is below the suggestion; 返回 shows the levels again."""
    return tuple((ButtonSpec(Text(f"reason.{reason}"),
                             _answer(notice, "level", f"l{level}_{reason}")),)
                 for reason in reasons_to_lower(notice, level)
                 ) + ((ButtonSpec(Text("button.back"), _answer(notice, "back")),),)


def order_buttons(notice: ChangeNotice, found: list[Order]) -> tuple[tuple[ButtonSpec, ...], ...]:
    return tuple(
        (ButtonSpec(Text("change.pick_label", {"number": o.number, "product": o.product,
                                               "quantity": _shown(o.quantity),
                                               "unit": o.unit or ""}),
                    _answer(notice, "pick", f"o{o.id}")),)
        for o in found
    ) + ((ButtonSpec(Text("button.cancel"), _answer(notice, "no")),),)


def _answer(notice: ChangeNotice, choice: str, detail: str | None = None) -> ButtonAnswer:
    return ButtonAnswer(AnswerTo.CHANGE_NOTICE, notice.id or 0, choice, detail)
