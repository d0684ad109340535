"""No state is a trap: from every state an order can be in, the right people can bring it to
`closed`, `declined` or `cancelled` by chat commands and buttons alone — after a new date, a
hold, or a change notice of any level — and together these walks take every row of the
lifecycle table.

Each walk runs through the real Application and the emulator. It reaches its state the way
people would, then `drive_to_end` makes the move the policy expects next, as the role that
makes it, until the order is final. The audit trail proves which rows were taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI, ZHAOZONG
from tests.e2e.test_change_levels import CHEN, QUALITY, ZHENG, company_with_quality
from tests.e2e.test_lifecycle import (
    FINANCE,
    GM,
    NUMBER,
    PROCUREMENT,
    QIAN,
    SUN,
    WAREHOUSE,
    ZHOU,
)
from tests.e2e.test_order_review import ORDER
from tests.e2e.test_scenarios import audit_trail
from workflow.lifecycle import RETURNS_AFTER_REVIEW, TERMINAL, TRANSITIONS, Action
from workflow.model import OrderStatus as S

# Who answers for each department, and where.
DEPARTMENT = {"tech": (TECH, ZHANGWEI), "manufacturing": (MANUFACTURING, WANGQIANG),
              "procurement": (PROCUREMENT, ZHOU), "quality": (QUALITY, ZHENG)}
# The move the policy expects next from each state, when all goes well.
FORWARD = {S.REVIEW: Action.REVIEW_PASSED, S.NEGOTIATING: Action.PROPOSE_DATE,
           S.AWAITING_DECISION: Action.DECLINE, S.QUOTE: Action.RECORD_QUOTE,
           S.CONTRACT: Action.CONTRACT_EFFECTIVE, S.EFFECTIVE: Action.ISSUE_PRODUCTION_ORDER,
           S.PLANNING: Action.SUBMIT_PLAN, S.PRODUCTION: Action.RECORD_WAREHOUSED,
           S.WAREHOUSED: Action.ISSUE_SHIPPING_NOTICE, S.SHIPPING: Action.SHIP,
           S.SHIPPED: Action.CLOSE}
HOLDABLE = {t.state for t in TRANSITIONS if t.action is Action.HOLD}
CANCELLABLE = {t.state for t in TRANSITIONS if t.action is Action.CANCEL}
REOPENABLE = {t.state for t in TRANSITIONS if t.action is Action.REOPEN_REVIEW}
CHANGES = {1: "备注:柜体颜色改为RAL7035", 2: "交期:1月8日", 3: "备注:主要元件改为指定厂家ABB断路器"}
LEVEL_BUTTONS = {1: "1级 局部", 2: "2级 影响交期", 3: "3级 结构/元件"}


async def _status(stack: Stack) -> S:
    return S((await stack.state())["orders"][0]["status"])


async def _open_tasks(stack: Stack, *kinds: str) -> list[dict]:
    return [t for t in (await stack.state())["tasks"]
            if t["kind"] in kinds and t["status"] in ("open", "acknowledged")]


async def step(stack: Stack) -> None:
    """The next move from where the order is, made by whoever the policy gives it to."""
    status = await _status(stack)
    if status is S.REVIEW:
        for task in await _open_tasks(stack, "feasibility_review"):
            chat, person = DEPARTMENT[task["role"]]
            await stack.press(chat, person, "可行", on=f"评审 {NUMBER}")
    elif status is S.NEGOTIATING:
        await stack.say(MARKET, LIMING, f"/newdate {NUMBER} 1月15日")
    elif status is S.AWAITING_DECISION:
        await stack.press(GM, ZHAOZONG, "不接此单")
    elif status is S.QUOTE:
        await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    elif status is S.CONTRACT:
        await stack.say(MARKET, LIMING, f"/signed {NUMBER}")
        await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    elif status is S.EFFECTIVE:
        await stack.say(MARKET, LIMING, f"/prodorder {NUMBER}")
    elif status is S.PLANNING:
        await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配完成 12-15\n包装 12-17")
    elif status is S.PRODUCTION:
        for task in await _open_tasks(stack, "assembly_finish", "packaging"):
            label = "装配完成" if task["kind"] == "assembly_finish" else "包装"
            await stack.press(MANUFACTURING, WANGQIANG, "完成", on=f"📌 {label}")
        await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    elif status is S.WAREHOUSED:
        if await _open_tasks(stack, "payment_check"):
            await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
        await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")
    elif status is S.SHIPPING:
        await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER}")
    elif status is S.SHIPPED:
        await stack.say(MARKET, LIMING, f"/close {NUMBER} 客户满意")
    elif status is S.ON_HOLD:
        await stack.say(MARKET, CHEN, f"/resume {NUMBER}")
    else:
        raise AssertionError(f"no move from {status}")


async def drive(stack: Stack, until: S | None = None) -> S:
    """Move on until the order is in `until`, or final; each move must change the state."""
    for _ in range(20):
        status = await _status(stack)
        if status is until or status in TERMINAL:
            return status
        await step(stack)
        assert await _status(stack) is not status, f"stuck in {status}: {stack.texts(MARKET)[-3:]}"
    raise AssertionError("no end after 20 moves")


async def reach(stack: Stack, state: S) -> None:
    """Register the order and bring it to `state` as people would."""
    await company_with_quality(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    if state in (S.NEGOTIATING, S.AWAITING_DECISION):
        await stack.press(TECH, ZHANGWEI, "不可行")
        await stack.press(TECH, ZHANGWEI, "物料周期长")
        if state is S.AWAITING_DECISION:
            await stack.say(MARKET, LIMING, f"/refused {NUMBER}")
    assert await drive(stack, until=state) is state


async def change(stack: Stack, level: int) -> None:
    """Market files a change notice at `level`; tech and manufacturing confirm it."""
    await stack.say(MARKET, LIMING, f"/change {NUMBER} {CHANGES[level]}")
    await stack.press(MARKET, LIMING, LEVEL_BUTTONS[level])
    number = (await stack.state())["change_notices"][-1]["number"]
    await stack.press(TECH, ZHANGWEI, "确认", on=number)
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=number)


@dataclass(frozen=True)
class Walk:
    """Reach `start`, make `moves`, then `finish`: drive to the end, or cancel where it is."""

    start: S
    moves: tuple[str, ...]  # "hold", "keep" (the GM sends it back), "level1".."level3",
    # "back" (on until the state the walk started in)
    finish: str  # "drive" or "cancel"
    covers: frozenset[tuple[S, Action]] = field(default_factory=frozenset)

    @property
    def id(self) -> str:
        return "-".join((self.start.value, *self.moves, self.finish))


def _forward(state: S) -> Walk:
    """The expected next move from `state` to the end, after a hold and resume if allowed."""
    covers = {(state, FORWARD[state])}
    if state in HOLDABLE:
        covers |= {(state, Action.HOLD), (S.ON_HOLD, Action.RESUME)}
    if state is S.NEGOTIATING:
        covers.add((S.REVIEW, Action.REVIEW_FAILED))
    if state is S.AWAITING_DECISION:
        covers.add((S.NEGOTIATING, Action.CUSTOMER_REFUSES))
    return Walk(state, ("hold",) if state in HOLDABLE else (), "drive", frozenset(covers))


def _level_3(state: S) -> Walk:
    """A level-3 change reopens the review; an order under contract comes back and is then
    cancelled there, one that came before the contract goes on, or is cancelled in review."""
    covers = {(state, Action.REOPEN_REVIEW)}
    if state in RETURNS_AFTER_REVIEW:
        covers.add((S.REVIEW, Action.CHANGE_REVIEW_PASSED))
        if state in CANCELLABLE:
            return Walk(state, ("level3", "back"), "cancel",
                        frozenset(covers | {(state, Action.CANCEL)}))
        return Walk(state, ("level3",), "drive", frozenset(covers))
    if state is S.QUOTE:
        return Walk(state, ("level3", "back"), "cancel",
                    frozenset(covers | {(S.QUOTE, Action.CANCEL)}))
    if state is S.NEGOTIATING:
        return Walk(state, ("level3",), "cancel", frozenset(covers | {(S.REVIEW, Action.CANCEL)}))
    return Walk(state, ("level3",), "drive", frozenset(covers))


WALKS = [
    *(_forward(state) for state in FORWARD),
    *(_level_3(state) for state in sorted(REOPENABLE)),
    Walk(S.AWAITING_DECISION, ("keep",), "cancel", frozenset({
        (S.AWAITING_DECISION, Action.KEEP_NEGOTIATING), (S.NEGOTIATING, Action.CANCEL)})),
    Walk(S.AWAITING_DECISION, ("level1",), "cancel",
         frozenset({(S.AWAITING_DECISION, Action.CANCEL)})),
    Walk(S.PRODUCTION, ("level2",), "drive", frozenset({(S.PRODUCTION, Action.RECORD_WAREHOUSED)})),
    Walk(S.PRODUCTION, ("hold", "level3"), "cancel",
         frozenset({(S.ON_HOLD, Action.CANCEL)})),
    Walk(S.PRODUCTION, ("hold", "level3", "back"), "cancel", frozenset({
        (S.REVIEW, Action.CHANGE_REVIEW_PASSED), (S.PRODUCTION, Action.CANCEL)})),
]


def test_the_walks_take_every_row_of_the_lifecycle_table() -> None:
    """Each walk below proves its rows were taken; together they are the whole table."""
    covered = set().union(*(walk.covers for walk in WALKS))
    assert covered == {(t.state, t.action) for t in TRANSITIONS}
    # Every state an order can be in before it ends is a starting point, on_hold among them.
    assert {w.start for w in WALKS} | {S.ON_HOLD} == set(S) - TERMINAL


async def _move(stack: Stack, walk: Walk, move: str) -> None:
    before = await _status(stack)
    if move == "hold":
        await stack.say(MARKET, CHEN, f"/hold {NUMBER} 客户要求暂缓")
        assert await _status(stack) is S.ON_HOLD
    elif move == "keep":
        await stack.press(GM, ZHAOZONG, "继续协商")
        assert await _status(stack) is S.NEGOTIATING
    elif move == "back":
        assert await drive(stack, until=walk.start) is walk.start
    else:
        level = int(move.removeprefix("level"))
        await change(stack, level)
        held = before is S.ON_HOLD
        # A held order stays held and resumes into the review; a level 1 or 2 moves nothing.
        assert await _status(stack) is (S.REVIEW if level == 3 and not held else before)


@pytest.mark.parametrize("walk", WALKS, ids=lambda walk: walk.id)
async def test_no_state_is_a_trap(stack: Stack, walk: Walk) -> None:
    await reach(stack, walk.start)
    for move in walk.moves:
        await _move(stack, walk, move)
    if walk.finish == "cancel":
        await stack.say(MARKET, CHEN, f"/cancel {NUMBER} 客户撤单")
        assert await _status(stack) is S.CANCELLED
    else:
        assert await drive(stack) in TERMINAL
    walked = {(S(row.before["status"]), Action(row.action.removeprefix("order.")))
              for row in await audit_trail(stack.database_url)
              if row.action.removeprefix("order.") in set(Action) and row.subject_id == NUMBER}
    assert walk.covers <= walked, walk.covers - walked


async def test_a_level_3_notice_answered_after_shipping_still_takes_its_answers(
        stack: Stack) -> None:
    """A notice issued while the goods were leaving is answered after they left: the answers
    are taken and the change recorded, but a shipped order is not reviewed again."""
    await reach(stack, S.SHIPPING)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} {CHANGES[3]}")
    await stack.press(MARKET, LIMING, LEVEL_BUTTONS[3])
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER}")
    number = (await stack.state())["change_notices"][-1]["number"]
    await stack.press(TECH, ZHANGWEI, "确认", on=number)
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=number)
    state = await stack.state()
    assert state["change_notices"][-1]["status"] == "applied"
    assert not await _open_tasks(stack, "change_answer", "feasibility_review")
    assert await _status(stack) is S.SHIPPED
    assert "review.not_reopened" in [row.action for row in await audit_trail(stack.database_url)]
    assert await drive(stack) is S.CLOSED
