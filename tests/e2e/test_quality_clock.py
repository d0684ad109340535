"""Quality's 20 minutes run from a finding the bot is told of, and quality alerts keep to the
company's quiet hours."""

from __future__ import annotations

from bot.simulate import Stack
from tests.conftest import START, fresh
from tests.e2e.conftest import ADMIN, MANUFACTURING, WANGQIANG, populate
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import NUMBER, PROCUREMENT, ZHOU
from tests.e2e.test_quality import QUALITY, WU, ZHENG, _with_quality


async def _inspections(stack: Stack) -> list[dict]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e.after for e in await uow.audit.for_subject("order", NUMBER)
                if e.action == "quality.inspection"]


def _findings(state: dict) -> list[dict]:
    return [t for t in state["tasks"] if t["kind"] == "quality_response"]


async def test_a_noted_finding_runs_the_20_minutes(stack: Stack) -> None:
    await _with_quality(stack)
    await stack.advance_to(at("2026-11-24", "10:00"))
    await stack.say(QUALITY, ZHENG, f"/found {NUMBER} 柜门划伤")
    assert stack.heard(QUALITY, "10:20 前用 /inspect 记录")
    [finding] = _findings(await stack.state())
    assert finding["status"] == "open" and finding["due_at"].startswith("2026-11-24T02:20")

    # Recorded within the 20 minutes: the clock stops and nobody is told it was late.
    await stack.advance_to(at("2026-11-24", "10:15"))
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜门 19/20 划伤")
    [finding] = _findings(await stack.state())
    assert finding["status"] == "done" and finding["outcome"] == "recorded"
    [record] = await _inspections(stack)
    assert record["found_at"].startswith("2026-11-24T02:00") and record["raised_late"] is False

    # A finding nobody records escalates to the quality leader when its 20 minutes are up,
    # and the late record says when it was found.
    await stack.say(QUALITY, ZHENG, f"/found {NUMBER} 接线端子松动")
    await stack.advance_to(at("2026-11-24", "10:45"))
    [overdue] = sent(stack, WU, "第1次上报")
    assert "接线端子松动" in overdue["text"] and overdue["at"].startswith("2026-11-24T10:35")
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 端子 18/20 松动")
    assert stack.heard(WU, "10:15 发现，10:45 才记录")
    assert [r["raised_late"] for r in await _inspections(stack)] == [False, True]
    assert all(t["status"] == "done" for t in _findings(await stack.state()))


async def test_only_quality_notes_findings(stack: Stack) -> None:
    await _with_quality(stack)
    for chat, who, text, answer in (
            (MANUFACTURING, WANGQIANG, f"/found {NUMBER} 柜门划伤", "需要质量管理部"),
            (QUALITY, ZHENG, f"/found {NUMBER}", "用法：/found")):
        await stack.say(chat, who, text)
        assert stack.heard(chat, answer)
    assert not _findings(await stack.state())


async def test_quality_alerts_pass_quiet_hours_unless_the_policy_holds_them(
        database_url: str) -> None:
    for pass_through, heard_at in ((True, "2026-11-24T22:00"), (False, "2026-11-25T08:00")):
        if not pass_through:  # the second company starts from an empty database
            await fresh(database_url)
        async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                         policy={"quiet_hours.pass_through.quality_alert": pass_through}
                         ) as stack:
            populate(stack.emulator)
            await _with_quality(stack)
            await stack.advance_to(at("2026-11-24", "22:00"))
            await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 采购 断路器 40/50 外观不良")
            assert stack.heard(PROCUREMENT, "40/50")  # the buyers' group notice goes at once
            await stack.advance_to(at("2026-11-25", "09:00"))
            for leader in (WU, ZHOU):
                [alert] = sent(stack, leader, "🔍 检验问题")
                assert alert["at"].startswith(heard_at), (pass_through, alert["at"])
