"""The sandbox console against the real Application: time moved by `:wait`, a restart on the
same database, typed replies and plans, and the pop-ups a button press answers with."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runner import resume_ids
from bot.sandbox.console import ConsoleState, Lines, format_answer
from bot.simulate import Stack
from tests.conftest import SHANGHAI, START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    populate,
    set_up_company,
)
from tests.e2e.processes import ROOT
from tests.e2e.test_clocks import sent
from tests.e2e.test_order_review import ORDER


def _console(stack: Stack, person: int, chat: int) -> ConsoleState:
    """A console speaking as `person` in `chat`, with the test company's names."""
    state = ConsoleState(stack.emulator, person, chat, time=stack.time, tz=SHANGHAI)
    state.users.update({"liming": LIMING, "wangqiang": WANGQIANG, "zhangwei": ZHANGWEI})
    state.groups.update({"市场部": MARKET, "技术中心": TECH, "制造中心": MANUFACTURING})
    return state


async def test_wait_lets_reminders_escalations_and_the_digest_fall_due(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")  # Tue 09:01: the reviews are due Wed 09:01
    console = _console(stack, ADMIN, ADMIN)
    assert (await console.run_line(":wait 2h") or "").startswith("⏩ 2026-11-24 11:01 Tue")
    assert not sent(stack, MANUFACTURING, "⏰ 提醒")
    assert await console.run_line(":wait 11-25 09:30") == "⏩ 2026-11-25 09:30 Wed (Asia/Shanghai)"
    [reminder] = sent(stack, MANUFACTURING, "⏰ 提醒")
    assert reminder["at"].startswith("2026-11-24T17:01")  # at its own moment on the way
    assert [m["kind"] for m in sent(stack, WANGQIANG, "第1次上报")] == ["escalation"]
    assert [m["at"][:16] for m in sent(stack, ZHAOZONG, "☀️ 全公司今日概况")] == ["2026-11-25T09:00"]
    assert "has passed" in (await console.run_line(":wait 11-24 12:00") or "")


async def test_an_order_typed_over_several_lines_is_one_message(stack: Stack) -> None:
    await set_up_company(stack)
    console = _console(stack, LIMING, MARKET)
    lines, message = Lines(), None
    for raw in ("/order 客户:华东电力 产品:GGD低压开关柜 \\\n",
                "型号:GGD2-15 数量:12台 单价:3.5万 \\\n", "交期:12月20日 成套\n"):
        message = lines.feed(raw)
    assert message is not None and message.count("\n") == 2
    assert await console.run_line(message) is None
    await stack.pump()
    [card] = [m for m in stack.messages if m["chat"] == MARKET and "请核对订单" in m["text"]]
    assert "华东电力" in card["text"] and "GGD2-15" in card["text"] and "12台" in card["text"]
    assert card["buttons"] == [["确认", "修改", "取消"]]  # every field read from the three lines


async def test_a_refused_press_pops_up_for_the_one_who_pressed(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    console = _console(stack, WANGQIANG, TECH)
    shown: list[str] = []
    stack.emulator.subscribe_answers(lambda answer: shown.append(format_answer(console, answer)))
    assert console.handle("[可行]") is None  # a manufacturing leader is not tech
    await stack.pump()
    assert len(shown) == 1 and shown[0].startswith("#技术中心 💬 pop-up to @wangqiang: ⛔")


async def test_a_sandbox_started_again_goes_on_with_its_update_and_message_ids(
        database_url: str) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as first:
        populate(first.emulator)
        await set_up_company(first)
        highest = max(call.params.get("offset", 0) or 0
                      for call in first.emulator.calls_to("getUpdates"))
        last_message_id = max(m.message_id for m in first.emulator.messages(LIMING))
    async with Stack(START.replace(hour=10), database_url=database_url,
                     admin_ids=frozenset({ADMIN})) as second:
        populate(second.emulator)
        await resume_ids(second.emulator, second.gendan.runtime)
        update_id = second.emulator.send_text(LIMING, LIMING, "/whoami")
        assert update_id is not None and update_id >= highest
        await second.pump()
        assert "市场部" in second.texts(LIMING)[-1]  # handled, not dropped as seen before
        # A new message id: an edit of the bot's message from before cannot land on it.
        assert second.emulator.messages(LIMING)[-1].message_id > last_message_id
        async with second.gendan.runtime.unit_of_work() as uow:
            assert await uow.inbox.highest_update_id() == update_id


def test_the_readme_walkthrough_piped_into_the_sandbox_runs_to_the_end(tmp_path: Path) -> None:
    """The README's first session, piped into `gendan run` as a new user would: each line
    waits for the bot's answers, also for the ones Telegram's pace holds back (a group gets
    about one message a second after a short burst, and here the order card comes after
    several in a row), so every button pressed is there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", readme, re.S | re.M)
    [walkthrough] = [block for block in blocks if block.startswith("@admin #市场部 /bind")]
    # Three more answers to the group just before the order: its card waits its turn.
    lines = walkthrough.splitlines()
    at_order = next(i for i, line in enumerate(lines) if "/order" in line)
    lines[at_order:at_order] = ["@liming #市场部 /whoami"] * 3
    database = tmp_path / "readme.db"
    output = _piped_into_the_sandbox(lines, database)
    assert "no bot message" not in output
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT status FROM orders").fetchall() == [("contract",)]
        assert db.execute("SELECT action, count(*) FROM audit_events WHERE action IN"
                          " ('order.review_passed', 'order.record_quote') GROUP BY action"
                          " ORDER BY action").fetchall() == [
            ("order.record_quote", 1), ("order.review_passed", 1)]


@pytest.mark.parametrize("second_run_starts_at", ["/order", "[可行]"])
def test_the_readme_walkthrough_goes_on_after_the_sandbox_is_started_again(
        tmp_path: Path, second_run_starts_at: str) -> None:
    """The README's session in two runs on one database. Stopped before the order: the groups
    and people the bot knows are there from the start of the second run, so the review tasks
    it sends the departments' groups before anyone types there arrive. Stopped with the review
    tasks sent: their buttons, from before the restart, are pressed as in Telegram."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", readme, re.S | re.M)
    [walkthrough] = [block for block in blocks if block.startswith("@admin #市场部 /bind")]
    lines = walkthrough.splitlines()
    split = next(i for i, line in enumerate(lines) if second_run_starts_at in line)
    database = tmp_path / "restarted.db"
    _piped_into_the_sandbox(lines[:split], database)
    output = _piped_into_the_sandbox(lines[split:], database)
    assert "no bot message" not in output and "cannot be reached" not in output
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT status FROM orders").fetchall() == [("contract",)]


def test_a_script_piped_into_the_dingtalk_sandbox_waits_for_each_card(tmp_path: Path) -> None:
    """The DingTalk console too: after each line it waits until the bot has the message and
    has had its say, so `[确认]` finds the order's card."""
    database = tmp_path / "dingtalk.db"
    output = _piped_into_the_sandbox([
        "@admin #市场部 /bind 市场部", "@liming #市场部 /start", "@admin /role liming 市场部",
        "@liming /order 客户:华东电力 产品:GGD低压开关柜 型号:GGD2-15 数量:12台 单价:3.5万"
        " 交期:12月20日 成套", "[确认]"], database, GENDAN_TRANSPORT="dingtalk")
    assert "no card with a button" not in output
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT status FROM orders").fetchall() == [("review",)]


def _piped_into_the_sandbox(lines: list[str], database: Path, **settings: str) -> str:
    """`gendan run` with no credentials (the sandbox) reading `lines` from a file, then :quit;
    what it printed."""
    script = database.with_suffix(".txt")
    script.write_text("\n".join([*lines, ":quit"]) + "\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BOT_TOKEN", "DINGTALK_"))}
    env.update(DATABASE_URL=f"sqlite:///{database}", WEB_LISTEN="off", SANDBOX_PORT="0",
               **settings)
    with script.open("rb") as stdin:
        finished = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                                  stdin=stdin, capture_output=True, timeout=180)
    output = finished.stdout.decode("utf-8", "replace")
    assert finished.returncode == 0, output[-2000:] + finished.stderr.decode()[-2000:]
    return output
