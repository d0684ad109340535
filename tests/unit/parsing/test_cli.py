"""`gendan parse`, through bot.parse_cmd.run (no database, no network)."""

from __future__ import annotations

import argparse
import io
import json

from bot import parse_cmd
from workflow.parsing import Lexicon

NOW = "2026-11-24T10:15:00+08:00"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parse_cmd.add_arguments(parser)
    return parser.parse_args(list(argv))


def _run(argv: list[str], stdin: str = "", loader=None) -> tuple[int, list[dict]]:
    out = io.StringIO()
    code = parse_cmd.run(_args(*argv), loader, stdin=io.StringIO(stdin), stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_text_argument() -> None:
    code, (result,) = _run(["--now", NOW, "--no-db", "帮我下个单，江苏恒通机械要30台Y160M-4电机，月底前交货，单价2800"])
    assert code == 0
    assert result["intent"] == "new_order"
    assert result["fields"]["due_date"] == "2026-11-30"
    assert result["fields"]["unit_price"] == 2800


def test_output_keeps_chinese_readable() -> None:
    out = io.StringIO()
    parse_cmd.run(_args("--now", NOW, "--no-db", "/order 客户:华东电力 数量:1台"), None,
                  stdin=io.StringIO(), stdout=out)
    assert "华东电力" in out.getvalue()


def test_jsonl_one_output_line_per_input_line() -> None:
    lines = "\n".join([
        json.dumps({"text": "华东电力那单开关柜改成15台"}, ensure_ascii=False),
        "not json",
        json.dumps({"text": "/order customer: Acme qty: 8 due: tomorrow", "now": "2026-12-01T09:00:00+08:00"}),
        "",
        json.dumps({"no_text": 1}),
    ])
    code, results = _run(["--jsonl", "--now", NOW], stdin=lines,
                         loader=lambda: Lexicon.build(["华东电力"], ["开关柜"]))
    assert code == 1
    assert results[0]["intent"] == "change"
    assert results[0]["target"] == {"customer": "华东电力", "product": "开关柜"}
    assert results[1] == {"error": "bad_line", "line": 2}
    assert results[2]["fields"]["due_date"] == "2026-12-02"
    assert results[3] == {"error": "bad_line", "line": 5}


def test_lexicon_loader_is_used_unless_no_db() -> None:
    calls = []

    def loader() -> Lexicon:
        calls.append(1)
        return Lexicon.build(["恒通"], [])

    _, (with_db,) = _run(["--now", NOW, "恒通那单改成5台"], loader=loader)
    assert calls == [1] and with_db["target"] == {"customer": "恒通"}
    _run(["--now", NOW, "--no-db", "恒通那单改成5台"], loader=loader)
    assert calls == [1]


def test_stdin_dash_reads_one_message() -> None:
    code, (result,) = _run(["--now", NOW, "--no-db", "-"], stdin="客户：海螺水泥\n产品：离心泵\n数量：4台\n交期：本月底\n")
    assert code == 0 and result["fields"]["due_date"] == "2026-11-30"


def test_naive_now_is_shanghai_and_default_now_works() -> None:
    _, (result,) = _run(["--now", "2026-11-24T23:30", "--no-db", "/order 客户:A公司 产品:泵 数量:1台 交期:明天"])
    assert result["fields"]["due_date"] == "2026-11-25"
    code, (result,) = _run(["--no-db", "好的收到"])
    assert code == 0 and result["intent"] == "unknown"


def test_bad_input_exits_2() -> None:
    assert _run(["--now", "yesterday", "--no-db", "x"])[0] == 2
    assert _run(["--no-db"])[0] == 2


def test_the_company_policy_file_gives_the_non_regular_words(tmp_path, monkeypatch, capsys) -> None:
    """`gendan parse` reads POLICY_FILE, so a company can try its own words before using them."""
    from bot import cli

    message = "/order 客户:A公司 产品:泵 数量:1台 交期:明天 防爆型"
    policy = tmp_path / "policy.toml"
    policy.write_text('[non_regular.keywords]\ncustom_design = ["防爆型"]\n', encoding="utf-8")
    monkeypatch.delenv("POLICY_FILE", raising=False)
    assert cli.main(["parse", "--now", NOW, "--no-db", message]) == 0
    assert json.loads(capsys.readouterr().out)["fields"]["order_class"] is None
    monkeypatch.setenv("POLICY_FILE", str(policy))
    assert cli.main(["parse", "--now", NOW, "--no-db", message]) == 0
    assert json.loads(capsys.readouterr().out)["fields"]["order_class"] == "non_regular"
