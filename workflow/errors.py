"""Refusals the domain gives, each carrying the localized text that explains it."""

from __future__ import annotations

from workflow.model import Text
from workflow.roles import Role


class DomainError(Exception):
    def __init__(self, text: Text) -> None:
        super().__init__(text.key)
        self.text = text


class Forbidden(DomainError):
    def __init__(self, *roles: Role, leader: bool = False) -> None:
        key = "error.needs_leader" if leader else "error.needs_role"
        super().__init__(Text(key, {"roles": roles}))
        self.roles = roles


class AdminOnly(DomainError):
    def __init__(self) -> None:
        super().__init__(Text("error.admin_only"))


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class TaskClosed(DomainError):
    """The task was handled already: a button pressed on an old copy of its card."""

    def __init__(self, status: str) -> None:
        super().__init__(Text("error.task_closed", {"status": status}))
