"""Domain records: plain dataclasses, statuses as string enums that are never renumbered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from workflow.roles import Role


class OrderStatus(StrEnum):
    REVIEW = "review"  # 交货期可能性评审
    NEGOTIATING = "negotiating"  # infeasible: market negotiates a later date with the customer
    AWAITING_DECISION = "awaiting_decision"  # the customer refused: the GM decides
    DECLINED = "declined"  # 核准不接订单
    QUOTE = "quote"  # 商务报价
    CONTRACT = "contract"  # 签订订单购销单: waiting for the signature and the payment
    EFFECTIVE = "effective"  # signed and paid: the production order is due within 4 h
    PLANNING = "planning"  # 生产指令 issued: manufacturing breaks the order into tasks
    PRODUCTION = "production"  # 过程管控
    WAREHOUSED = "warehoused"  # 完成入库
    SHIPPING = "shipping"  # 发货指令 issued to the warehouse and logistics
    SHIPPED = "shipped"
    CLOSED = "closed"  # record and customer feedback filed
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


# An order that has ended moves no more; one under way still has work before it ships.
ENDED_STATUSES = frozenset({OrderStatus.DECLINED, OrderStatus.CLOSED, OrderStatus.CANCELLED})
UNDER_WAY_STATUSES = tuple(s for s in OrderStatus
                           if s is not OrderStatus.SHIPPED and s not in ENDED_STATUSES)
# Shipped orders still await their closing and after-sales, so a short reference finds them.
OPEN_ORDER_STATUSES = tuple(s for s in OrderStatus if s not in ENDED_STATUSES)


class TaskStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskKind(StrEnum):
    FEASIBILITY_REVIEW = "feasibility_review"
    DECISION = "decision"  # the GM decides whether to decline
    PRODUCTION_ORDER = "production_order"  # market issues the 生产指令 within 4 h
    PLANNING = "planning"  # manufacturing breaks the order into tasks
    DESIGN = "design"
    SUBCONTRACT = "subcontract"  # 配套件生产协作
    PURCHASE = "purchase"  # arrival of purchased parts
    SUPPLIER_CONTACT = "supplier_contact"  # 提前5个工作日与供应商联系
    ASSEMBLY_START = "assembly_start"
    ASSEMBLY_FINISH = "assembly_finish"
    PACKAGING = "packaging"
    PAYMENT_CHECK = "payment_check"  # finance confirms the payment has arrived
    MISSING_PARTS = "missing_parts"  # after a short shipment
    CHANGE_ANSWER = "change_answer"  # 合同订单更改通知单: answered within 30 minutes
    QUALITY_COORDINATION = "quality_coordination"  # the quality leader acts within 30 minutes
    QUOTE = "quote"  # 商务报价, ours: within 1 working day of the review
    AFTER_SALES = "after_sales"  # a return, exchange, repair or complaint on a delivered order
    SHIPPING_NOTICE = "shipping_notice"  # 发货指令, one day before delivery
    DISPATCH_CONFIRMATION = "dispatch_confirmation"  # 送(发)货当天与供应商确认是否发出
    DELAY_REPORT = "delay_report"  # 不能按时到货, 30分钟内向部门领导报告
    CONTACT_SLIP = "contact_slip"  # 跨部门工作联系单: a problem and the time to solve it by
    SUPPLEMENTAL_CONTRACT = "supplemental_contract"  # 补签合同 after a level-3 change of price
    QUALITY_RESPONSE = "quality_response"  # a finding noted: recorded within 20 minutes
    CREDIT_REVIEW = "credit_review"  # 信用评估: finance reviews an order over the credit limit
    CREDIT_DECISION = "credit_decision"  # the GM decides on a risky customer's order


PLANNED_KINDS = (TaskKind.DESIGN, TaskKind.SUBCONTRACT, TaskKind.PURCHASE,
                 TaskKind.SUPPLIER_CONTACT, TaskKind.ASSEMBLY_START, TaskKind.ASSEMBLY_FINISH,
                 TaskKind.PACKAGING)


class DraftStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # left pending past the policy's orders.draft_expiry


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED)


@dataclass
class Person:
    id: int
    name: str
    username: str | None = None
    locale: str | None = None
    roles: dict[Role, bool] = field(default_factory=dict)  # role -> is leader
    unreachable_since: datetime | None = None  # Telegram refused a private message

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def leads(self, role: Role) -> bool:
        return self.roles.get(role, False)


@dataclass
class Chat:
    id: int
    title: str | None = None
    department: Role | None = None
    locale: str | None = None
    active: bool = True  # the bot is in the group


@dataclass
class OrderDraft:
    id: int | None
    chat_id: int
    author_id: int
    fields: dict[str, Any]
    created_at: datetime
    status: DraftStatus = DraftStatus.PENDING
    asking: str | None = None  # the required field the bot asked for


@dataclass
class Order:
    id: int | None
    number: str
    status: OrderStatus
    customer: str
    product: str
    quantity: float
    due_date: date
    created_by: int
    created_at: datetime
    chat_id: int
    model: str | None = None
    unit: str | None = None
    unit_price: float | None = None
    amount: float | None = None
    complete_set: bool = False
    order_class: str = "regular"
    notes: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # what market, finance, … recorded
    archived_at: datetime | None = None  # out of the working lists, read-only, found by /find


@dataclass
class CustomerCredit:
    """What finance keeps of a customer (信用评估): a limit on what may be owed, the payment
    terms agreed, and notes of a risk; a customer with risk notes is a risky one."""

    customer: str
    limit: float | None = None  # yuan; None: no limit, no check
    terms: str | None = None  # e.g. 月结30天
    risk: str | None = None
    updated_by: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class OrderSearch:
    """What /find looks for: words each found in an order's number, customer, product or
    model, and the instants of a period the order was received in."""

    words: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Task:
    id: int | None
    order_id: int
    kind: TaskKind
    role: Role
    status: TaskStatus
    due_at: datetime | None
    created_at: datetime
    assignee_id: int | None = None
    outcome: str | None = None
    note: str | None = None
    closed_by: int | None = None
    closed_at: datetime | None = None
    title: str | None = None
    progress: int | None = None  # percent, as last reported by its owner
    progress_note: str | None = None
    quantity: float | None = None  # what a finish counted, e.g. the accepted arrivals
    photo: str | None = None  # Telegram file id of the photo a finish or report came with
    parent_id: int | None = None  # the planned task this one came with (a purchase's contact)
    # Copied from the policy when the escalation starts, so a policy edit spares one under way.
    escalation_chain: tuple[str, ...] | None = None
    escalation_step: int | None = None  # the last step of the chain reached


@dataclass(frozen=True)
class Text:
    """A localizable message: a catalog key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class AnswerTo(StrEnum):
    """What a button answers; the answer's id is that thing's. Stored with the messages still
    owed: never renamed."""

    DRAFT = "draft"  # an order draft's card: confirm, edit, cancel
    REVIEW = "review"  # a feasibility review: feasible or not, and why not
    TASK = "task"  # a task's card: acknowledge, done, not dispatched, remind later
    GM_DECISION = "gm_decision"  # the general manager declines the order or keeps negotiating
    CHANGE_NOTICE = "change_notice"  # market's draft of a change: its order, its level
    CHANGE_ANSWER = "change_answer"  # a department confirms a change's level or raises it
    OBJECTION = "objection"  # to a task's due date
    CREDIT_REVIEW = "credit_review"
    CREDIT_DECISION = "credit_decision"
    URGE_SLIP = "urge_slip"  # market sends the drafted slip on or drops it
    CANCEL_REQUEST = "cancel_request"  # a rep asked to cancel the order
    ORDER_PICK = "order_pick"  # one order of a list: its status, or the one a command meant
    NEXT_STEP = "next_step"  # of an order

    @property
    def acts_on_task(self) -> bool:
        """Its id is a task's: a message offering it is withdrawn when the task closes."""
        return self in _ON_TASKS


