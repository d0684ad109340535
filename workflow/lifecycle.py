"""The order lifecycle as data: rows of (state, action, next state, roles allowed, guard).

Modelled on a document workflow table: one row per allowed move; anything not in the table is
refused. Guards are names of checks on the order's recorded facts, so the table stays data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workflow.model import ENDED_STATUSES
from workflow.model import OrderStatus as S
from workflow.roles import Role


class Action(StrEnum):
    REVIEW_PASSED = "review_passed"  # every reviewing department found the date feasible
    REVIEW_FAILED = "review_failed"  # one found it infeasible
    PROPOSE_DATE = "propose_date"  # market agreed a later date with the customer: review again
    CUSTOMER_REFUSES = "customer_refuses"  # no later date possible: to the general manager
    DECLINE = "decline"  # 呈送总经理核准不接订单
    KEEP_NEGOTIATING = "keep_negotiating"  # the GM sends it back to market
    RECORD_QUOTE = "record_quote"
    CONTRACT_EFFECTIVE = "contract_effective"  # signed by the customer and paid
    ISSUE_PRODUCTION_ORDER = "issue_production_order"
    SUBMIT_PLAN = "submit_plan"
    RECORD_WAREHOUSED = "record_warehoused"
    ISSUE_SHIPPING_NOTICE = "issue_shipping_notice"
    SHIP = "ship"
    CLOSE = "close"
    HOLD = "hold"
    RESUME = "resume"
    CANCEL = "cancel"
    REOPEN_REVIEW = "reopen_review"  # a level-3 change: reviewed again as a non-regular order
    CHANGE_REVIEW_PASSED = "change_review_passed"  # back to where the change found the order


SYSTEM = "system"  # moves the bot makes itself when the facts are complete


@dataclass(frozen=True)
class Transition:
    state: S
    action: Action
    next_state: S | None  # None: back to the state the fact `back_to` names
    roles: tuple[Role | str, ...]
    guards: tuple[str, ...] = ()  # checks on the order's facts that must all hold
    leader_only: bool = False
    back_to: str = "held_from"


ACTIVE_BEFORE_SHIPPING = (S.REVIEW, S.NEGOTIATING, S.AWAITING_DECISION, S.QUOTE, S.CONTRACT,
                          S.EFFECTIVE, S.PLANNING, S.PRODUCTION, S.WAREHOUSED)
# A level-3 change found the order here: once the re-review passes it comes back, since the
# contract, plan and work it already has stand. Before the contract it goes on to the quote.
RETURNS_AFTER_REVIEW = (S.CONTRACT, S.EFFECTIVE, S.PLANNING, S.PRODUCTION, S.WAREHOUSED,
                        S.SHIPPING)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.REVIEW, Action.REVIEW_PASSED, S.QUOTE, (SYSTEM,),
               ("all_reviews_feasible", "not_a_change_review")),
    Transition(S.REVIEW, Action.CHANGE_REVIEW_PASSED, None, (SYSTEM,),
               ("all_reviews_feasible", "change_review"), back_to="reviewed_from"),
    Transition(S.REVIEW, Action.REVIEW_FAILED, S.NEGOTIATING, (SYSTEM,)),
    Transition(S.NEGOTIATING, Action.PROPOSE_DATE, S.REVIEW, (Role.MARKET,), ("date_in_future",)),
    Transition(S.NEGOTIATING, Action.CUSTOMER_REFUSES, S.AWAITING_DECISION, (Role.MARKET,)),
    Transition(S.AWAITING_DECISION, Action.DECLINE, S.DECLINED, (Role.GM,), ("not_own_request",)),
    Transition(S.AWAITING_DECISION, Action.KEEP_NEGOTIATING, S.NEGOTIATING, (Role.GM,)),
    Transition(S.QUOTE, Action.RECORD_QUOTE, S.CONTRACT, (Role.MARKET,), ("quote_recorded",)),
    Transition(S.CONTRACT, Action.CONTRACT_EFFECTIVE, S.EFFECTIVE, (SYSTEM,), ("signed_and_paid",)),
    Transition(S.EFFECTIVE, Action.ISSUE_PRODUCTION_ORDER, S.PLANNING, (Role.MARKET,)),
    Transition(S.PLANNING, Action.SUBMIT_PLAN, S.PRODUCTION, (Role.MANUFACTURING,),
               ("plan_has_tasks",)),
    Transition(S.PRODUCTION, Action.RECORD_WAREHOUSED, S.WAREHOUSED,
               (Role.MANUFACTURING, Role.WAREHOUSE), ("production_tasks_done",)),
    Transition(S.WAREHOUSED, Action.ISSUE_SHIPPING_NOTICE, S.SHIPPING, (Role.MARKET,),
               ("payment_confirmed",)),
    Transition(S.SHIPPING, Action.SHIP, S.SHIPPED, (Role.WAREHOUSE,), ("full_or_consented",)),
    Transition(S.SHIPPED, Action.CLOSE, S.CLOSED, (Role.MARKET,),
               ("missing_parts_delivered", "feedback_recorded")),
    *(Transition(state, Action.HOLD, S.ON_HOLD, (Role.MARKET, Role.GM), leader_only=True)
      for state in (*ACTIVE_BEFORE_SHIPPING, S.SHIPPING)),
    Transition(S.ON_HOLD, Action.RESUME, None, (Role.MARKET, Role.GM), leader_only=True),
    *(Transition(state, Action.REOPEN_REVIEW, S.REVIEW, (SYSTEM,))
      for state in (*ACTIVE_BEFORE_SHIPPING, S.SHIPPING) if state is not S.REVIEW),
    *(Transition(state, Action.CANCEL, S.CANCELLED, (Role.MARKET, Role.GM), leader_only=True)
      for state in (*ACTIVE_BEFORE_SHIPPING, S.ON_HOLD)),
)

# Actions only the leaders of their roles may take, in whatever state.
LEADER_ACTIONS = frozenset(t.action for t in TRANSITIONS if t.leader_only)

_BY_KEY: Mapping[tuple[S, Action], Transition] = {(t.state, t.action): t for t in TRANSITIONS}

TERMINAL = ENDED_STATUSES


@dataclass(frozen=True)
class Refusal:
    reason: str  # "no_transition" | "role" | "leader" | a guard's name
    roles: tuple[Role | str, ...] = ()


def own_request(actor_id: int | None, requested_by: int | None) -> bool:
    """The policy has one person ask and another decide (呈送…核准, 向计划下达部门提出, 评审,
    更改通知单…答复): whoever asked may not approve, decide or answer it themselves."""
    return actor_id is not None and actor_id == requested_by


GuardFacts = Mapping[str, Any]
GUARDS: Mapping[str, Callable[[GuardFacts], bool]] = {
    "all_reviews_feasible": lambda f: bool(f.get("reviews")) and all(
        r == "feasible" for r in f["reviews"]),
    "date_in_future": lambda f: f.get("new_due_date") is not None
    and f["new_due_date"] >= f["today"],
    "not_own_request": lambda f: not own_request(f.get("actor_id"), f.get("requested_by")),
    "not_a_change_review": lambda f: not f.get("reviewed_from"),
    "change_review": lambda f: bool(f.get("reviewed_from")),
    "quote_recorded": lambda f: (f.get("quote_amount") or 0) > 0,
    "signed_and_paid": lambda f: bool(f.get("signed")) and bool(f.get("paid")),
    "plan_has_tasks": lambda f: bool(f.get("planned_tasks")),
    "production_tasks_done": lambda f: not f.get("open_production_tasks"),
    "payment_confirmed": lambda f: bool(f.get("payment_confirmed")),
    "full_or_consented": lambda f: (f.get("shipped_quantity") or 0) >= (f.get("quantity") or 0)
    or bool(f.get("short_shipment_consent")),
    "feedback_recorded": lambda f: bool(f.get("feedback")),
    # A short shipment's follow-up must not be dropped by closing the order under it.
    "missing_parts_delivered": lambda f: not f.get("open_missing_parts"),
}


def find(state: S, action: Action) -> Transition | None:
    return _BY_KEY.get((state, action))


def check(
    state: S,
    action: Action,
    *,
    roles: Mapping[Role, bool] | None,
    facts: GuardFacts,
    settled: frozenset[str] = frozenset(),
) -> Transition | Refusal:
    """The transition to take, or why not. `roles=None` is the bot itself acting; `settled`
    guards are taken as holding (what a person is about to be asked for)."""
    transition = find(state, action)
    if transition is None:
        return Refusal("no_transition")
    if roles is None:
        if SYSTEM not in transition.roles:
            return Refusal("role", transition.roles)
    else:
        allowed = [r for r in transition.roles if isinstance(r, Role) and r in roles]
        if not allowed:
            return Refusal("role", tuple(r for r in transition.roles if r != SYSTEM))
        # The general manager leads the company: no leader mark needed for leaders' moves.
        if transition.leader_only and not any(roles[r] or r is Role.GM for r in allowed):
            return Refusal("leader", tuple(r for r in transition.roles if r != SYSTEM))
    for guard in transition.guards:
        if guard not in settled and not GUARDS[guard](facts):
            return Refusal(guard)
    return transition


def actions_from(state: S) -> list[Action]:
    return [t.action for t in TRANSITIONS if t.state is state]
