"""Orders named short: by last digits, by customer or product, by replying to the bot, or not
at all; several matches are picked with a button, none is refused; /orders lists them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.simulate import Stack
from tests.e2e.conftest import (
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    set_up_company,
)
from tests.e2e.test_order_review import ORDER

FIRST, SECOND = "SO-20261124-001", "SO-20261124-002"
OTHER = "/order 客户:华东恒通机械 产品:Y160M-4电机 数量:30台 单价:2800 交期:12月25日"


async def _registered(stack: Stack, *orders: str) -> None:
    await set_up_company(stack)
    for order in orders:
        await stack.say(MARKET, LIMING, order)
        await stack.press(MARKET, LIMING, "确认")


async def _reviewed(stack: Stack) -> None:
    """Two orders awaiting their quotes."""
    await _registered(stack, ORDER, OTHER)
    for number in (FIRST, SECOND):
        await stack.press(TECH, ZHANGWEI, "可行", on=number)
        await stack.press(MANUFACTURING, WANGQIANG, "可行", on=number)
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "quote"}


async def _statuses(stack: Stack) -> dict[str, str]:
    return {o["number"]: o["status"] for o in (await stack.state())["orders"]}


async def _audit(stack: Stack, question: str) -> list[tuple[str, dict | None]]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [(e.action, e.after) for e in await uow.audit.for_subject("command", question)]


def _last(stack: Stack, chat: int) -> dict:
    return [m for m in stack.messages if m["chat"] == chat][-1]


def _question(chat: int, asked) -> str:
    """The audit subject of a "which order?" question: the asking message, which its buttons
    name (v1:or:<order>:go:m<message id>)."""
    data = asked.buttons[0][0].callback_data
    return f"{chat}:{data.rsplit(':m', 1)[1]}"


async def test_the_last_digits_name_an_order(stack: Stack) -> None:
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/quote 002 42万")
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "contract"}
    await stack.say(MARKET, LIMING, "/quote 1 38万")  # the shortest suffix, when only one ends so
    assert await _statuses(stack) == {FIRST: "contract", SECOND: "contract"}


async def test_a_customer_or_product_names_an_order(stack: Stack) -> None:
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/quote 电机 8.4万")
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "contract"}
    await stack.say(MARKET, LIMING, "/status 华东电力")
    card = _last(stack, MARKET)
    assert card["order"] == FIRST and FIRST in card["text"] and SECOND not in card["text"]


async def test_a_reply_to_the_bots_message_names_its_order(stack: Stack) -> None:
    await _reviewed(stack)
    about_second = stack.emulator.newest_message(MARKET, SECOND).message_id
    await stack.say(MARKET, LIMING, "/quote 8.4万", reply_to_message_id=about_second)
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "contract"}
    # A draft's card names its order once confirmed: a reply to it finds the order too.
    card = stack.emulator.newest_message(MARKET, "GGD低压开关柜").message_id
    await stack.say(MARKET, LIMING, "/signed", reply_to_message_id=card)
    assert _last(stack, MARKET)["kind"] == "error"  # no quote yet: the order was found
    assert FIRST in _last(stack, MARKET)["text"]


async def test_several_matches_are_picked_with_a_button(stack: Stack) -> None:
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/quote 华东 42万")
    asked = stack.emulator.newest_message(MARKET, with_buttons=True)
    assert asked.labels == [f"{SECOND} 华东恒通机械 Y160M-4电机",
                            f"{FIRST} 华东电力 GGD低压开关柜"]  # newest first
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "quote"}  # nothing yet
    question = _question(MARKET, asked)

    await stack.press(MARKET, ZHAOZONG, asked.labels[1])  # not the asker's to pick
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "quote"}

    await stack.press(MARKET, LIMING, asked.labels[1])
    assert await _statuses(stack) == {FIRST: "contract", SECOND: "quote"}
    assert stack.heard(MARKET, "420,000")
    assert await _audit(stack, question) == [
        ("command.which_order", {"command": "quote", "rest": "42万",
                                 "orders": [SECOND, FIRST]}),
        ("command.order_picked", {"order": FIRST}),
    ]
    picked = [m for m in stack.emulator.messages(MARKET) if m.message_id == asked.message_id]
    assert not picked[0].buttons  # answered: its buttons are gone


async def test_a_bare_command_offers_the_persons_open_orders(stack: Stack) -> None:
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/quote 8.4万")
    asked = stack.emulator.newest_message(MARKET, with_buttons=True)
    assert [label.split()[0] for label in asked.labels] == [SECOND, FIRST]
    await stack.press(MARKET, LIMING, asked.labels[0])
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "contract"}


async def test_the_only_open_order_needs_no_name(stack: Stack) -> None:
    await _registered(stack, ORDER)
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    await stack.say(MARKET, LIMING, "/quote 42万")
    assert await _statuses(stack) == {FIRST: "contract"}


async def test_a_reference_matching_nothing_says_what_to_type(stack: Stack) -> None:
    await _reviewed(stack)
    for text in ("/quote 009 42万", "/status 西门子"):
        await stack.say(MARKET, LIMING, text)
        answer = _last(stack, MARKET)
        assert answer["kind"] == "error" and not answer["buttons"]
        assert text.split()[1] in answer["text"]  # names what matched nothing
        assert "/quote" in answer["text"] or "/status" in answer["text"]  # and how to write it
    assert await _statuses(stack) == {FIRST: "quote", SECOND: "quote"}
    await stack.say(ZHAOZONG, ZHAOZONG, "/status")  # nothing open of their own: the list says so
    assert "SO-" not in _last(stack, ZHAOZONG)["text"] and not _last(stack, ZHAOZONG)["buttons"]


async def test_orders_lists_open_orders_newest_first_with_a_button_each(stack: Stack) -> None:
    await _registered(stack, ORDER, OTHER)
    await stack.say(LIMING, LIMING, "/orders")
    listing = stack.emulator.newest_message(LIMING, with_buttons=True)
    assert listing.text.index(SECOND) < listing.text.index(FIRST)
    assert [label.split()[0] for label in listing.labels] == [SECOND, FIRST]
    reviews = [datetime.fromisoformat(t["due_at"]) for t in (await stack.state())["tasks"]
               if t["order"] == SECOND and t["status"] == "open"]
    shown = min(reviews).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert shown in listing.text.splitlines()[1]  # the next deadline: the earliest review's
    await stack.press(LIMING, LIMING, listing.labels[1])
    card = _last(stack, LIMING)
    assert card["order"] == FIRST and FIRST in card["text"] and not card["buttons"]

    # In a department's group, that department's: manufacturing reviews both.
    await stack.press(MANUFACTURING, WANGQIANG, "可行", on=FIRST)
    await stack.say(MANUFACTURING, WANGQIANG, "/orders")
    listing = stack.emulator.newest_message(MANUFACTURING, with_buttons=True)
    assert [label.split()[0] for label in listing.labels] == [SECOND]


async def test_status_with_nothing_lists_like_orders(stack: Stack) -> None:
    await _registered(stack, ORDER, OTHER)
    await stack.say(LIMING, LIMING, "/status")
    listing = stack.emulator.newest_message(LIMING, with_buttons=True)
    assert [label.split()[0] for label in listing.labels] == [SECOND, FIRST]
    await stack.press(LIMING, LIMING, listing.labels[0])
    assert _last(stack, LIMING)["order"] == SECOND


async def test_export_takes_a_short_reference_and_still_a_period(stack: Stack) -> None:
    await _registered(stack, ORDER, OTHER)
    await stack.say(MARKET, LIMING, "/export 001")
    sent = stack.emulator.last_message(MARKET)
    assert sent is not None and (sent.kind, sent.file_name) == ("document", f"{FIRST}.xlsx")
    await stack.say(MARKET, LIMING, "/export 本月")
    sent = stack.emulator.last_message(MARKET)
    assert sent is not None and sent.file_name == "orders-2026-11.xlsx"


async def _change_orders(stack: Stack) -> list[str | None]:
    return [n["order"] for n in (await stack.state())["change_notices"]]


async def test_a_change_names_its_order_by_last_digits_or_by_a_reply(stack: Stack) -> None:
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/change 002 数量:40台")
    assert await _change_orders(stack) == [SECOND]
    about_first = stack.emulator.newest_message(MARKET, FIRST).message_id
    await stack.say(MARKET, LIMING, "/change 数量:15台", reply_to_message_id=about_first)
    assert await _change_orders(stack) == [SECOND, FIRST]


async def test_an_order_walks_to_its_plan_by_last_digits(stack: Stack) -> None:
    await _reviewed(stack)
    for command in ("/quote 001 42万", "/signed 001", "/paid 001", "/prodorder 001"):
        await stack.say(MARKET, LIMING, command)
    await stack.say(MANUFACTURING, WANGQIANG, "/plan 001\n装配开始 12-08\n包装 12-17")
    planned = [t["kind"] for t in (await stack.state())["tasks"]
               if t["order"] == FIRST and t["kind"] in ("assembly_start", "packaging")]
    assert sorted(planned) == ["assembly_start", "packaging"]
    assert await _statuses(stack) == {FIRST: "production", SECOND: "quote"}
