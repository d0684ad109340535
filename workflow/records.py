"""The sub-records an order keeps among its facts: objections to a plan, contact slips,
after-sales tickets and inspections. Stored as plain JSON in `order.facts` (so a reader of the
database or an export sees the same keys as ever), handled as typed records everywhere else."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from workflow.model import Order
from workflow.roles import Role


@dataclass(frozen=True)
class Objection:
    """A department's objection to a planned task's date (“对任务计划完成时间有异议”)."""

    by: int
    name: str
    date: date
    reason: str
    status: str = "open"  # open, accepted, kept
    escalated: bool = False  # sent up to the general manager
    decided_by: int | None = None

    def as_fact(self) -> dict[str, Any]:
        fact = {**asdict(self), "date": self.date.isoformat()}
        if self.decided_by is None:
            del fact["decided_by"]
        return fact

    @classmethod
    def of(cls, fact: dict[str, Any]) -> Objection:
        return cls(fact["by"], fact["name"], date.fromisoformat(fact["date"]), fact["reason"],
                   fact.get("status", "open"), bool(fact.get("escalated")),
                   fact.get("decided_by"))

    def decided(self, accepted: bool, by: int) -> Objection:
        return replace(self, status="accepted" if accepted else "kept", decided_by=by)


def objections_of(order: Order) -> dict[int, Objection]:
    """By the id of the task objected to."""
    return {int(task_id): Objection.of(fact)
            for task_id, fact in order.facts.get("objections", {}).items()}


def objections_fact(objections: dict[int, Objection]) -> dict[str, Any]:
    return {str(task_id): objection.as_fact() for task_id, objection in objections.items()}


@dataclass(frozen=True)
class ContactSlip:
    """A department asks another to solve a problem by a time (联系单); the answer goes back
    to the chat it was issued from."""

    number: str
    task: int
    to: Role
    by: int
    chat: int
    problem: str

    def as_fact(self) -> dict[str, Any]:
        return {**asdict(self), "to": self.to.value}

    @classmethod
    def of(cls, fact: dict[str, Any]) -> ContactSlip:
        return cls(fact["number"], fact["task"], Role(fact["to"]), fact["by"], fact["chat"],
                   fact["problem"])


def contact_slips_of(order: Order) -> list[ContactSlip]:
    return [ContactSlip.of(fact) for fact in order.facts.get("contact_slips", [])]


@dataclass(frozen=True)
class Ticket:
    """An after-sales ticket on a delivered order."""

    task: int
    kind: str
    detail: str
    by: int

    def as_fact(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, fact: dict[str, Any]) -> Ticket:
        return cls(fact["task"], fact["kind"], fact["detail"], fact["by"])


def tickets_of(order: Order) -> list[Ticket]:
    return [Ticket.of(fact) for fact in order.facts.get("tickets", [])]


@dataclass(frozen=True)
class Inspection:
    """One inspected batch. `found_at` and `raised_late` are known only for a batch with a
    problem: when it was found, and whether it was raised after the 20 minutes."""

    at: datetime
    by: int
    who: str
    source: str
    passed: int
    total: int
    rate: float
    defects: str
    serious: bool
    below_threshold: bool
    found_at: datetime | None = None
    raised_late: bool | None = None

    @property
    def has_problem(self) -> bool:
        return self.passed < self.total or bool(self.defects)

    def as_fact(self) -> dict[str, Any]:
        fact = {**asdict(self), "at": self.at.isoformat()}
        if self.found_at is None:
            del fact["found_at"], fact["raised_late"]
        else:
            fact["found_at"] = self.found_at.isoformat()
        return fact

    @classmethod
    def of(cls, fact: dict[str, Any]) -> Inspection:
        found_at = fact.get("found_at")
        return cls(datetime.fromisoformat(fact["at"]), fact["by"], fact["who"], fact["source"],
                   fact["passed"], fact["total"], fact["rate"], fact["defects"],
                   fact["serious"], fact["below_threshold"],
                   datetime.fromisoformat(found_at) if found_at else None,
                   fact.get("raised_late"))


def inspections_of(order: Order) -> list[Inspection]:
    return [Inspection.of(fact) for fact in order.facts.get("inspections", [])]
