"""Taps and typed characters needed to carry the example order from the rep's message to its
closing: with typed commands (before next steps became buttons) and with buttons (after).

Run: .venv/bin/python -m bench.bench_taps

The "after" path is examples/scenarios/buttons_only.yaml. The "before" path is the same
scenario with each step button, and the reply it asked for, written as the typed command
that does the same (/quote SO-… 42万, /plan SO-…⏎…): the same order, plan, people and days.
Buttons both paths press (确认, 可行, 完成) count in both. Both paths run through the real
stack and must close the order, so neither count is of a path that does not work.

A tap is a button pressed or a message sent (its send button); typed characters are the
characters of the messages, each a key pressed on a phone, so the two add up to the touches
a path costs. A step button that asks for a value costs two taps where its command cost one
send: the saving is in what is typed. Telegram opens the reply box by itself for a question
(ForceReply), so answering one costs no tap beyond sending it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from bot.simulate import Scenario, Step, load_scenario, run_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "buttons_only.yaml"
NUMBER = "SO-20261124-001"
# The typed command that takes each step button's step.
COMMANDS = {"记录报价": "quote", "已签字": "signed", "已付款": "paid", "下达生产指令": "prodorder",
            "提交计划": "plan", "已入库": "warehoused", "已到账": "paid",
            "发出发货通知": "shipnotice", "发货": "ship", "关闭订单": "close"}


def typed(scenario: Scenario) -> Scenario:
    """The scenario with its step buttons (and their replies) typed as commands."""
    steps: list[Step] = []
    pending: Step | None = None  # a step button whose value comes in the next reply
    for step in scenario.steps:
        if pending is not None and step.reply_to is not None:
            separator = "\n" if COMMANDS[pending.press or ""] == "plan" else " "
            steps.append(replace(pending, press=None, on=None, text=(
                f"/{COMMANDS[pending.press or '']} {NUMBER}{separator}{step.text}")))
            pending = None
        elif step.press in COMMANDS:
            command = replace(step, press=None, on=None,
                              text=f"/{COMMANDS[step.press or '']} {NUMBER}")
            if step.press in ("记录报价", "提交计划", "发出发货通知", "关闭订单"):
                pending = step
            else:
                steps.append(command)
        else:
            steps.append(step)
    return replace(scenario, steps=steps)


def count(scenario: Scenario) -> tuple[int, int]:
    taps = sum(1 for step in scenario.steps if step.press is not None or step.text is not None)
    characters = sum(len(step.text) for step in scenario.steps if step.text is not None)
    return taps, characters


async def carried(scenario: Scenario) -> str:
    result = await run_scenario(scenario)
    errors = [m["text"] for m in result.messages if m["kind"] == "error"]
    if errors:
        raise SystemExit(f"the path was refused: {errors}")
    return str(result.state["orders"][0]["status"])


def main() -> None:
    logging.disable(logging.INFO)
    after = load_scenario(SCENARIO)
    before = typed(after)
    print(f"carrying {NUMBER} from the rep's message to its closing ({SCENARIO.name})")
    figures = {}
    for name, scenario in (("before (typed commands)", before), ("after (buttons)", after)):
        status = asyncio.run(carried(scenario))
        taps, characters = figures[name] = count(scenario)
        print(f"  {name:<24} {taps:3d} taps  {characters:4d} typed characters  -> {status}")
    (taps_before, chars_before), (taps_after, chars_after) = figures.values()
    print(f"  after/before: taps {taps_after / taps_before:.2f}, "
          f"typed characters {chars_after / chars_before:.2f}, "
          f"touches (taps + characters) {(taps_after + chars_after) / (taps_before + chars_before):.2f}")


if __name__ == "__main__":
    main()
