"""Gendan on DingTalk: the official `dingtalk_stream` client against the DingTalk emulator,
driving the same Application as on Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.error import InvalidToken

from bot.app import bootstrap, build_application
from bot.clock import VirtualClock
from bot.dingtalk.stack import DingTalkStack
from bot.dingtalk.transport import TOKEN, DingTalk
from bot.sandbox.dingtalk import CARD_TOPIC, MESSAGE_TOPIC, DingTalkEmulator
from bot.settings import Settings
from bot.simulate import ScenarioError, simulate
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    populate,
    set_up_company,
)

ROOT = Path(__file__).resolve().parents[2]
ORDER = "/order 客户:华东电力 产品:GGD低压开关柜 型号:GGD2-15 数量:12台 单价:3.5万 交期:12月20日 成套"


@pytest.fixture
async def dingtalk(database_url: str) -> AsyncIterator[DingTalkStack]:
    async with DingTalkStack(START, database_url=database_url,
                             admin_ids=frozenset({ADMIN})) as stack:
        populate(stack)  # type: ignore[arg-type]  # it takes people and groups as given
        yield stack


async def test_an_order_is_reviewed_and_acknowledged_on_cards(dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    draft = stack.emulator.in_space(stack.conversations[MARKET])[-1]
    assert draft.kind == "card" and draft.labels == ["确认", "修改", "取消"]
    assert all(button["code"].startswith("v1:") for button in draft.buttons)

    await stack.press(MARKET, LIMING, "确认")
    reviews = {group: stack.emulator.in_space(stack.conversations[group])[-1]
               for group in (TECH, MANUFACTURING)}
    assert all(card.labels == ["可行", "不可行"] for card in reviews.values())

    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    # The pressed card is updated in place: its buttons are gone.
    assert reviews[TECH].edits >= 1 and reviews[TECH].labels == []

    state = await stack.state()
    assert state["orders"][0]["status"] == "quote"
    done = [t for t in state["tasks"] if t["kind"] == "feasibility_review"]
    assert [t["outcome"] for t in done] == ["feasible", "feasible"]
    assert [t["kind"] for t in state["tasks"] if t["status"] == "open"] == ["quote"]
    # Every frame was acknowledged; messages and presses came on their own topics.
    acked = stack.emulator.acks
    assert acked.keys() == stack.emulator.topics.keys()
    assert all(ack["code"] == 200 for ack in acked.values())
    assert set(stack.emulator.topics.values()) == {MESSAGE_TOPIC, CARD_TOPIC}
    topics = {call.path for call in stack.emulator.calls}
    assert {"/v1.0/gateway/connections/open", "/v1.0/oauth2/accessToken",
            "/v1.0/card/instances/createAndDeliver", "/v1.0/card/instances",
            "/v1.0/robot/groupMessages/send"} <= topics


def _refused(stack: DingTalkStack, code: str) -> list[str]:
    return [call.path for call in stack.emulator.calls if call.code == code]


async def test_a_group_the_robot_left_hands_its_review_to_the_leader(
        dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    stack.emulator.remove_robot(stack.conversations[MANUFACTURING])
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    assert _refused(stack, "invalidParameter.robotCode.empty")
    # The review card went to manufacturing's leader in private, and works there.
    card = stack.emulator.in_space("wangqiang")[-1]
    assert card.kind == "card" and card.labels == ["可行", "不可行"]
    await stack.press(WANGQIANG, WANGQIANG, "可行")
    reviews = [t for t in (await stack.state())["tasks"] if t["role"] == "manufacturing"]
    assert [t["outcome"] for t in reviews] == ["feasible"]

    # DingTalk says nothing when the robot is added back: a message from the group shows it,
    # and what the department is owed goes there again.
    group = stack.chat_id(MANUFACTURING)
    assert not await _active(stack, group)
    stack.emulator.readd_robot(stack.conversations[MANUFACTURING])
    await stack.say(MANUFACTURING, WANGQIANG, "/whoami")
    assert await _active(stack, group)
    assert stack.heard(MANUFACTURING, "王强")  # the answer came in the group


async def _active(stack: DingTalkStack, chat_id: int) -> bool:
    async with stack.gendan.runtime.unit_of_work() as uow:
        chat = await uow.chats.get(chat_id)
    assert chat is not None
    return chat.active


async def test_a_staff_id_dingtalk_does_not_know_is_mentioned_in_the_group(
        dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    del stack.emulator.users["zhangwei"]  # left the company's directory
    await stack.say(ZHANGWEI, ZHANGWEI, "/whoami")
    assert _refused(stack, "staffId.notExisted")
    state = await stack.state()
    assert ZHANGWEI in state["unreachable"]


async def test_a_revoked_token_is_replaced_and_the_message_goes(dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    stack.emulator.expire_tokens()
    await stack.say(MARKET, LIMING, ORDER)
    assert _refused(stack, "InvalidAuthentication")
    assert stack.emulator.in_space(stack.conversations[MARKET])[-1].labels == [
        "确认", "修改", "取消"]
    assert (await stack.state())["outbox"]["pending"] == 0


async def test_dingtalks_rate_limit_is_waited_out(dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    stack.emulator.group_per_minute = 1
    await stack.say(MARKET, LIMING, ORDER)
    await stack.say(MARKET, LIMING, "/whoami")
    assert _refused(stack, "Forbidden.AccessDenied.QpsLimitForApi")
    assert (await stack.state())["outbox"]["pending"] >= 1
    await stack.advance(timedelta(minutes=2))
    assert (await stack.state())["outbox"]["pending"] == 0


@pytest.mark.parametrize("scenario", ["examples/scenarios/regular_order_to_closing.yaml",
                                      "examples/scenarios/draft_cancelled.yaml"])
async def test_a_scenario_ends_alike_on_both_platforms(scenario: str) -> None:
    telegram = await simulate(ROOT / scenario)
    dingtalk = await simulate(ROOT / scenario, transport="dingtalk")
    assert dingtalk.state == telegram.state
    # The same messages, in the same chats, at the same moments, with the same buttons.
    assert dingtalk.messages == telegram.messages


async def test_an_outage_ends_alike_though_dingtalk_kept_taking_messages() -> None:
    """The Stream connection stays up while the OpenAPI is down, so what people wrote is read
    at once, not when the outage ends; the answers wait in the outbox either way."""
    scenario = ROOT / "examples/scenarios/two_hour_outage.yaml"
    telegram = await simulate(scenario)
    dingtalk = await simulate(scenario, transport="dingtalk")
    assert dingtalk.state == telegram.state
    assert [(m["chat"], m["text"]) for m in dingtalk.messages] == [
        (m["chat"], m["text"]) for m in telegram.messages]


async def test_a_fault_dingtalk_has_no_counterpart_of_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"faults\[0\]: block"):
        await simulate(ROOT / "examples/scenarios/general_manager_blocked.yaml",
                       transport="dingtalk")


async def test_rich_text_is_read_for_its_words(dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    frame = await stack.emulator.send_text("liming", ORDER, stack.conversations[MARKET],
                                           picture=True)
    assert frame is not None
    await stack.emulator.wait_acked(frame)
    await stack.pump()
    assert stack.emulator.in_space(stack.conversations[MARKET])[-1].labels == [
        "确认", "修改", "取消"]


async def test_a_group_message_without_the_robot_mentioned_never_arrives(
        dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    sent = await stack.emulator.send_text("liming", ORDER, stack.conversations[MARKET],
                                          at_robot=False)
    assert sent is None
    await stack.pump()
    assert (await stack.state())["orders"] == []


async def test_a_workbook_is_uploaded_and_sent_as_a_file(dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, LIMING, "/export SO-20261124-001")
    files = [m for m in stack.emulator.in_space(stack.conversations[MARKET]) if m.kind == "file"]
    assert files and files[-1].file_name and files[-1].file_name.endswith(".xlsx")
    name, content = next(iter(stack.emulator.files.values()))
    assert name == files[-1].file_name and content.startswith(b"PK")  # a zip: the workbook


async def test_after_dingtalk_closes_the_connection_the_client_comes_back(
        dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    await stack.emulator.wait_acked(await stack.emulator.disconnect())
    await stack.say(MARKET, LIMING, ORDER)
    assert stack.emulator.connections == 2
    assert stack.emulator.in_space(stack.conversations[MARKET])[-1].labels == [
        "确认", "修改", "取消"]


async def test_wrong_credentials_stop_the_start_with_the_reason(database_url: str) -> None:
    emulator = DingTalkEmulator()
    emulator.start()
    settings = Settings(database_url=database_url, transport="dingtalk",
                        dingtalk_client_id=emulator.client_id, dingtalk_client_secret="wrong",
                        dingtalk_api_url=emulator.base_url, dingtalk_oapi_url=emulator.base_url)
    gendan = await bootstrap(settings, VirtualClock(START))
    application = build_application(gendan, TOKEN,
                                    request=DingTalk(settings).request(gendan))
    try:
        with pytest.raises(InvalidToken, match="DINGTALK_CLIENT_SECRET"):
            await application.initialize()
    finally:
        await application.shutdown()
        await gendan.close()
        emulator.stop()
    assert [call.code for call in emulator.calls] == ["invalidClientIdOrSecret"]


async def test_what_is_owed_during_an_outage_goes_once_dingtalk_is_back(
        dingtalk: DingTalkStack) -> None:
    stack = dingtalk
    await set_up_company(stack)
    stack.emulator.outage(503)
    await stack.say(MARKET, LIMING, ORDER)
    assert [call.status for call in stack.emulator.calls[-1:]] == [503]
    assert (await stack.state())["outbox"]["pending"] >= 1
    stack.emulator.outage(None)
    await stack.advance(timedelta(seconds=30))
    state = await stack.state()
    assert state["outbox"]["pending"] == 0 and state["outbox"]["failed"] == 0
    assert stack.emulator.in_space(stack.conversations[MARKET])[-1].labels == [
        "确认", "修改", "取消"]
