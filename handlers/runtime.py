"""What handlers need from the process, wired once by bot.app.bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar
from workflow.context import Context
from workflow.parsing import Lexicon
from workflow.policy import Policy
from workflow.ports import Clock, Deadlines, UnitOfWork, UnitOfWorkFactory


class Recorder(Protocol):
    """Sees every message the bot sends or edits, with the bot's own classification."""

    def __call__(
        self,
        *,
        chat_id: int,
        message_id: int,
        text: str,
        buttons: list[list[str]],
        kind: str,
        order: str | None,
        edit: bool,
        at: datetime,
    ) -> None: ...


class LexiconSource(Protocol):
    """The parser's known names, growing as orders are registered."""

    def __call__(self) -> Lexicon: ...
    def learn(self, customer: str, product: str) -> None: ...


@dataclass
class Runtime:
    unit_of_work: UnitOfWorkFactory
    clock: Clock
    deadlines: Deadlines
    tz: ZoneInfo
    admin_ids: frozenset[int]
    policy: Policy
    calendar: WorkingCalendar
    lexicon: LexiconSource | None = None
    recorder: Recorder | None = None
    wake_sender: Callable[[], None] = field(default=lambda: None)
    # Sends a handler's committed answers at once (the outbox sender, wired by the bootstrap).
    deliver_now: Callable[[list[Any]], Awaitable[Any]] | None = None
    # How long a process's claim on work lasts unrenewed (settings.lease).
    lease: timedelta = timedelta(seconds=60)
    # Updates a handler marked handled in its own unit of work, or found handled or taken by
    # another process; the intake marks the rest.
    handled: set[int] = field(default_factory=set)
    # Updates whose turn failed every try, with the last try's error: the intake decides
    # whether they wait in the inbox for later or are set aside.
    unfinished: dict[int, Exception] = field(default_factory=dict)
    # This process, as the taker of an update whose turn runs (see workflow.ports.Turns).
    taker: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Updates another process had taken when their turn came, with when its hold ends: the
    # intake tries them again then, in case that process died.
    taken_elsewhere: dict[int, datetime] = field(default_factory=dict)
    # Where people open the web pages (settings.web_url): links the bot gives start with it.
    web_url: str = "http://127.0.0.1:8080"

    def context(self, uow: UnitOfWork, now: datetime, origin: int | None = None) -> Context:
        """A service Context for one unit of work at `now`, caused by `origin` if a person."""
        return Context(uow, now, self.deadlines, self.tz, self.policy, self.calendar,
                       self.admin_ids, origin)
