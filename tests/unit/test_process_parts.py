"""Settings, text splitting, pacing and the sandbox console."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.outbox import Pacer
from bot.sandbox.console import ConsoleState
from bot.settings import Settings, SettingsError
from handlers.render import split_text
from locales import normalize_locale
from workflow.roles import Role, parse_role


def test_settings_from_environment() -> None:
    settings = Settings.from_env({"ADMIN_IDS": "12, 34;56", "DATABASE_URL": "sqlite:///x.db"})
    assert settings.admin_ids == {12, 34, 56} and settings.sandbox
    assert Settings.from_env({"BOT_TOKEN": "1:abc"}).sandbox is False
    with pytest.raises(SettingsError, match="ADMIN_IDS"):
        Settings.from_env({"ADMIN_IDS": "12,abc"})
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        Settings.from_env({"BOT_TOKEN": "1:a", "WEBHOOK_URL": "https://x.example/tg"})


def test_roles_read_from_keys_and_chinese_names() -> None:
    assert parse_role("manufacturing") is Role.MANUFACTURING
    assert parse_role("市场部") is Role.MARKET
    assert parse_role("成品库/储运") is Role.WAREHOUSE
    assert parse_role("储运") is Role.WAREHOUSE
    assert parse_role("OEM") is Role.OEM
    assert parse_role("厨房") is None


def test_locale_names() -> None:
    assert normalize_locale("zh") == "zh_CN" and normalize_locale("EN") == "en"
    assert normalize_locale("中文") == "zh_CN" and normalize_locale("fr") is None


def test_long_text_splits_at_lines_within_the_limit() -> None:
    text = "\n".join(f"第{i}行：" + "订单" * 40 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    unbroken = "字" * 9000
    assert [len(p) for p in split_text(unbroken)] == [4096, 4096, 808]


def test_pacer_keeps_to_every_limit() -> None:
    pacer = Pacer()
    assert pacer.earliest(-1, 100.0) == 100.0
    pacer.sent(-1, 100.0)
    assert pacer.earliest(-1, 100.2) == pytest.approx(100.2)  # a short burst may go at once
    pacer.sent(-1, 100.2)
    pacer.sent(-1, 100.2)
    assert pacer.earliest(-1, 100.2) == pytest.approx(101.0)  # then one a second per chat
    for i in range(17):
        pacer.sent(-1, 101.0 + i)
    assert pacer.earliest(-1, 120.0) == pytest.approx(160.0)  # 20 a minute per group
    busy = Pacer()
    for chat in range(30):
        busy.sent(chat + 1, 200.0)
    assert busy.earliest(99, 200.5) == pytest.approx(201.0)  # 30 a second overall


class _FakeEmulator:
    def __init__(self) -> None:
        self.sent: list[tuple[int, int, str]] = []
        self.pressed: list[tuple[int, int, str]] = []
        self.users: dict[int, str] = {}
        self.groups: dict[int, str] = {}

    def add_user(self, user_id: int, name: str, username: str | None = None) -> None:
        self.users[user_id] = name

    def add_group(self, chat_id: int, title: str) -> None:
        self.groups[chat_id] = title

    def send_text(self, chat: int, user: int, text: str,
                  reply_to_message_id: int | None = None) -> None:
        self.sent.append((chat, user, text) if reply_to_message_id is None
                         else (chat, user, text, reply_to_message_id))

    def send_photo(self, chat: int, user: int, caption: str,
                   reply_to_message_id: int | None = None) -> None:
        self.sent.append((chat, user, f"photo: {caption}", reply_to_message_id))

    def newest_message(self, chat: int, containing: str) -> SimpleNamespace:
        for message in (SimpleNamespace(message_id=9, text="📌 装配开始：订单 SO-1"),
                        SimpleNamespace(message_id=7, text="📌 采购到货：订单 SO-1")):
            if containing in message.text:
                return message
        raise LookupError(containing)

    def press(self, chat: int, user: int, label: str) -> None:
        self.pressed.append((chat, user, label))


def test_console_prefixes_switch_person_and_group() -> None:
    emulator = _FakeEmulator()
    state = ConsoleState(emulator, 1, 1)  # type: ignore[arg-type]
    state.handle("@李明 #市场部 /order 客户:华东电力")
    liming, market = state.users["李明"], state.groups["市场部"]
    assert emulator.sent == [(market, liming, "/order 客户:华东电力")]
    state.handle("[确认]")
    assert emulator.pressed == [(market, liming, "确认")]
    state.handle("#me 你好")
    assert emulator.sent[-1] == (liming, liming, "你好")
    assert "李明" in (state.handle(":who") or "")


def test_console_replies_to_a_bot_message_by_a_piece_of_its_text() -> None:
    emulator = _FakeEmulator()
    state = ConsoleState(emulator, 1, 1)  # type: ignore[arg-type]
    state.handle(">采购到货 完成 47个")
    assert emulator.sent == [(1, 1, "完成 47个", 7)]
    state.handle(">装配开始 📷 进度 60%")
    assert emulator.sent[-1] == (1, 1, "photo: 进度 60%", 9)
    assert state.handle(">包装 完成") == "no bot message containing '包装' here"
