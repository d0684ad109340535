"""Tasks: who owes what on an order, by when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OPEN_TASKS, TaskRow
from workflow.model import Task, TaskKind, TaskStatus
from workflow.roles import Role


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: TaskRow) -> Task:
        return Task(
            id=row.id,
            order_id=row.order_id,
            kind=TaskKind(row.kind),
            role=Role(row.role),
            status=TaskStatus(row.status),
            due_at=row.due_at,
            created_at=row.created_at,
            assignee_id=row.assignee_id,
            outcome=row.outcome,
            note=row.note,
            closed_by=row.closed_by,
            closed_at=row.closed_at,
            title=row.title,
            progress=row.progress,
            progress_note=row.progress_note,
            quantity=row.quantity,
            photo=row.photo,
            parent_id=row.parent_id,
            escalation_chain=(tuple(row.escalation_chain)
                              if row.escalation_chain is not None else None),
            escalation_step=row.escalation_step,
        )

    async def add(self, task: Task) -> Task:
        row = TaskRow(
            order_id=task.order_id,
            kind=task.kind.value,
            role=task.role.value,
            status=task.status.value,
            due_at=task.due_at,
            created_at=task.created_at,
            assignee_id=task.assignee_id,
            title=task.title,
            parent_id=task.parent_id,
        )
        self.session.add(row)
        await self.session.flush()
        task.id = row.id
        return task

    async def get(self, task_id: int) -> Task | None:
        row = await self.session.get(TaskRow, task_id)
        return self._domain(row) if row else None

    async def close(self, task: Task) -> bool:
        """Close an open task; False when somebody else closed it first."""
        result = await self.session.execute(
            update(TaskRow)
            .where(TaskRow.id == task.id, OPEN_TASKS)
            .values(
                status=task.status.value,
                outcome=task.outcome,
                note=task.note,
                closed_by=task.closed_by,
                closed_at=task.closed_at,
                quantity=task.quantity,
                photo=task.photo,
            )
        )
        return result.rowcount == 1

    async def record_progress(self, task: Task) -> None:
        await self.session.execute(
            update(TaskRow).where(TaskRow.id == task.id).values(
                progress=task.progress, progress_note=task.progress_note, photo=task.photo))

    async def escalation_reached(self, task_id: int, chain: tuple[str, ...], step: int
                                 ) -> None:
        await self.session.execute(update(TaskRow).where(TaskRow.id == task_id).values(
            escalation_chain=list(chain), escalation_step=step))

    async def set_due(self, task_id: int, due_at: datetime) -> None:
        await self.session.execute(update(TaskRow).where(TaskRow.id == task_id)
                                   .values(due_at=due_at))

    async def acknowledge(self, task_id: int, person_id: int) -> bool:
        result = await self.session.execute(
            update(TaskRow)
            .where(TaskRow.id == task_id, TaskRow.status == TaskStatus.OPEN.value)
            .values(status=TaskStatus.ACKNOWLEDGED.value, assignee_id=person_id)
        )
        return result.rowcount == 1

    async def open_for_roles(self, roles: list[Role]) -> list[Task]:
        rows = await self.session.scalars(
            select(TaskRow)
            .where(TaskRow.role.in_([r.value for r in roles]), OPEN_TASKS)
            # A task with no due time last on both databases (SQLite would put it first).
            .order_by(TaskRow.due_at.nulls_last(), TaskRow.id)
        )
        return [self._domain(row) for row in rows]

    async def for_order(self, order_id: int) -> list[Task]:
        rows = await self.session.scalars(
            select(TaskRow).where(TaskRow.order_id == order_id).order_by(TaskRow.id)
        )
        return [self._domain(row) for row in rows]

    async def all(self) -> list[Task]:
        rows = await self.session.scalars(select(TaskRow).order_by(TaskRow.id))
        return [self._domain(row) for row in rows]
