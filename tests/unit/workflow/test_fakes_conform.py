"""The fake unit of work behaves as the SQL one: each behaviour below runs against both (SQLite
per test, PostgreSQL when TEST_DATABASE_URL is set), so the fake cannot drift silently."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from storage.uow import SqlUnitOfWork
from tests.unit.workflow.fakes import (
    CALENDAR,
    NOW,
    POLICY,
    SHANGHAI,
    FakeStore,
    PolicyDeadlines,
)
from tests.unit.workflow.journey import DUE, FIELDS, plan
from workflow import orders, services
from workflow.context import Actor, Context
from workflow.model import (
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    ChangeNotice,
    ChangeStatus,
    Notification,
    Order,
    OrderDraft,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
    UrgeSlip,
    UrgeStatus,
)
from workflow.parsing.task_reports import Report
from workflow.roles import Role

Factory = Callable[[], Any]


@pytest.fixture(params=["fake", "sql"])
def new_uow(request: pytest.FixtureRequest) -> Factory:
    """A factory of units of work over one empty database, fake or real."""
    if request.param == "fake":
        return FakeStore().uow
    sessions = request.getfixturevalue("sessions")
    return lambda: SqlUnitOfWork(sessions)


async def _order(uow: Any, number: str = "SO-20261124-001", **values: Any) -> Order:
    await uow.people.upsert(11, "李明", "liming")
    await uow.chats.upsert(-1001, "市场部")
    order = Order(None, number, values.pop("status", OrderStatus.REVIEW), "华东电力",
                  "GGD低压开关柜", 12.0, date(2026, 12, 30), 11, NOW, -1001, **values)
    return await uow.orders.add(order)


def _task(order: Order, kind: TaskKind = TaskKind.DESIGN, role: Role = Role.TECH,
          due_at: datetime | None = None) -> Task:
    return Task(None, order.id or 0, kind, role, TaskStatus.OPEN, due_at, NOW)


async def test_what_is_not_committed_is_gone(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        await uow.rollback()
    async with new_uow() as uow:
        assert await uow.orders.get(order.id or 0) is None
        order = await _order(uow)
        await uow.tasks.add(_task(order))
        await uow.commit()
    async with new_uow() as uow:  # left without commit: dropped on the way out
        await uow.audit.append(at=NOW, actor_id=None, action="x", subject_type="order",
                               subject_id=order.number)
    async with new_uow() as uow:
        assert (await uow.orders.get(order.id or 0)) is not None
        assert len(await uow.tasks.for_order(order.id or 0)) == 1
        assert await uow.audit.exists("x", "order", order.number) is False


async def test_everyone_the_bot_knows_and_the_groups_it_is_in(new_uow: Factory) -> None:
    """What a sandbox started again puts back in its emulator."""
    async with new_uow() as uow:
        await uow.people.upsert(5, "王强", "wq")
        await uow.people.upsert(6, "李明", None)
        await uow.people.grant(6, Role.MARKET, False)
        for chat_id, title in ((-100, "制造中心"), (-200, "市场部"), (-300, "旧群"), (5, "王强")):
            await uow.chats.upsert(chat_id, title)
        await uow.chats.set_active(-300, False)
        await uow.commit()
    async with new_uow() as uow:
        assert [(p.id, p.roles) for p in await uow.people.everyone()] == [
            (6, {Role.MARKET: False}), (5, {})]  # by name: 李明, 王强
        # Not the private chat, nor the group the bot was removed from.
        assert [c.title for c in await uow.chats.groups()] == ["市场部", "制造中心"]


async def test_records_come_back_as_copies_and_facts_as_json(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        fetched = await uow.orders.get(order.id or 0)
        fetched.facts["unsaved"] = True
        fetched.status = OrderStatus.QUOTE
        assert (await uow.orders.get(order.id or 0)).facts == {}
        await uow.orders.save_facts(order.id or 0, {"roles": ("tech",), "objections": {7: 1}})
        again = await uow.orders.get(order.id or 0)
        assert again.facts == {"roles": ["tech"], "objections": {"7": 1}}
        assert again.status is OrderStatus.REVIEW


async def test_closing_a_task_twice_tells_the_second_closer(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        task = await uow.tasks.add(_task(order))
        task.status, task.outcome, task.closed_by, task.closed_at = (
            TaskStatus.DONE, "done", 11, NOW)
        assert await uow.tasks.close(task) is True
        task.status, task.outcome = TaskStatus.CANCELLED, "late"
        assert await uow.tasks.close(task) is False
        stored = await uow.tasks.get(task.id or 0)
        assert (stored.status, stored.outcome, stored.closed_by) == (TaskStatus.DONE, "done", 11)
        assert await uow.tasks.acknowledge(task.id or 0, 11) is False


async def test_acknowledging_takes_an_open_task_once(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        task = await uow.tasks.add(_task(order))
        assert await uow.tasks.acknowledge(task.id or 0, 11) is True
        assert await uow.tasks.acknowledge(task.id or 0, 12) is False
        stored = await uow.tasks.get(task.id or 0)
        assert (stored.status, stored.assignee_id) == (TaskStatus.ACKNOWLEDGED, 11)


async def test_task_lists_keep_their_order(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        late = await uow.tasks.add(_task(order, due_at=NOW + timedelta(days=2)))
        soon = await uow.tasks.add(_task(order, TaskKind.PURCHASE, Role.PROCUREMENT,
                                         NOW + timedelta(days=1)))
        also_soon = await uow.tasks.add(_task(order, due_at=NOW + timedelta(days=1)))
        closed = await uow.tasks.add(_task(order, due_at=NOW))
        closed.status = TaskStatus.CANCELLED
        await uow.tasks.close(closed)
        undated = await uow.tasks.add(_task(order, due_at=None))
        assert [t.id for t in await uow.tasks.for_order(order.id or 0)] == [
            late.id, soon.id, also_soon.id, closed.id, undated.id]
        # a task with no due time comes last, on SQLite as on PostgreSQL
        assert [t.id for t in await uow.tasks.open_for_roles([Role.TECH, Role.PROCUREMENT])
                ] == [soon.id, also_soon.id, late.id, undated.id]
        assert [t.id for t in await uow.tasks.open_for_roles([Role.TECH])] == [
            also_soon.id, late.id, undated.id]


async def test_a_task_is_added_open_with_nothing_recorded_yet(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        task = _task(order)
        task.outcome, task.progress = "done", 50  # not what a new task can carry
        await uow.tasks.add(task)
        task.progress, task.progress_note = 40, "一半"
        await uow.tasks.record_progress(task)
        stored = await uow.tasks.get(task.id or 0)
        assert (stored.outcome, stored.progress, stored.progress_note) == (None, 40, "一半")


async def test_a_timer_key_is_spent_once_used(new_uow: Factory) -> None:
    async with new_uow() as uow:
        assert await uow.timers.schedule("remind", "task:1", NOW, "remind:1") is True
        assert await uow.timers.schedule("remind", "task:1", NOW, "remind:1") is False
        assert await uow.timers.schedule("escalate", "task:1", NOW, "escalate:1:0") is True
        assert await uow.timers.reschedule("remind:1", NOW + timedelta(hours=1)) is True
        assert await uow.timers.cancel_subject("task:1") == 2
        assert await uow.timers.cancel_subject("task:1") == 0
        assert await uow.timers.reschedule("remind:1", NOW) is False
        assert await uow.timers.schedule("remind", "task:1", NOW, "remind:1") is False
        assert await uow.timers.reschedule("unknown", NOW) is False


async def test_order_numbers_count_per_day_and_active_orders_are_under_way(
        new_uow: Factory) -> None:
    async with new_uow() as uow:
        day = date(2026, 11, 24)
        assert [await uow.orders.next_sequence(day) for _ in range(3)] == [1, 2, 3]
        assert await uow.orders.next_sequence(day + timedelta(days=1)) == 1
        live = await _order(uow, "SO-20261124-001")
        await _order(uow, "SO-20261124-002", status=OrderStatus.SHIPPED)
        planned = await _order(uow, "SO-20261124-003", status=OrderStatus.ON_HOLD)
        assert [o.id for o in await uow.orders.active()] == [live.id, planned.id]
        assert (await uow.orders.by_number("SO-20261124-002")).status is OrderStatus.SHIPPED
        assert [o.number for o in await uow.orders.matching("华东", "开关柜",
                                                           [OrderStatus.REVIEW])] == [live.number]
        assert len(await uow.orders.registered_since("华东电力", "GGD低压开关柜", 12.0,
                                                     NOW - timedelta(minutes=1))) == 3
        assert await uow.orders.registered_since("华东电力", "GGD低压开关柜", 12.0,
                                                 NOW + timedelta(minutes=1)) == []


async def test_people_roles_and_reachability(new_uow: Factory) -> None:
    async with new_uow() as uow:
        await uow.people.upsert(31, "王强", "WangQiang")
        await uow.people.upsert(32, "刘洋", None)
        await uow.people.grant(31, Role.MANUFACTURING, True)
        await uow.people.grant(32, Role.MANUFACTURING, False)
        await uow.people.grant(32, Role.MANUFACTURING, True)
        assert [(p.id, p.leads(Role.MANUFACTURING))
                for p in await uow.people.holders(Role.MANUFACTURING)] == [(31, True), (32, True)]
        assert (await uow.people.by_username("wangqiang")).id == 31
        assert (await uow.people.by_name("刘洋")).id == 32
        assert await uow.people.revoke(32, Role.MANUFACTURING) is True
        assert await uow.people.revoke(32, Role.MANUFACTURING) is False
        assert [p.id for p in await uow.people.with_any_role()] == [31]
        assert await uow.people.mark_unreachable(31, NOW) is True
        assert await uow.people.mark_unreachable(31, NOW) is False
        assert await uow.people.mark_reachable(31) is True
        assert await uow.people.mark_reachable(31) is False
        renamed = await uow.people.upsert(31, "王强2", None)
        assert (renamed.name, renamed.roles) == ("王强2", {Role.MANUFACTURING: True})


async def test_chats_bind_lose_and_migrate_once(new_uow: Factory) -> None:
    async with new_uow() as uow:
        await uow.chats.upsert(-1003, "制造中心")
        await uow.chats.bind(-1003, Role.MANUFACTURING)
        order = await _order(uow)
        assert await uow.chats.set_active(-1003, False) is True
        assert await uow.chats.set_active(-1003, False) is False
        assert await uow.chats.of_department(Role.MANUFACTURING) == []
        assert [c.id for c in await uow.chats.of_department(
            Role.MANUFACTURING, active_only=False)] == [-1003]
        await uow.chats.set_active(-1003, True)
        assert (await uow.chats.migrate(-1003, -1009)).department is Role.MANUFACTURING
        assert await uow.chats.migrate(-1003, -1009) is None
        assert [c.id for c in await uow.chats.of_department(Role.MANUFACTURING)] == [-1009]
        assert (await uow.orders.get(order.id or 0)).chat_id == -1001
        await uow.chats.migrate(-1001, -1010)
        assert (await uow.orders.get(order.id or 0)).chat_id == -1010


async def test_the_newest_pending_draft_is_found(new_uow: Factory) -> None:
    async with new_uow() as uow:
        await uow.people.upsert(11, "李明", None)
        await uow.chats.upsert(-1001, None)
        asking = await uow.drafts.add(OrderDraft(None, -1001, 11, {"customer": "甲"}, NOW,
                                                 asking="product"))
        waiting = await uow.drafts.add(OrderDraft(None, -1001, 11, {"customer": "乙"}, NOW))
        assert (await uow.drafts.pending_in(-1001, 11)).id == waiting.id
        assert (await uow.drafts.asking_in(-1001, 11)).id == asking.id
        assert await uow.drafts.pending_in(-1001, 12) is None


async def test_urge_slips_and_change_notices_count_and_settle_once(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        slip = await uow.urge_slips.add(UrgeSlip(None, "CS-1", order.id or 0, UrgeStatus.DRAFT,
                                                 ["a|b"], "", None, NOW))
        assert await uow.urge_slips.settle(slip.id or 0, UrgeStatus.SENT, NOW) is True
        assert await uow.urge_slips.settle(slip.id or 0, UrgeStatus.DROPPED, NOW) is False
        stored = await uow.urge_slips.get(slip.id or 0)
        assert (stored.status, stored.sent_at) == (UrgeStatus.SENT, NOW)
        assert await uow.urge_slips.count_for(order.id or 0) == 1
        draft = await uow.changes.add(ChangeNotice(None, None, order.id, ChangeStatus.DRAFT,
                                                   {"quantity": 10}, 1, 11, NOW, -1001))
        assert await uow.changes.count_for(order.id or 0) == 0
        draft.number, draft.status = "CN-1", ChangeStatus.OPEN
        await uow.changes.save(draft)
        assert await uow.changes.count_for(order.id or 0) == 1
        assert (await uow.changes.by_number("CN-1")).status is ChangeStatus.OPEN
        assert [n.id for n in await uow.changes.for_order(order.id or 0)] == [draft.id]


async def test_the_audit_trail_finds_a_subject_by_its_text(new_uow: Factory) -> None:
    async with new_uow() as uow:
        for action in ("task.open", "task.done"):
            await uow.audit.append(at=NOW, actor_id=None, action=action, subject_type="task",
                                   subject_id=7, after={"kind": TaskKind.DESIGN})
        assert await uow.audit.exists("task.open", "task", "7") is True
        assert await uow.audit.exists("task.open", "task", 8) is False
        events = await uow.audit.for_subject("task", 7)
        assert [(e.action, e.subject_id, e.after) for e in events] == [
            ("task.open", "7", {"kind": "design"}), ("task.done", "7", {"kind": "design"})]


async def test_an_update_is_claimed_once(new_uow: Factory) -> None:
    async with new_uow() as uow:
        # Storing an update is the intake's, not a port's: each unit of work does it its way.
        if isinstance(uow, SqlUnitOfWork):
            await uow.inbox.store(5, {"update_id": 5}, NOW)
        else:
            uow.inbox.store(5)
        assert await uow.inbox.claim(5, NOW) is True
        assert await uow.inbox.claim(5, NOW) is False
        assert await uow.inbox.claim(6, NOW) is False


async def test_the_outbox_counts_what_it_queued(new_uow: Factory) -> None:
    async with new_uow() as uow:
        await uow.outbox.enqueue(Notification(-1001, Text("k", {"roles": (Role.TECH,)}),
                                              "notice"), NOW)
        assert uow.outbox.queued == 1
        assert (await uow.outbox.counts())["pending"] == 1
        assert await uow.outbox.move_chat(-1001, -1009) == 1
        assert await uow.outbox.dead_letters() == []


async def test_a_closed_tasks_buttons_are_taken_from_what_is_still_owed(
        new_uow: Factory) -> None:
    card = ((ButtonSpec(Text("button.ack"), ButtonAnswer(AnswerTo.TASK, 7, "ack")),
             ButtonSpec(Text("button.done"), ButtonAnswer(AnswerTo.TASK, 7, "done"))),)
    async with new_uow() as uow:
        await uow.outbox.enqueue(Notification(-1001, Text("task.assigned"), "task", None, card),
                                 NOW)
        await uow.outbox.enqueue(Notification(-1002, Text("k"), "notice", None, ((ButtonSpec(
            Text("button.ack"), ButtonAnswer(AnswerTo.TASK, 8, "ack")),),)), NOW)
        draft = ((ButtonSpec(Text("button.cancel"), ButtonAnswer(AnswerTo.DRAFT, 7, "no")),),)
        await uow.outbox.enqueue(Notification(-1003, Text("k"), "notice", None, draft),
                                 NOW)  # a draft's, not task 7's
        assert await uow.outbox.withdraw_task(7, NOW) == 1
        assert await uow.outbox.withdraw_task(7, NOW) == 0  # nothing shows them any more
        assert (await uow.outbox.counts())["pending"] == 3


async def test_the_reports_read_what_one_period_needs(new_uow: Factory) -> None:
    async with new_uow() as uow:
        order = await _order(uow)
        other = await _order(uow, "SO-20261124-002")
        before = _task(order, due_at=NOW - timedelta(days=9))
        before.created_at = NOW - timedelta(days=10)
        await uow.tasks.add(before)
        due_in = await uow.tasks.add(_task(order, due_at=NOW + timedelta(hours=1)))
        opened_in = await uow.tasks.add(_task(other, due_at=NOW + timedelta(days=30)))
        for at, action in ((NOW + timedelta(hours=2), "order.ship"), (NOW, "order.register"),
                           (NOW - timedelta(days=1), "order.register")):
            await uow.audit.append(at=at, actor_id=11, action=action, subject_type="order",
                                   subject_id=order.number)
        await uow.changes.add(ChangeNotice(None, None, order.id, ChangeStatus.DRAFT,
                                           {"quantity": 1}, 1, 11, NOW, -1001))
        reports = uow.reports
        period = (NOW - timedelta(hours=1), NOW + timedelta(days=1))
        assert [e.action for e in await reports.events(["order.register", "order.ship"],
                                                       *period)] == ["order.register",
                                                                     "order.ship"]
        assert [e.at for e in await reports.events_of("order", [order.number])] == [
            NOW - timedelta(days=1), NOW, NOW + timedelta(hours=2)]
        assert [t.id for t in await reports.tasks_between(*period)] == [due_in.id,
                                                                          opened_in.id]
        assert [t.id for t in await reports.tasks_of_orders([order.id])] == [before.id,
                                                                             due_in.id]
        assert [t.id for t in await reports.tasks_by_id([due_in.id, before.id])] == [
            before.id, due_in.id]
        assert [o.id for o in await reports.orders_by_number([other.number])] == [other.id]
        assert [o.id for o in await reports.orders_by_id([order.id, other.id])] == [
            order.id, other.id]
        assert await reports.notices_of_orders([order.id]) == []  # a draft has no number
        assert await reports.names([11, 99]) == {11: "李明"}


async def _walk_an_order(uow: Any) -> dict[str, Any]:
    """An order from draft to shipped by the workflow's own functions, reading back through
    the ports only: what either unit of work gives must be the same."""
    staff = {11: (Role.MARKET, False), 21: (Role.TECH, False), 31: (Role.MANUFACTURING, True),
             41: (Role.PROCUREMENT, False), 61: (Role.WAREHOUSE, False), 71: (Role.FINANCE, False)}
    actors = {}
    for person_id, (role, leader) in staff.items():
        await uow.people.upsert(person_id, f"p{person_id}", None)
        await uow.people.grant(person_id, role, leader)
        await uow.chats.upsert(-person_id, None)
        await uow.chats.bind(-person_id, role)
        actors[role] = Actor(await uow.people.get(person_id))
    ctx = Context(uow, NOW, PolicyDeadlines(), SHANGHAI, POLICY, CALENDAR, frozenset({1}))
    draft = await services.open_draft(ctx, actors[Role.MARKET], -11, dict(FIELDS))
    order = (await services.confirm_draft(ctx, actors[Role.MARKET], draft.id)).order
    for task in await uow.tasks.for_order(order.id):
        await orders.answer_review(ctx, actors[task.role], task.id, True)
    order = await uow.orders.get(order.id)
    await orders.record_quote(ctx, actors[Role.MARKET], order, 420000)
    await orders.record_contract_fact(ctx, actors[Role.MARKET], order, "signed")
    await orders.record_contract_fact(ctx, actors[Role.FINANCE], order, "paid")
    await orders.issue_production_order(ctx, actors[Role.MARKET], order)
    await orders.submit_plan(ctx, actors[Role.MANUFACTURING], order, plan(NOW))
    for kind in (TaskKind.SUPPLIER_CONTACT, TaskKind.PURCHASE, TaskKind.ASSEMBLY_FINISH):
        for task in await uow.tasks.for_order(order.id):
            if task.kind is kind and task.status is TaskStatus.OPEN:
                await orders.finish(ctx, actors[task.role], task.id, Report(quantity=40))
    order = await uow.orders.get(order.id)
    await orders.record_warehoused(ctx, actors[Role.WAREHOUSE], order)
    await orders.confirm_payment(ctx, actors[Role.FINANCE], order)
    await orders.issue_shipping_notice(ctx, actors[Role.MARKET], order, DUE)
    await orders.ship(ctx, actors[Role.WAREHOUSE], order, None)
    await uow.commit()
    stored = await uow.orders.get(order.id)
    return {
        "status": stored.status,
        "facts": sorted(stored.facts),
        "tasks": [(t.kind, t.role, t.status, t.outcome, t.parent_id is not None, t.due_at)
                  for t in await uow.tasks.for_order(order.id)],
        "order_trail": [e.action for e in await uow.audit.for_subject("order", order.number)],
        "events": ctx.events,
        "outbox": (await uow.outbox.counts())["pending"],
    }


async def test_a_whole_order_comes_out_the_same(sessions: Any) -> None:
    async with FakeStore().uow() as fake:
        in_memory = await _walk_an_order(fake)
    async with SqlUnitOfWork(sessions) as sql:
        in_sql = await _walk_an_order(sql)
    assert in_memory["status"] is OrderStatus.SHIPPED
    assert in_memory == in_sql
