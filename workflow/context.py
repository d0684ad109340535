"""What every use case runs with: who acts, and the unit of work, clock reading and policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar
from workflow.errors import AdminOnly, Forbidden
from workflow.model import ButtonSpec, Notification, Order, Person, Text
from workflow.policy import Policy
from workflow.ports import Deadlines, UnitOfWork
from workflow.roles import Role


@dataclass(frozen=True)
class Actor:
    person: Person
    is_admin: bool = False

    def require(self, *roles: Role) -> None:
        if not any(self.person.has_role(role) for role in roles):
            raise Forbidden(*roles)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise AdminOnly()


@dataclass
class Context:
    uow: UnitOfWork
    now: datetime
    deadlines: Deadlines
    tz: ZoneInfo
    policy: Policy
    calendar: WorkingCalendar
    admin_ids: frozenset[int] = frozenset()
    origin: int | None = None  # the person whose message or tap this unit of work answers
    events: list[str] = field(default_factory=list)
    # Departments that had no group to be told in, and who was told in private instead.
    without_group: dict[Role, list[int]] = field(default_factory=dict)

    async def audit(
        self,
        actor: Actor | None,
        action: str,
        subject_type: str,
        subject_id: str | int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await self.uow.audit.append(
            at=self.now,
            actor_id=actor.person.id if actor else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            before=before,
            after=after,
        )
        self.events.append(action)

    async def notify(self, note: Notification) -> None:
        await self.uow.outbox.enqueue(note, self.now, self.origin)

    async def withdraw_buttons(self, task_id: int) -> None:
        """The task is no longer open: no message keeps buttons that act on it (those sent
        lose them by an edit, those still owed go without them)."""
        await self.uow.outbox.withdraw_task(task_id, self.now)

    async def leaders_of(self, role: Role) -> list[int]:
        return [p.id for p in await self.uow.people.holders(role) if p.leads(role)]

    async def notify_each(self, person_ids: Iterable[int], text: Text, *, kind: str,
                          order_number: str | None) -> None:
        """In private, once per person however many roles name them."""
        for person_id in dict.fromkeys(person_ids):
            await self.notify(Notification(person_id, text, kind, order_number))

    async def notify_department(
        self,
        role: Role,
        text: Text,
        *,
        kind: str,
        order_number: str | None,
        buttons: tuple[tuple[ButtonSpec, ...], ...] = (),
    ) -> int:
        """To the department's groups; how many there were. A department with no group the
        bot is in hears it in private, and administrators are told once that it has none."""
        chats = await self.uow.chats.of_department(role)
        for chat in chats:
            await self.notify(Notification(chat.id, text, kind, order_number, buttons))
        if not chats:
            # A group the bot was removed from hands over to the leaders (and was reported
            # when it happened); a department never given a group is everyone's who holds it.
            lost = await self.uow.chats.of_department(role, active_only=False)
            people = await (self.leaders_or_holders(role) if lost
                            else self.department_people(role))
            for person_id in people:
                await self.notify(Notification(person_id, text, kind, order_number, buttons,
                                               for_role=role))
            self.without_group[role] = people
            if not lost:
                await self.tell_admins_once(f"unbound.{role.value}", Text(
                    "admin.department_unbound",
                    {"role": role, "people": await self.names(people)}))
        return len(chats)

    async def department_people(self, role: Role) -> list[int]:
        """Everyone holding the role, leaders first."""
        holders = await self.uow.people.holders(role)
        return [p.id for p in sorted(holders, key=lambda p: not p.leads(role))]

    async def leaders_or_holders(self, role: Role) -> list[int]:
        """The department's leaders, or everyone holding the role when nobody leads it."""
        holders = await self.uow.people.holders(role)
        leaders = [p.id for p in holders if p.leads(role)]
        return leaders or [p.id for p in holders]

    async def names(self, person_ids: Iterable[int]) -> list[str]:
        """People's names for a message; the renderer joins them in the reader's language."""
        people = [await self.uow.people.get(person_id) for person_id in person_ids]
        return [p.name for p in people if p is not None]

    async def tell_admins(self, text: Text) -> None:
        for admin_id in sorted(self.admin_ids):
            await self.notify(Notification(admin_id, text, "admin", None))

    async def tell_admins_once(self, topic: str, text: Text) -> bool:
        """Administrators hear of a standing problem once, not with every message."""
        if not self.admin_ids or await self.uow.audit.exists(f"told.{topic}", "admins", 0):
            return False
        await self.tell_admins(text)
        await self.audit(None, f"told.{topic}", "admins", 0)
        return True


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def order_params(order: Order, tz: ZoneInfo) -> dict[str, Any]:
    """The order's fields as message parameters."""
    return {
        "number": order.number,
        "customer": order.customer,
        "product": order.product,
        "model": order.model or "-",
        "quantity": number_text(order.quantity),
        "unit": order.unit or "",
        "due_date": order.due_date.isoformat(),
    }


def number_text(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
