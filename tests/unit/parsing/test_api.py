"""The public API: shapes, the lexicon, purity, warm-up and memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

import workflow.parsing as parsing
from workflow.parsing import (
    REQUIRED_FIELDS,
    Lexicon,
    OrderFields,
    ParseResult,
    parse_field_value,
    parse_message,
)
from workflow.parsing.classify import classify
from workflow.policy import load_policy

from .corpus import RULES

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=8)))
PACKAGE = Path(parsing.__file__).parent


def test_to_json_shape() -> None:
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:12台 单价:3.5万 交期:12月20日", NOW)
    out = result.to_json()
    assert list(out) == ["intent", "fields", "target", "missing", "warnings"]
    assert list(out["fields"]) == ["customer", "product", "model", "quantity", "unit", "unit_price",
                                   "amount", "due_date", "complete_set", "order_class", "notes"]
    assert out["fields"]["due_date"] == "2026-12-20"
    assert out["fields"]["unit_price"] == 35000 and isinstance(out["fields"]["unit_price"], int)
    json.dumps(out, ensure_ascii=False)


def test_quantities_are_json_friendly() -> None:
    out = parse_message("/order 客户:江西铜业 产品:电缆 数量:2.5公里 单价:3.5万", NOW).to_json()
    assert out["fields"]["quantity"] == 2.5 and isinstance(out["fields"]["quantity"], float)


def test_missing_lists_required_fields_for_new_orders_only() -> None:
    assert REQUIRED_FIELDS == ("customer", "product", "quantity", "due_date")
    new = parse_message("/order 客户:华东电力 产品:开关柜", NOW)
    assert new.intent == "new_order" and new.missing == ["quantity", "due_date"]
    change = parse_message("/change SO-20261124-003 数量:40台", NOW)
    assert change.intent == "change" and change.missing == []


def test_dataclasses_have_defaults() -> None:
    assert OrderFields().to_json()["customer"] is None
    assert OrderFields().non_regular_reasons == []
    assert ParseResult(intent="unknown").to_json()["fields"]["due_date"] is None


def test_lexicon_build_cleans_and_sorts() -> None:
    lex = Lexicon.build([" 华东电力 ", "华东", "华东电力", "", "X", "ＡＣＭＥ"], ["开关柜"])
    assert lex.customers == ("ACME", "华东电力", "华东")  # longest first
    assert lex.products == ("开关柜",)
    assert Lexicon.build([], []) == Lexicon()


def test_lexicon_longest_match_and_ascii_edges() -> None:
    lex = Lexicon.build(["华东", "华东电力", "Acme"], ["开关柜", "低压开关柜"])
    change = parse_message("华东电力那单低压开关柜改成15台", NOW, lex)
    assert change.target == {"customer": "华东电力", "product": "低压开关柜"}
    order = parse_message("/order customer: Acmes Ltd product: pump qty: 3", NOW, lex)
    assert order.fields.customer == "Acmes Ltd"
    typed_lower = parse_message("acme那单改成5台", NOW, lex)
    assert typed_lower.target == {"customer": "Acme"}


def test_non_regular_reasons() -> None:
    result = parse_message("/order 客户:比亚迪 产品:控制柜 数量:3台 交期:12月20日 非标设计，逾期罚款", NOW,
                           non_regular=RULES)
    assert result.fields.order_class == "non_regular"
    assert result.fields.non_regular_reasons == ["custom_design", "urgent_penalty"]
    negated = parse_message("/order 客户:比亚迪 产品:控制柜 数量:3台 交期:12月20日 不是非标，无罚款条款", NOW,
                            non_regular=RULES)
    assert negated.fields.order_class is None


def test_a_company_changes_the_non_regular_words() -> None:
    """The words are the policy's: a company's list replaces the default one for its reason."""
    order = "/order 客户:比亚迪 产品:控制柜 数量:3台 交期:12月20日 要防爆型，客户催得急，加急"
    default = parse_message(order, NOW, non_regular=RULES)
    assert default.fields.non_regular_reasons == ["urgent_penalty"]
    rules = load_policy(None, {"non_regular.keywords": {"custom_design": ["防爆型"],
                                                        "urgent_penalty": ["违约金"]}}).non_regular
    company = parse_message(order, NOW, non_regular=rules)
    assert company.fields.order_class == "non_regular"
    assert company.fields.non_regular_reasons == ["custom_design"]
    assert classify("常规柜体，加急", rules) == ("regular", [])
    assert classify("无需防爆型", rules) == (None, [])
    assert parse_field_value("order_class", "防爆型", NOW, rules) == ("non_regular", None)
    assert parse_field_value("order_class", "防爆型", NOW) == (None, "value_unreadable")


def test_keywords_match_numbers_spaces_and_whole_latin_words() -> None:
    assert classify("晚一天扣 0.5 %", RULES) == ("non_regular", ["urgent_penalty"])
    assert classify("Rush   Order, please", RULES) == ("non_regular", ["urgent_penalty"])
    assert classify("reply urgently", RULES) == (None, [])
    assert classify("not urgent", RULES) == (None, [])


def test_without_the_company_s_words_nothing_is_non_regular() -> None:
    assert classify("非标设计，逾期罚款") == (None, [])


def test_warnings_are_keys_not_prose() -> None:
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:0台 单价:3万 总价:10万 交期:2020-01-01 "
                           "备注:x", NOW)
    assert set(result.warnings) >= {"quantity_not_positive", "due_date_in_past"}
    for warning in result.warnings:
        assert re.fullmatch(r"[a-z_]+", warning)


_EDGE_MESSAGES = [
    "/order", "/change 数量:40台", "/order 客户:华东电力 产品:开关柜 数量:-3台 单价:0",
    "/order 客户:华东电力 单价:面议 交期:春节前", "/order 客户:A 数量:3台 单价:1万 总价:5万",
    "华东电力那单再加2台", "/order 交期:推迟一周", "/order 客户:A\n\n/order 客户:B",
    "/order 数量:很多 交期:2020-01-01 price: $5", "SO-20261124-003 数量:0台",
    # issue 13
    "华东电力要约50台开关柜，下周五交", "/order 客户:A 数量:99999999999999999999台 单价:1e308 总价:-5万",
    "/order 客户:A 单价:99999999999999 总价:9999999999999999 交期:11月1日",
]
_EDGE_ANSWERS = [("quantity", "很多"), ("quantity", "0"), ("unit", "x"), ("unit_price", "面议"),
                 ("unit_price", "$9"), ("due_date", "以后再说"), ("due_date", "推迟一周"),
                 ("due_date", "2020-01-01"), ("customer", " "), ("complete_set", "看情况"),
                 ("order_class", "不知道"), ("amount", "-5万")]


def test_every_warning_and_reason_key_is_declared() -> None:
    from .corpus import CASES
    from .holdout import HOLDOUT, HOLDOUT2

    seen: set[str] = set()
    for text in [c.text for c in CASES + HOLDOUT + HOLDOUT2] + _EDGE_MESSAGES:
        result = parse_message(text, NOW)
        seen |= set(result.warnings)
        assert set(result.fields.non_regular_reasons) <= set(parsing.NON_REGULAR_REASONS)
    for field, answer in _EDGE_ANSWERS:
        _, warning = parsing.parse_field_value(field, answer, NOW)
        seen.add(warning)
    assert seen <= set(parsing.WARNING_KEYS)
    assert seen == set(parsing.WARNING_KEYS)  # and the sweep above reaches every one


def test_wall_clock_is_never_read() -> None:
    text = "帮我下个单，江苏恒通机械要30台Y160M-4电机，月底前交货，单价2800"
    expected = parse_message(text, NOW).to_json()
    with time_machine.travel(datetime(2031, 3, 3, tzinfo=UTC), tick=False):
        assert parse_message(text, NOW).to_json() == expected
    assert expected["fields"]["due_date"] == date(2026, 11, 30).isoformat()


_FORBIDDEN_IMPORTS = re.compile(r"^\s*(?:import|from)\s+(telegram|sqlalchemy|aiohttp|apscheduler)\b", re.M)
_WALL_CLOCK = re.compile(r"\b(?:datetime\.now|datetime\.utcnow|date\.today|datetime\.today|time\.time|"
                         r"time\.monotonic|time\.localtime|time\.gmtime)\s*\(")


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_source_is_pure(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not _FORBIDDEN_IMPORTS.search(source)
    assert not _WALL_CLOCK.search(source)


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_pulls_in_no_framework() -> None:
    found = _run(
        "import json, sys\n"
        "import workflow.parsing as p\n"
        "p.warm_up()\n"
        "print(json.dumps(sorted(m for m in ('telegram', 'sqlalchemy', 'aiohttp', 'apscheduler', "
        "'pkg_resources') if m in sys.modules)))"
    )
    assert found == []


def test_warm_up_memory_and_no_default_dictionary() -> None:
    report = _run(
        "import json\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1]) / 1024\n"
        "base = rss()\n"
        "import workflow.parsing as p\n"
        "p.warm_up()\n"
        "from workflow.parsing import segment\n"
        "warm = rss()\n"
        "from datetime import datetime, timezone\n"
        "r = p.parse_message('江苏恒通机械要30台电机，月底前交货', datetime(2026, 11, 24, tzinfo=timezone.utc))\n"
        "import jieba\n"
        "print(json.dumps({'cost': rss() - base, 'warm': warm - base, 'default_loaded': jieba.dt.initialized,\n"
        "                  'customer': r.fields.customer}))"
    )
    assert report["cost"] <= 15.0, report
    assert report["default_loaded"] is False
    assert report["customer"] == "江苏恒通机械"


def test_warm_up_is_idempotent_and_loads_before_first_message() -> None:
    from workflow.parsing import segment

    parsing.warm_up()
    tokenizer = segment._tokenizer
    assert segment.is_warm()
    parsing.warm_up()
    assert segment._tokenizer is tokenizer
    assert segment.cut("江苏恒通机械") == ["江苏", "恒通", "机械"]
