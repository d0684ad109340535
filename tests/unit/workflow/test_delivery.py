"""workflow/delivery.py: where messages go when a group or a person cannot be reached."""

from __future__ import annotations

from tests.unit.workflow.fakes import HELD
from tests.unit.workflow.journey import GROUPS, Company
from workflow import delivery
from workflow.model import Notification, Text
from workflow.roles import Role

MAKERS = GROUPS[Role.MANUFACTURING]


async def test_a_migrated_group_keeps_its_binding_and_what_it_is_owed(c: Company) -> None:
    await c.world.ctx.notify(Notification(MAKERS, Text("x"), "notice"))
    before = await delivery.chat_migrated(c.world.ctx, MAKERS, -100999)
    assert before.department is Role.MANUFACTURING
    assert c.world.tables.chats[-100999].department is Role.MANUFACTURING
    assert [r.chat_id for r in c.world.tables.outbox] == [-100999]
    [event] = c.world.events("chat.migrated")
    assert event.after == {"to": -100999, "owed": 1}


async def test_a_lost_group_hands_over_to_its_leaders_and_admins_hear_once(c: Company) -> None:
    assert await delivery.group_lost(c.world.ctx, MAKERS) == [c.maker_lead.person.id]
    assert await delivery.group_lost(c.world.ctx, MAKERS) == [c.maker_lead.person.id]
    assert c.world.tables.chats[MAKERS].active is False
    assert len(c.world.events("chat.lost")) == 1
    assert [n.chat_id for n in c.world.notes("admin.group_lost")] == [c.admin.person.id]
    # Meanwhile the department's messages reach its leaders in private.
    await c.world.ctx.notify_department(Role.MANUFACTURING, Text("x"), kind="notice",
                                        order_number=None)
    assert c.world.told("x") == {c.maker_lead.person.id}


async def test_a_group_back_gets_what_waited_for_it(c: Company) -> None:
    await delivery.group_lost(c.world.ctx, MAKERS)
    await c.world.ctx.notify(Notification(MAKERS, Text("x"), "notice"))
    c.world.tables.outbox[-1].status = HELD  # as the sender holds it
    assert await delivery.group_back(c.world.ctx, MAKERS) == 1
    assert await delivery.group_back(c.world.ctx, MAKERS) == 0
    assert c.world.tables.outbox[-1].status == "pending"
    assert c.world.told("admin.group_back") == {c.admin.person.id}


async def test_an_unreachable_person_is_mentioned_in_their_group(c: Company) -> None:
    person = c.maker.person.id
    assert await delivery.person_unreachable(c.world.ctx, person) == MAKERS
    assert await delivery.person_unreachable(c.world.ctx, person) == MAKERS
    assert len(c.world.events("person.unreachable")) == 1
    [told] = c.world.notes("admin.person_unreachable")
    assert told.text.params["group"] == c.world.tables.chats[MAKERS].title
    assert c.world.tables.people[person].unreachable_since == c.world.now


async def test_a_person_without_a_group_has_their_messages_held(c: Company) -> None:
    assert await delivery.person_unreachable(c.world.ctx, c.gm.person.id) is None
    assert c.world.told("admin.person_unreachable_held") == {c.admin.person.id}


async def test_a_person_reachable_again_gets_what_waited(c: Company) -> None:
    person = c.maker.person.id
    await delivery.person_unreachable(c.world.ctx, person)
    await c.world.ctx.notify(Notification(person, Text("x"), "notice"))
    c.world.tables.outbox[-1].status = HELD
    assert await delivery.person_reachable(c.world.ctx, person) == 1
    assert await delivery.person_reachable(c.world.ctx, person) == 0
    assert c.world.tables.people[person].unreachable_since is None
    assert c.world.events("person.reachable")[0].after == {"released": 1}


async def test_an_update_set_aside_is_told_to_its_chat_and_the_admins_and_kept(c: Company
                                                                               ) -> None:
    await delivery.update_given_up(c.world.ctx, 77, MAKERS, "王强", "制造中心", "/plan SO-1 …",
                                   5, "ValueError: bad")
    [chat_told] = c.world.notes("update.given_up", chat_id=MAKERS)
    assert chat_told.text.params == {"name": "王强", "excerpt": "/plan SO-1 …", "rounds": 5}
    [admin_told] = c.world.notes("admin.update_given_up")
    assert admin_told.chat_id == c.admin.person.id
    assert admin_told.text.params["error"] == "ValueError: bad"
    [event] = c.world.events("update.given_up")
    assert (event.subject_type, event.subject_id) == ("update", "77")
    assert event.after == {"chat": MAKERS, "name": "王强", "text": "/plan SO-1 …", "rounds": 5,
                           "error": "ValueError: bad"}


async def test_a_button_press_set_aside_is_told_as_a_press(c: Company) -> None:
    await delivery.update_given_up(c.world.ctx, 78, MAKERS, "王强", "制造中心", None, 5, "x")
    assert c.world.told("update.given_up_button") == {MAKERS}
    assert c.world.told("admin.update_given_up_button") == {c.admin.person.id}
    assert c.world.notes("update.given_up") == []
