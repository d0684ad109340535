"""`gendan simulate`: the scenario contract, its output and its error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.simulate import ScenarioError, parse_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "order_review.yaml"


async def test_example_walks_an_order_to_the_review(database_url: str) -> None:
    result = await simulate(EXAMPLE, database_url)
    kinds = [(m["chat"], m["kind"], m["edit"]) for m in result.messages]
    assert kinds[0] == (-1001, "reply", False)  # the confirmation card
    assert result.messages[0]["buttons"] == [["确认", "修改", "取消"]]
    assert (-1002, "task", False) in kinds and (-1003, "task", False) in kinds
    last = result.messages[-1]
    assert last["chat"] == -1001 and "评审通过" in last["text"] and last["order"] == "SO-20261124-001"
    assert last["at"].endswith("+08:00")
    for message in result.messages:
        assert set(message) == {"at", "chat", "text", "buttons", "kind", "order", "edit"}
    assert result.state["orders"][0]["status"] == "quote"
    assert result.state["audit_events"] > 0
    assert set(result.state) >= {"orders", "tasks", "change_notices", "urge_slips",
                                 "audit_events"}


def test_cli_writes_jsonl_and_state(tmp_path: Path) -> None:
    out, state = tmp_path / "out.jsonl", tmp_path / "state.json"
    db = tmp_path / "sim.db"
    code = main(["simulate", str(EXAMPLE), "--out", str(out), "--state", str(state),
                 "--db", f"sqlite:///{db}"])
    assert code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines and lines[0]["text"].startswith("📝")
    assert json.loads(state.read_text(encoding="utf-8"))["orders"][0]["number"] == (
        "SO-20261124-001")
    assert db.exists()


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ({"people": [], "steps": []}, "start: missing"),
        ({"start": "2026-11-24T09:00:00"}, "start: '2026-11-24T09:00:00' needs a UTC offset"),
        ({"start": "2026-11-24T09:00:00+08:00", "steps": [{"chat": 1}]}, "steps[0].at: missing"),
        ({"start": "2026-11-24T09:00:00+08:00", "steps": [{"at": "+5x"}]}, "steps[0].at"),
        ({"start": "2026-11-24T09:00:00+08:00", "people": [{"id": 1, "name": "a"}],
          "steps": [{"at": "+1m", "chat": 1, "from": 2, "text": "hi"}]},
         "steps[0].from: 2 is not among people"),
        ({"start": "2026-11-24T09:00:00+08:00", "people": [{"id": 1, "name": "a"}],
          "steps": [{"at": "+1m", "chat": 1, "from": 1, "text": "a", "press": "b"}]},
         "steps[0]: give either text or press"),
        ({"start": "2026-11-24T09:00:00+08:00", "people": [{"id": 1, "name": "a", "role": "ceo"}]},
         "people[0].role: unknown role 'ceo'"),
        ({"start": "2026-11-24T09:00:00+08:00", "groups": [{"id": 5, "title": "x"}]},
         "groups[0].id: a group's id is negative"),
        ({"start": "2026-11-24T09:00:00+08:00",
          "steps": [{"at": "2026-11-24T10:00:00+08:00"}, {"at": "2026-11-24T09:30:00+08:00"}]},
         "steps[1].at"),
        ({"start": "2026-11-24T09:00:00+08:00", "locale": "fr"}, "locale: 'fr'"),
        ({"start": "2026-11-24T09:00:00+08:00", "people": [{"id": 1, "name": "a"}],
          "steps": [{"at": "+1m", "chat": 1, "from": 1, "press": "b", "reply_to": "x"}]},
         "steps[0].reply_to: a reply needs its text"),
    ],
)
def test_malformed_scenarios_name_the_step_and_field(scenario: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        parse_scenario(scenario)
    assert message in str(error.value)


def test_pressing_a_missing_button_names_the_step(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'start: "2026-11-24T09:00:00+08:00"\n'
        "people: [{id: 101, name: 李明, role: market}]\n"
        "groups: [{id: -1001, title: 市场部, role: market}]\n"
        'steps: [{at: "+1m", chat: -1001, from: 101, press: "确认"}]\n',
        encoding="utf-8",
    )
    assert main(["simulate", str(path)]) == 2
    assert "steps[0].press" in capsys.readouterr().err


def test_replying_to_a_missing_message_names_the_step(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        'start: "2026-11-24T09:00:00+08:00"\n'
        "people: [{id: 101, name: 李明, role: market}]\n"
        "groups: [{id: -1001, title: 市场部, role: market}]\n"
        'steps: [{at: "+1m", chat: -1001, from: 101, text: "完成", reply_to: "采购到货"}]\n',
        encoding="utf-8",
    )
    assert main(["simulate", str(path)]) == 2
    assert "steps[0].reply_to: no bot message containing '采购到货'" in capsys.readouterr().err


async def test_english_scenario(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        'start: "2026', 'locale: en\nstart: "2026').replace('"确认"', '"Confirm"').replace(
        '"可行"', '"Feasible"'), encoding="utf-8")
    result = await simulate(path, database_url)
    assert result.messages[0]["buttons"] == [["Confirm", "Edit", "Cancel"]]
    assert "passed the delivery-date review" in result.messages[-1]["text"]
