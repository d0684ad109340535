"""Malformed and duplicate updates, failing handlers: the bot answers clearly and goes on."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.simulate import Stack
from tests.e2e.conftest import ADMIN, LIMING, MARKET, set_up_company
from workflow import services


def _message(update_id: int, text: str, chat: int = MARKET, user: int = LIMING) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9000 + update_id,
            "date": 1764000000,
            "chat": {"id": chat, "type": "group", "title": "市场部"},
            "from": {"id": user, "is_bot": False, "first_name": "李明", "username": "liming"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.split()[0].__len__()}]
            if text.startswith("/") else [],
        },
    }


async def test_a_redelivered_update_is_handled_once(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    # Telegram resends an update when a webhook answer was lost: the second copy is known.
    update = Update.de_json(_message(5000, "/whoami"), stack.application.bot)
    assert await stack.intake.receive([update]) == [update]
    await stack.intake.handle(update)
    assert await stack.intake.receive([update]) == []
    # Even handed straight to the handlers again, it is answered once.
    await stack.intake.handle(update)
    assert len(stack.messages) == before + 1


async def test_malformed_updates_do_not_stop_the_bot(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    odd_updates = [
        {"message": {"message_id": 1, "date": 1764000000,
                                        "chat": {"id": MARKET, "type": "group", "title": "x"}}},
        {"edited_message": _message(0, "/whoami")["message"]},
        {"channel_post": {"message_id": 2, "date": 1764000000,
                                             "chat": {"id": -100777, "type": "channel"},
                                             "text": "/order 客户:x"}},
        {"some_future_update_kind": {"what": "ever"}},
        {"callback_query": {
            "id": "cb", "chat_instance": "c", "data": "v9:who:knows",
            "from": {"id": LIMING, "is_bot": False, "first_name": "李明"},
            "message": {"message_id": 1, "date": 0,
                        "chat": {"id": MARKET, "type": "group", "title": "市场部"}}}},
        {"callback_query": {
            "id": "cb2", "chat_instance": "c", "data": "v1:d:abc:ok",
            "from": {"id": LIMING, "is_bot": False, "first_name": "李明"},
            "message": {"message_id": 1, "date": 0,
                        "chat": {"id": MARKET, "type": "group", "title": "市场部"}}}},
    ]
    for update in odd_updates:
        stack.emulator.inject_raw(update)
    await stack.pump()
    new = stack.messages[before:]
    assert [m["kind"] for m in new] == ["error", "error"]  # the two stale buttons
    assert all("按钮已失效" in m["text"] for m in new)
    await stack.say(MARKET, LIMING, "/whoami")
    assert "李明" in stack.texts(MARKET)[-1]


async def test_a_failing_handler_answers_and_the_bot_goes_on(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_up_company(stack)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "bind_chat", broken)
    await stack.say(MARKET, ADMIN, "/bind market")
    assert "出了问题，已记录" in stack.texts(MARKET)[-1]
    monkeypatch.undo()
    await stack.say(MARKET, ADMIN, "/bind market")
    assert "本群已绑定为市场部的群" in stack.texts(MARKET)[-1]


async def test_chatter_in_a_group_gets_no_answer_but_a_private_one_does(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "今天中午吃什么？")
    assert len(stack.messages) == before
    await stack.say(LIMING, LIMING, "今天中午吃什么？")
    assert "没看懂" in stack.texts(LIMING)[-1]
