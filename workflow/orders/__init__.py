"""The order's way through the policy after intake: each step a transition of the lifecycle
table, one module per part of the way. Callers use `orders.<step>`."""

from __future__ import annotations

# escalation before tasks: the two import each other, and only this order completes both.
from workflow import escalation  # noqa: F401
from workflow.orders.after_sales import (
    TICKET_KINDS,
    open_ticket,
)
from workflow.orders.contacts import (
    answer_contact_slip,
    issue_contact_slip,
)
from workflow.orders.contract import (
    issue_production_order,
    record_contract_fact,
    record_quote,
)
from workflow.orders.core import (
    Outdated,
    broadcast,
    facts_for,
    forbid_own_request,
    move,
    order_by_number,
    refusal,
    refuse_archived,
    save_facts,
    standing,
    tell_market,
    today,
)
from workflow.orders.holds import (
    cancel,
    hold,
    resume,
)
from workflow.orders.objections import (
    object_to,
    settle_objection,
)
from workflow.orders.planning import (
    PlanRevision,
    plan_moment,
    read_plan_of,
    revise_plan,
    submit_plan,
    task_words,
)
from workflow.orders.procurement import (
    DELAY_SUBJECTS,
    check_arrival,
    close_purchase_follow_ups,
    confirm_dispatch_on,
    not_dispatched,
    report_delay,
    tell_procurement_leaders_and_manufacturing,
)
from workflow.orders.progress import (
    acknowledge,
    finish,
    report_progress,
)
from workflow.orders.review import (
    INFEASIBLE_REASONS,
    after_review,
    answer_review,
    customer_refuses,
    decide,
    propose_date,
    reopen_review,
    review_to_answer,
)
from workflow.orders.shipping import (
    close,
    confirm_payment,
    issue_shipping_notice,
    record_consent,
    record_warehoused,
    ship,
)
from workflow.orders.steps import (
    next_steps,
    payment_missing,
    require_step,
    step_buttons,
    tell_market_next,
)
from workflow.parsing.plans import ORDER_NUMBER, PLAN_WORDS, PlanLine, PlanProblem
from workflow.parsing.task_reports import Report, read_report
from workflow.tasks import task_for

__all__ = [
    "DELAY_SUBJECTS",
    "INFEASIBLE_REASONS",
    "ORDER_NUMBER",
    "Outdated",
    "PLAN_WORDS",
    "PlanLine",
    "PlanProblem",
    "PlanRevision",
    "Report",
    "TICKET_KINDS",
    "acknowledge",
    "after_review",
    "annotations",
    "answer_contact_slip",
    "answer_review",
    "broadcast",
    "cancel",
    "check_arrival",
    "close",
    "close_purchase_follow_ups",
    "confirm_dispatch_on",
    "confirm_payment",
    "customer_refuses",
    "decide",
    "facts_for",
    "finish",
    "forbid_own_request",
    "hold",
    "issue_contact_slip",
    "issue_production_order",
    "issue_shipping_notice",
    "move",
    "next_steps",
    "not_dispatched",
    "object_to",
    "open_ticket",
    "order_by_number",
    "payment_missing",
    "plan_moment",
    "propose_date",
    "read_plan_of",
    "read_report",
    "record_consent",
    "record_contract_fact",
    "record_quote",
    "record_warehoused",
    "refusal",
    "refuse_archived",
    "reopen_review",
    "report_delay",
    "report_progress",
    "require_step",
    "resume",
    "review_to_answer",
    "revise_plan",
    "save_facts",
    "settle_objection",
    "ship",
    "standing",
    "step_buttons",
    "submit_plan",
    "task_for",
    "task_words",
    "tell_market",
    "tell_market_next",
    "tell_procurement_leaders_and_manufacturing",
    "today",
]
