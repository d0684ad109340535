"""bench_taps compares like with like: its typed path is the buttons path with each step
button and its reply written as the one command that does the same."""

from __future__ import annotations

from bench.bench_taps import SCENARIO, count, typed
from bot.simulate import load_scenario


def test_the_typed_path_types_each_step_and_presses_only_task_buttons() -> None:
    buttons = load_scenario(SCENARIO)
    commands = typed(buttons)
    assert [s.text.split()[0] for s in commands.steps if s.text and s.text.startswith("/")] == [
        "/quote", "/signed", "/paid", "/prodorder", "/plan", "/warehoused", "/paid",
        "/shipnotice", "/ship", "/close"]
    assert {s.press for s in commands.steps if s.press} == {"确认", "可行", "完成"}
    assert not any(s.reply_to for s in commands.steps)
    plan = next(s.text for s in commands.steps if s.text and s.text.startswith("/plan"))
    assert plan == "/plan SO-20261124-001\n装配开始 12-09\n装配完成 12-16\n包装 12-18"
    (taps_before, typed_before), (taps_after, typed_after) = count(commands), count(buttons)
    # Four step buttons ask for a value: a tap each more than their commands' one send.
    assert taps_after == taps_before + 4
    assert typed_after < typed_before / 3
