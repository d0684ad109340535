"""Settings, text splitting, pacing and the sandbox console."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.clock import ShiftedClock, VirtualClock
from bot.outbox import Pacer
from bot.sandbox.console import ConsoleState, Lines, format_answer, wait_target
from bot.sandbox.emulator import CallbackAnswer
from bot.settings import Settings, SettingsError
from handlers.render import split_text
from locales import normalize_locale
from tests.conftest import SHANGHAI
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

    def messages(self, chat: int) -> list[SimpleNamespace]:
        """The bot's messages here, oldest first: two tasks, then an acknowledgement that
        quotes the first."""
        return [SimpleNamespace(message_id=7, text="📌 采购到货 断路器：订单 SO-1", buttons=[["收到"]]),
                SimpleNamespace(message_id=9, text="📌 装配开始：订单 SO-1", buttons=[["收到"]]),
                SimpleNamespace(message_id=11, text="👌 已收到 采购到货 断路器 — 王强",
                                buttons=[])]

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


def test_console_reply_piece_may_have_spaces_and_prefers_the_task() -> None:
    emulator = _FakeEmulator()
    state = ConsoleState(emulator, 1, 1)  # type: ignore[arg-type]
    state.handle(">采购到货 断路器 完成 47个")  # the longest piece that matches
    assert emulator.sent[-1] == (1, 1, "完成 47个", 7)  # the task, not the newer acknowledgement
    state.handle('>"SO-1 断路器" 进度 60%')  # no message has it: quoted, it must match whole
    assert emulator.sent[-1] == (1, 1, "完成 47个", 7)
    state.handle('>"订单 SO-1" 完成')
    assert emulator.sent[-1] == (1, 1, "完成", 9)
    assert state.handle(">包装 完成") == "no bot message containing '包装' here"


def test_console_lines_ending_in_a_backslash_go_on() -> None:
    lines = Lines()
    assert lines.feed("/plan SO-1 \\\n") is None
    assert lines.feed("采购 物资管理部 12-05 断路器 50个\\\n") is None
    assert lines.feed("包装 12-17\n") == "/plan SO-1\n采购 物资管理部 12-05 断路器 50个\n包装 12-17"
    assert lines.feed("/tasks\n") == "/tasks"  # nothing held over
    emulator = _FakeEmulator()
    state = ConsoleState(emulator, 1, 1)  # type: ignore[arg-type]
    state.handle("@王强 #制造中心 /plan SO-1\n装配开始 12-08")  # a paste, taken whole
    assert emulator.sent[-1][2] == "/plan SO-1\n装配开始 12-08"


def test_wait_reads_spans_and_moments() -> None:
    now = datetime(2026, 12, 3, 8, 0, tzinfo=SHANGHAI)
    assert wait_target("2h", now, SHANGHAI) == now + timedelta(hours=2)
    assert wait_target("1h30m", now, SHANGHAI) == now + timedelta(minutes=90)
    assert wait_target("12-20 09:00", now, SHANGHAI) == datetime(2026, 12, 20, 9, 0,
                                                                 tzinfo=SHANGHAI)
    assert wait_target("09:00", now, SHANGHAI) == datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)
    assert wait_target("07:00", now, SHANGHAI) == datetime(2026, 12, 4, 7, 0, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="has passed"):
        wait_target("11-20 09:00", now, SHANGHAI)
    with pytest.raises(ValueError, match=":wait 2h"):
        wait_target("tomorrow", now, SHANGHAI)
    with pytest.raises(ValueError, match="no such moment"):
        wait_target("02-30 09:00", now, SHANGHAI)


async def test_console_wait_moves_time_and_says_to_when() -> None:
    class Travel:
        clock = VirtualClock(datetime(2026, 12, 3, 8, 0, tzinfo=SHANGHAI))

        async def advance_to(self, moment: datetime) -> None:
            self.clock.advance_to(moment)

    state = ConsoleState(_FakeEmulator(), 1, 1, time=Travel(), tz=SHANGHAI)  # type: ignore[arg-type]
    assert await state.run_line(":wait 12-20 09:00") == "⏩ 2026-12-20 09:00 Sun (Asia/Shanghai)"
    assert Travel.clock.now() == datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)
    assert "has passed" in (await state.run_line(":wait 12-19 09:00") or "")
    assert ConsoleState(_FakeEmulator(), 1, 1).handle(":wait 2h") == (  # type: ignore[arg-type]
        "time moves only in the running sandbox")


def test_shifted_clock_runs_on_from_where_it_was_moved() -> None:
    clock = ShiftedClock()
    later = clock.now() + timedelta(days=3)
    clock.advance_to(later)
    assert later <= clock.now() < later + timedelta(seconds=5)
    clock.advance_to(later - timedelta(days=1))  # never backwards
    assert clock.now() >= later


def test_console_shows_a_pop_up_to_who_pressed() -> None:
    state = ConsoleState(_FakeEmulator(), 1, 1)  # type: ignore[arg-type]
    state.handle("@王强 #制造中心")
    answer = CallbackAnswer(state.groups["制造中心"], state.users["王强"], "⛔ 需要技术中心的人员", True)
    assert format_answer(state, answer) == "#制造中心 💬 pop-up to @王强: ⛔ 需要技术中心的人员"


def test_console_names_keep_their_ids_from_run_to_run() -> None:
    first, second = ConsoleState(_FakeEmulator(), 1, 1), ConsoleState(_FakeEmulator(), 1, 1)  # type: ignore[arg-type]
    first.handle("@王强 #制造中心 /start")
    second.handle("@李明 #市场部 /start")  # another order of names after a restart
    second.handle("@王强 #制造中心 /start")
    assert first.users["王强"] == second.users["王强"] > 0
    assert first.groups["制造中心"] == second.groups["制造中心"] < 0
    assert second.users["李明"] != second.users["王强"]