_ON_TASKS = frozenset({AnswerTo.REVIEW, AnswerTo.TASK, AnswerTo.GM_DECISION,
                       AnswerTo.CHANGE_ANSWER, AnswerTo.OBJECTION, AnswerTo.CREDIT_REVIEW,
                       AnswerTo.CREDIT_DECISION})
# Plain short words and ids: what any chat's button can carry back (Telegram's holds 64 bytes).
_CHOICE = re.compile(r"[a-z]{1,16}")
_DETAIL = re.compile(r"[a-z0-9_]{1,16}")
_ID_LIMIT = 10**12


@dataclass(frozen=True)
class ButtonAnswer:
    """What pressing a button says: `choice` about the `to` whose id is `id`, and for some
    choices a `detail` (a reason, a level, the version of the card it was pressed on)."""

    to: AnswerTo
    id: int
    choice: str
    detail: str | None = None

    def __post_init__(self) -> None:
        if (not 0 <= self.id < _ID_LIMIT or not _CHOICE.fullmatch(self.choice)
                or (self.detail is not None and not _DETAIL.fullmatch(self.detail))):
            raise ValueError(f"a button cannot carry {self!r}")

    @property
    def task_id(self) -> int | None:
        return self.id if self.to.acts_on_task else None

    def as_dict(self) -> dict[str, Any]:
        return {"to": self.to.value, "id": self.id, "choice": self.choice, "detail": self.detail}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> ButtonAnswer:
        return cls(AnswerTo(stored["to"]), stored["id"], stored["choice"], stored.get("detail"))


