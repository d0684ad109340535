"""The next steps of an order a person may take with one tap, as data: which lifecycle move
or recorded fact each stands for, who may take it, and what it asks for in a reply.

The buttons' answers are made here because the domain queues messages (task cards, notices to
market) that carry them; the chat adapter reads them back in handlers/callbacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from workflow.lifecycle import TRANSITIONS, Action
from workflow.model import AnswerTo, ButtonAnswer, ButtonSpec, TaskKind, Text
from workflow.roles import Role


class Step(StrEnum):
    """Lowercase letters only: a step is the choice of a button's answer."""

    QUOTE = "quote"
    SIGNED = "signed"
    PAID = "paid"  # the customer's payment, while the contract waits for it
    PRODORDER = "prodorder"
    PLAN = "plan"
    WAREHOUSED = "warehoused"
    PAYMENT = "payment"  # finance: the payment has arrived (已到账)
    UNPAID = "unpaid"  # finance: it has not yet (未到账)
    SHIPNOTICE = "shipnotice"
    SHIP = "ship"  # the whole quantity
    SHIPPART = "shippart"  # a short shipment: asks how many
    CLOSE = "close"


# The lifecycle move a step takes; the others record a fact the moves' guards read.
MOVES: Mapping[Step, Action] = {
    Step.QUOTE: Action.RECORD_QUOTE, Step.PRODORDER: Action.ISSUE_PRODUCTION_ORDER,
    Step.PLAN: Action.SUBMIT_PLAN, Step.WAREHOUSED: Action.RECORD_WAREHOUSED,
    Step.SHIPNOTICE: Action.ISSUE_SHIPPING_NOTICE, Step.SHIP: Action.SHIP,
    Step.SHIPPART: Action.SHIP, Step.CLOSE: Action.CLOSE,
}
FACT_ROLES: Mapping[Step, tuple[Role, ...]] = {
    Step.SIGNED: (Role.MARKET,), Step.PAID: (Role.MARKET, Role.FINANCE),
    Step.PAYMENT: (Role.FINANCE,), Step.UNPAID: (Role.FINANCE,),
}

# What a step asks for in a reply; a step not listed is taken at the tap.
ASKS: Mapping[Step, str] = {
    Step.QUOTE: "amount", Step.PLAN: "plan", Step.SHIPNOTICE: "date",
    Step.SHIPPART: "quantity", Step.CLOSE: "note",
}

# Guards the answer to the step's question settles: the step is offered before it is given.
ANSWERED_GUARDS = frozenset({"quote_recorded", "plan_has_tasks", "full_or_consented",
                             "feedback_recorded"})

# The steps a task's card offers: the task is finished by taking them.
OF_TASK: Mapping[TaskKind, tuple[Step, ...]] = {
    TaskKind.QUOTE: (Step.QUOTE,), TaskKind.PRODUCTION_ORDER: (Step.PRODORDER,),
    TaskKind.PLANNING: (Step.PLAN,), TaskKind.PAYMENT_CHECK: (Step.PAYMENT, Step.UNPAID),
    TaskKind.SHIPPING_NOTICE: (Step.SHIPNOTICE,),
}


def roles_of(step: Step) -> tuple[Role, ...]:
    """Who may take the step at all, whatever the order's state."""
    if step in FACT_ROLES:
        return FACT_ROLES[step]
    return tuple(dict.fromkeys(r for t in TRANSITIONS if t.action is MOVES[step]
                               for r in t.roles if isinstance(r, Role)))


def step_answer(order_id: int, step: Step) -> ButtonAnswer:
    return ButtonAnswer(AnswerTo.NEXT_STEP, order_id, step.value)


def buttons(order_id: int, steps: list[Step]) -> tuple[tuple[ButtonSpec, ...], ...]:
    """One row, or two when a row would be too wide for a phone."""
    specs = [ButtonSpec(Text(f"button.step.{step.value}"), step_answer(order_id, step))
             for step in steps]
    return tuple(tuple(specs[i:i + 3]) for i in range(0, len(specs), 3))
