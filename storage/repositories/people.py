"""People and the roles they hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as insert_or_leave
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PersonRow, RoleGrantRow
from workflow.model import Person
from workflow.roles import Role

# Every turn reads its sender with their roles: the statement is built once, since on SQLite
# building and keying a statement costs more than running it.
_people, _grants = PersonRow.__table__, RoleGrantRow.__table__
_PEOPLE_WITH_ROLES = (
    select(_people.c.id, _people.c.name, _people.c.username, _people.c.locale,
           _people.c.unreachable_since, _grants.c.role, _grants.c.leader)
    .select_from(_people.outerjoin(_grants, _grants.c.person_id == _people.c.id))
    .order_by(_people.c.id, _grants.c.role)
)
_PERSON_BY_ID = _PEOPLE_WITH_ROLES.where(_people.c.id == bindparam("person_id"))
# Each chat's updates are handled beside the others', so a person's first messages in two
# groups are two turns that each find no row: the second to write leaves the first's. The
# PostgreSQL construct compiles on SQLite (3.24 and later) too.
_INSERT_PERSON = insert_or_leave(_people).on_conflict_do_nothing()
_RENAME_PERSON = (update(_people).where(_people.c.id == bindparam("person_id"))
                  .values(name=bindparam("name"), username=bindparam("username")))


class PeopleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _grouped(rows: Any) -> list[Person]:
        """One Person per id from rows of (person columns, role, leader)."""
        people: dict[int, Person] = {}
        for person_id, name, username, locale, unreachable_since, role, leader in rows:
            person = people.setdefault(person_id, Person(person_id, name, username, locale,
                                                         unreachable_since=unreachable_since))
            if role is not None:
                person.roles[Role(role)] = leader
        return list(people.values())

    async def _with_roles(self, condition: ColumnElement[bool]) -> list[Person]:
        return self._grouped(await self.session.execute(_PEOPLE_WITH_ROLES.where(condition)))

    async def _first(self, condition: ColumnElement[bool]) -> Person | None:
        first = select(_people.c.id).where(condition).limit(1).scalar_subquery()
        found = await self._with_roles(_people.c.id == first)
        return found[0] if found else None

    async def get(self, person_id: int) -> Person | None:
        found = self._grouped(
            await self.session.execute(_PERSON_BY_ID, {"person_id": person_id}))
        return found[0] if found else None

    async def by_username(self, username: str) -> Person | None:
        return await self._first(func.lower(_people.c.username) == username.lower())

    async def by_name(self, name: str) -> Person | None:
        return await self._first(_people.c.name == name)

    async def upsert(self, person_id: int, name: str, username: str | None) -> Person:
        person = await self.get(person_id)
        if person is None:
            await self.session.execute(
                _INSERT_PERSON, {"id": person_id, "name": name, "username": username})
            return Person(person_id, name, username)
        if (person.name, person.username) != (name, username):
            await self.session.execute(
                _RENAME_PERSON, {"person_id": person_id, "name": name, "username": username})
            person.name, person.username = name, username
        return person

    async def set_locale(self, person_id: int, locale: str | None) -> None:
        await self.session.execute(
            update(_people).where(_people.c.id == person_id).values(locale=locale)
        )

    async def mark_unreachable(self, person_id: int, at: datetime) -> bool:
        """True when this is news: the person was reachable until now."""
        result = await self.session.execute(
            update(_people).where(_people.c.id == person_id,
                                  _people.c.unreachable_since.is_(None))
            .values(unreachable_since=at))
        return result.rowcount == 1

    async def mark_reachable(self, person_id: int) -> bool:
        """True when the person had been unreachable."""
        result = await self.session.execute(
            update(_people).where(_people.c.id == person_id,
                                  _people.c.unreachable_since.is_not(None))
            .values(unreachable_since=None))
        return result.rowcount == 1

    async def grant(self, person_id: int, role: Role, leader: bool) -> None:
        row = await self.session.scalar(
            select(RoleGrantRow).where(
                RoleGrantRow.person_id == person_id, RoleGrantRow.role == role.value
            )
        )
        if row is None:
            self.session.add(RoleGrantRow(person_id=person_id, role=role.value, leader=leader))
        else:
            row.leader = leader
        await self.session.flush()

    async def revoke(self, person_id: int, role: Role) -> bool:
        row = await self.session.scalar(
            select(RoleGrantRow).where(
                RoleGrantRow.person_id == person_id, RoleGrantRow.role == role.value
            )
        )
        if row is None:
            return False
        await self.session.delete(row)
        return True

    async def holders(self, role: Role) -> list[Person]:
        return await self._with_roles(_people.c.id.in_(
            select(_grants.c.person_id).where(_grants.c.role == role.value)))

    async def unreachable(self) -> list[Person]:
        return await self._with_roles(_people.c.unreachable_since.is_not(None))

    async def with_any_role(self) -> list[Person]:
        people = await self._with_roles(_people.c.id.in_(select(_grants.c.person_id)))
        return sorted(people, key=lambda person: person.name)

    async def everyone(self) -> list[Person]:
        return sorted(await self._with_roles(true()), key=lambda person: person.name)