@dataclass(frozen=True)
class ButtonSpec:
    label: Text
    answer: ButtonAnswer
    # The task whose card offers it, when its answer does not say (a next step on a task's
    # card): it goes with the task's own buttons when the task closes.
    task_id: int | None = None


def task_of_buttons(buttons: tuple[tuple[ButtonSpec, ...], ...]) -> int | None:
    """The task whose buttons these are (the first one named: no card carries two)."""
    for line in buttons:
        for button in line:
            answered = button.answer.task_id if isinstance(button.answer, ButtonAnswer) else None
            if (task := button.task_id or answered) is not None:
                return task
    return None


@dataclass(frozen=True)
class Notification:
    chat_id: int
    text: Text
    kind: str
    order_number: str | None = None
    buttons: tuple[tuple[ButtonSpec, ...], ...] = ()
    # Set when a department's message goes to one of its people because it has no group.
    for_role: Role | None = None


@dataclass(frozen=True)
class AuditEvent:
    """One row of the audit trail: who did what to which subject, and what changed."""

    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Answer:
    """A reply, edit or file a handler rendered for its chat, owed once its work commits."""

    chat_id: int
    text: str
    buttons: list[list[dict[str, str]]]
    kind: str
    order_number: str | None
    edit_message_id: int | None = None
    markup_only: bool = False
    document_name: str | None = None
    document: bytes | None = None
    as_photo: bool = False
    # A question answered by replying to it: the code of the button that asked it.
    ask: str | None = None
    # The task its buttons act on, when they do (`task_of_buttons`).
    task_id: int | None = None


@dataclass
class EscalationPing:
    """An escalation a person got about one order at one step on one day, listing its tasks;
    `folded` when it went into their next digest instead (the daily cap was reached)."""

    id: int | None
    person_id: int
    order_id: int
    step: int
    day: date
    task_ids: list[int]
    folded: bool
    at: datetime
    listed_at: datetime | None = None


@dataclass(frozen=True)
class SentMessage:
    """What the bot's message was, for a reply to it: the question it asked (its answer's
    code), and the task whose buttons it offered when sent (still, or no longer, shown)."""

    question: str | None
    task_id: int | None


@dataclass(frozen=True)
class Undelivered:
    """A message held for its recipient or given up, as administrators are shown it."""

    id: int
    chat_id: int
    status: str  # "held" | "failed"
    error: str | None
    created_at: datetime


class UrgeStatus(StrEnum):
    DRAFT = "draft"  # drafted by the follow-up, waiting for market
    SENT = "sent"
    DROPPED = "dropped"


@dataclass
class UrgeSlip:
    """催促单: what is late on an order, who owns it, and what happens next."""

    id: int | None
    number: str
    order_id: int
    status: UrgeStatus
    late: list[str]  # one line per lagging task
    note: str
    created_by: int | None
    created_at: datetime
    sent_at: datetime | None = None


class ChangeStatus(StrEnum):
    DRAFT = "draft"  # market still chooses the order or the level
    OPEN = "open"  # waiting for tech's and manufacturing's answers
    APPLIED = "applied"
    CANCELLED = "cancelled"


@dataclass
class ChangeNotice:
    """合同订单更改通知单: new values for an order, handled at one of three levels."""

    id: int | None
    number: str | None
    order_id: int | None
    status: ChangeStatus
    changes: dict[str, Any]  # field -> new value (ISO date for due_date)
    level: int
    created_by: int
    created_at: datetime
    chat_id: int
    facts: dict[str, Any] = field(default_factory=dict)


class TokenKind(StrEnum):
    TRACK = "track"  # a customer's link to one order's page
    LOGIN = "login"  # a one-time link that opens a desk session
    SESSION = "session"  # a desk session, carried in a cookie


@dataclass(frozen=True)
class WebToken:
    """A secret a web page is opened with; only its hash is stored."""

    id: int | None
    kind: TokenKind
    token_hash: str
    created_at: datetime
    order_id: int | None = None
    person_id: int | None = None
    expires_at: datetime | None = None
    used_at: datetime | None = None
    revoked_at: datetime | None = None
