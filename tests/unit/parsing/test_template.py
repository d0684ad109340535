"""The "not understood" answer: what was read, what is missing, and an /order line to finish."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from locales import catalog
from workflow.parsing import REQUIRED_FIELDS, order_template, parse_message

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=8)))
_KEYED = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date", "notes",
          "complete_set", "non_regular")


def test_an_unknown_message_keeps_what_was_read() -> None:
    result = parse_message("帮我看下华东电力开关柜的事", NOW)
    assert result.intent == "unknown" and result.fields.customer is None
    template = order_template(result)
    assert template.read == ["customer", "product"]
    assert template.missing == ["quantity", "due_date"]
    assert template.text == "/order 客户:华东电力 产品:开关柜 数量: 交期:"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("message", [
    "宝钢要30吨角钢 L50×5 4100一吨 下周五交 成套 非标，备注：分两批发",
    "/order 客户:华东电力 产品:开关柜 数量:2.5吨 单价:3.5万 总价:8.75万 交期:12月20日",
    "Delta Motors wants 20 gearboxes, model K87, by Jan 15",
])
def test_the_filled_template_reads_back(locale: str, message: str) -> None:
    keys = {name: catalog(locale)[f"order_key.{name}"] for name in _KEYED}
    first = parse_message(message, NOW)
    template = order_template(first, keys)
    again = parse_message(template.text, NOW)
    assert again.intent == "new_order", template.text
    for name in template.read:
        assert getattr(again.fields, name) == getattr(first.fields, name), (name, template.text)
    assert template.missing == [n for n in REQUIRED_FIELDS if getattr(first.fields, n) is None]


def test_a_finished_template_is_an_order() -> None:
    template = order_template(parse_message("华东电力要开关柜12台", NOW))
    assert template.missing == ["due_date"]
    done = parse_message(template.text + "12月20日", NOW)
    assert done.intent == "new_order" and done.missing == []
