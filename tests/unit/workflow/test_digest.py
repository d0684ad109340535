"""workflow/digest.py: the morning digest per department, and company-wide for the GM."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.unit.workflow.fakes import SHANGHAI, World
from tests.unit.workflow.journey import GROUPS, Company, company, effective, registered
from workflow import digest
from workflow.roles import Role

MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)  # the day the reviews fall due


async def test_each_department_hears_what_is_due_today(c: Company) -> None:
    order = await registered(c)  # reviews due 2026-11-25 10:00
    c.world.at(MORNING)
    sent = await digest.send_digests(c.world.ctx)
    by_chat = {n.chat_id: n for n in c.world.notes("digest.department")}
    assert set(by_chat) == {GROUPS[Role.TECH], GROUPS[Role.MANUFACTURING]}
    params = by_chat[GROUPS[Role.TECH]].text.params
    assert (params["today_count"], params["overdue_count"]) == (1, 0)
    assert params["today"][0].startswith(f"taskkind.feasibility_review|tech|{order.number}")
    [company_wide] = c.world.notes("digest.company")
    assert company_wide.chat_id == c.gm.person.id
    assert sent == 3


async def test_overdue_work_and_orders_near_delivery_are_named(c: Company) -> None:
    near = await effective(c, due_date=date(2026, 11, 30).isoformat())
    c.world.at(MORNING + timedelta(days=1))
    await digest.send_digests(c.world.ctx)
    [market] = c.world.notes("digest.department", chat_id=GROUPS[Role.MARKET])
    assert market.text.params["overdue_count"] == 1  # the production order, due in 4 h
    [company_wide] = c.world.notes("digest.company")
    assert near.number in company_wide.text.params["at_risk"]


async def test_nothing_due_sends_nothing(c: Company) -> None:
    c.world.at(MORNING)
    assert await digest.send_digests(c.world.ctx) == 0
    assert c.world.notes(kind="digest") == []


async def test_in_quiet_hours_the_digest_waits_for_them_to_end() -> None:
    c = company(World())
    await registered(c)
    c.world.at(datetime(2026, 11, 25, 7, 0, tzinfo=SHANGHAI))
    assert await digest.send_digests(c.world.ctx) == 0
    [held] = c.world.timers(kind="digest")
    assert held.due_at == datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert c.world.notes(kind="digest") == []
