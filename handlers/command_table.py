"""Every command and who may use it: what /help lists, and what a mistyped command is
matched against."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.order_commands import LEADER_COMMANDS, ORDER_COMMAND_ROLES
from handlers.turn import Turn
from workflow.evaluation import may_read_reports
from workflow.roles import Role


@dataclass(frozen=True)
class CommandInfo:
    name: str
    roles: tuple[Role, ...] = ()
    admin: bool = False
    leaders: bool = False  # leaders of any department and the general manager
    # Only the leaders of `roles` (a general manager needs no mark), as the lifecycle says.
    leaders_of_roles: bool = False
    admins_too: bool = False

    def allowed(self, turn: Turn) -> bool:
        if self.admin or (self.admins_too and turn.actor.is_admin):
            return turn.actor.is_admin
        if self.leaders:
            return may_read_reports(turn.actor)
        if self.leaders_of_roles:
            return any(turn.person.leads(role) or (role is Role.GM and turn.person.has_role(role))
                       for role in self.roles)
        return not self.roles or any(turn.person.has_role(role) for role in self.roles)


# The departments whose leaders keep their own roster (the general manager leads no one).
KEPT_BY_LEADERS = tuple(role for role in Role if role is not Role.GM)

COMMANDS = (
    CommandInfo("help"),
    CommandInfo("whoami"),
    CommandInfo("lang"),
    CommandInfo("roles"),
    CommandInfo("order", roles=(Role.MARKET,)),
    CommandInfo("change", roles=(Role.MARKET, Role.TECH)),
    *(CommandInfo(name, roles=roles, leaders_of_roles=name in LEADER_COMMANDS)
      for name, roles in ORDER_COMMAND_ROLES.items()),
    # Replies to a task's message; every role owns tasks.
    CommandInfo("progress", roles=tuple(Role)),
    CommandInfo("done", roles=tuple(Role)),
    CommandInfo("delay", roles=(Role.PROCUREMENT,)),
    CommandInfo("report", leaders=True),
    CommandInfo("credit", roles=(Role.FINANCE, Role.MARKET, Role.GM)),
    CommandInfo("track", roles=(Role.MARKET,)),
    CommandInfo("web", roles=tuple(Role)),
    CommandInfo("bind", admin=True),
    CommandInfo("deliveries", admin=True),
    # Administrators, and each department's leaders for their own department.
    CommandInfo("role", roles=KEPT_BY_LEADERS, leaders_of_roles=True, admins_too=True),
    CommandInfo("unrole", roles=KEPT_BY_LEADERS, leaders_of_roles=True, admins_too=True),
)
