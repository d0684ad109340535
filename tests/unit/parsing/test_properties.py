"""Hypothesis: the parser never raises, and structured messages read back exactly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import cn2an
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow.parsing import (
    INTENTS,
    NON_REGULAR_REASONS,
    WARNING_KEYS,
    Lexicon,
    parse_field_value,
    parse_message,
)

from .corpus import LEXICON

# Characters that make the grammar work hard: keys, numerals, units, date words, punctuation.
_TRICKY = (
    "客户产品型号规格数量单价总价交期备注成套非常规罚款停产一二三四五六七八九十百千万两零"
    "台套个件米吨面组月日号年周星期下本这明后今天内底旬元前改成为推迟到由那单SO-/.:：=，,;；、\n\t "
    "0123456789ABCGKMSYkw¥$%（）()【】？?！!\x00"
)
messages = st.one_of(st.text(), st.text(alphabet=_TRICKY, max_size=200))
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)),
                                                  timezone(timedelta(hours=-11)), None]))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(messages, moments)
def test_parse_message_never_raises(text: str, now: datetime) -> None:
    result = parse_message(text, now, LEXICON)
    assert set(result.warnings) <= set(WARNING_KEYS)
    assert set(result.fields.non_regular_reasons) <= set(NON_REGULAR_REASONS)
    out = result.to_json()
    assert out["intent"] in INTENTS
    assert set(out["fields"]) == {"customer", "product", "model", "quantity", "unit", "unit_price",
                                  "amount", "due_date", "complete_set", "order_class", "notes"}


# --- the parser's edge: numbers beyond any order, control characters, very long input --------

_HUGE = st.one_of(
    st.from_regex(r"-?[1-9][0-9]{12,60}(\.[0-9]{1,8})?", fullmatch=True),
    st.from_regex(r"-?[0-9](\.[0-9]+)?[eE][+-]?[0-9]{1,4}", fullmatch=True),
    st.sampled_from(["inf", "-inf", "nan", "NaN", "1e308", "9" * 5000, "1" + "0" * 400, "-0", "0.0",
                     "１２３４５６７８９０１２３４５６７８９０", "九" * 60 + "亿", "三万万万万万万万万"]),
)
_KEYED = st.builds(
    lambda q, p, a, sep: f"/order 客户{sep}华东电力 产品{sep}开关柜 数量{sep}{q}台 单价{sep}{p} 总价{sep}{a}",
    _HUGE, _HUGE, _HUGE, st.sampled_from([":", "：", "=", " "]))
_CONTROL = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Co", "Zl", "Zp", "So"]), max_size=80)
_LONG = st.builds(lambda chunk, n: (chunk * n)[:10_000],
                  st.text(alphabet=_TRICKY, min_size=1, max_size=40), st.integers(250, 10_000))
edge_messages = st.one_of(_KEYED, _CONTROL, _LONG,
                          st.builds(lambda a, b: a + b, _CONTROL, _KEYED),
                          st.builds(lambda n: f"华东电力要{n}台开关柜，单价{n}，下周五交", _HUGE))
_LIMITS = {"quantity": 10 ** 8, "unit_price": 10 ** 10, "amount": 10 ** 12}


# The deadline is no speed measurement (that is bench/): it catches runaway backtracking.
@settings(max_examples=300, deadline=timedelta(seconds=3), suppress_health_check=[HealthCheck.too_slow])
@given(edge_messages, moments)
def test_edge_messages_never_raise_nor_store_absurd_numbers(text: str, now: datetime) -> None:
    result = parse_message(text, now, LEXICON)
    json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False)
    assert result.intent in INTENTS
    assert set(result.warnings) <= set(WARNING_KEYS)
    for name, limit in _LIMITS.items():
        value = getattr(result.fields, name)
        assert value is None or abs(Decimal(str(value))) <= limit, (name, value)


@settings(max_examples=300, deadline=timedelta(seconds=3), suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["quantity", "unit_price", "amount", "due_date", "unit", "customer"]),
       st.one_of(_HUGE, _CONTROL, _LONG), moments)
def test_edge_answers_never_raise_nor_return_absurd_numbers(field: str, text: str, now: datetime) -> None:
    value, warning = parse_field_value(field, text, now)
    assert warning is None or warning in WARNING_KEYS
    if field in _LIMITS and value is not None:
        assert abs(Decimal(str(value))) <= _LIMITS[field]


def test_a_sign_is_never_lost() -> None:
    now = datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert parse_field_value("amount", "-5万", now) == (-50000, "amount_not_positive")
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:-3台 单价:-2万 总价:-6万", now)
    assert (result.fields.quantity, result.fields.unit_price, result.fields.amount) == (-3, -20000, -60000)
    assert {"quantity_not_positive", "price_not_positive", "amount_not_positive"} <= set(result.warnings)


_ANSWERABLE = ["customer", "product", "model", "quantity", "unit", "unit_price", "amount",
               "due_date", "complete_set", "order_class", "notes"]


@settings(max_examples=200)
@given(st.sampled_from(_ANSWERABLE), messages, moments)
def test_parse_field_value_never_raises(field: str, text: str, now: datetime) -> None:
    value, warning = parse_field_value(field, text, now)
    assert warning is None or warning in WARNING_KEYS


@settings(max_examples=100)
@given(st.lists(st.text(min_size=0, max_size=12), max_size=20), st.lists(st.text(max_size=12), max_size=20),
       messages)
def test_any_lexicon_is_safe(customers: list[str], products: list[str], text: str) -> None:
    parse_message(text, datetime(2026, 11, 24, 10, tzinfo=UTC), Lexicon.build(customers, products))


_NAMES = st.text(alphabet="华东电力开关柜AaBb İ\u3000Ａ", max_size=5)


@settings(max_examples=300)
@given(st.lists(_NAMES, max_size=12), st.lists(_NAMES, max_size=12),
       st.lists(st.tuples(_NAMES, _NAMES), min_size=1, max_size=6), st.booleans())
def test_a_learned_name_reads_as_if_built_with_it(customers: list[str], products: list[str],
                                                   orders: list[tuple[str, str]],
                                                   trie_built: bool) -> None:
    lexicon = Lexicon.build(customers, products)
    for customer, product in orders:
        if trie_built:
            assert lexicon.trie is not None
        lexicon = lexicon.learned(customer, product)
        customers.append(customer)
        products.append(product)
        built = Lexicon.build(customers, products)
        assert lexicon == built
        assert lexicon.trie == built.trie


# --- round trip ---------------------------------------------------------------------------

_NAME_CHARS = "华东恒通瑞达宏远信诚鑫泰盛安康新力长江永昌天宇博远海"
_PLACES = ["江苏", "浙江", "上海", "南京", "宁波", "合肥", "无锡", ""]
_CORP = ["电力", "机械", "电气", "科技", "集团", "有限公司", "新能源", "电器"]
_MODIFIERS = ["", "低压", "高压", "户外", "智能", "不锈钢", "防爆", "光伏"]
_HEADS = ["开关柜", "配电箱", "变压器", "电机", "水泵", "控制柜", "汇流箱", "充电桩", "环网柜"]
_UNITS = ["台", "套", "个", "件", "米", "吨", "面", "组"]
_KEYS = {
    "customer": ["客户", "客户名称", "甲方", "customer"],
    "product": ["产品", "产品名称", "货品", "product"],
    "model": ["型号", "规格", "规格型号", "model"],
    "quantity": ["数量", "订货数量", "qty"],
    "unit_price": ["单价", "价格", "unit price"],
    "amount": ["总价", "金额", "amount"],
    "due_date": ["交期", "交货期", "交货日期", "要求交期", "交货时间", "due"],
}
TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=8)))


@st.composite
def orders(draw):
    fields = {
        "customer": draw(st.sampled_from(_PLACES))
        + draw(st.text(alphabet=_NAME_CHARS, min_size=2, max_size=3))
        + draw(st.sampled_from(_CORP)),
        "product": draw(st.sampled_from(_MODIFIERS)) + draw(st.sampled_from(_HEADS)),
        "model": draw(st.from_regex(r"[A-Z]{1,4}[0-9]{1,3}(-[0-9]{1,3}[A-Z]?)?(/[0-9]{1,2})?", fullmatch=True)),
        "quantity": draw(st.integers(min_value=1, max_value=99_999)),
        "unit": draw(st.sampled_from(_UNITS)),
        "unit_price": draw(st.integers(min_value=1, max_value=9_999_999)),
        "amount": draw(st.integers(min_value=1, max_value=99_999_999)),
        "due_date": draw(st.dates(min_value=TODAY, max_value=TODAY + timedelta(days=3 * 365))),
    }
    present = draw(st.lists(st.sampled_from(list(_KEYS)), unique=True, min_size=2))
    order = draw(st.permutations(present))
    sep = draw(st.sampled_from([":", "：", "=", ": ", "： "]))
    gap = draw(st.sampled_from([" ", "，", "；", "\n", "; ", ", "]))
    parts = []
    for name in order:
        key = draw(st.sampled_from(_KEYS[name]))
        value = fields[name]
        if name == "quantity":
            number = draw(st.sampled_from(["arabic", "chinese"])) if value < 10_000 else "arabic"
            text = cn2an.an2cn(value) if number == "chinese" else str(value)
            value = f"{text}{fields['unit']}"
        elif name in ("unit_price", "amount"):
            style = draw(st.sampled_from(["plain", "yuan", "wan", "comma", "currency"]))
            if style == "wan" and value % 100 == 0:
                value = f"{value / 10_000:g}万"
            elif style == "yuan":
                value = f"{value}元"
            elif style == "comma":
                value = f"{value:,}"
            elif style == "currency":
                value = f"¥{value}"
        elif name == "due_date":
            d = value
            value = draw(st.sampled_from([d.isoformat(), f"{d.year}年{d.month}月{d.day}日",
                                          f"{d.year}/{d.month:02d}/{d.day:02d}", f"{d.year}.{d.month}.{d.day}"]))
        parts.append(f"{key}{sep}{value}")
    message = draw(st.sampled_from(["/order ", "新订单\n", ""])) + gap.join(parts)
    expected = {name: fields[name] for name in present}
    if "quantity" in present:
        expected["unit"] = fields["unit"]
    return message, expected


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_structured_message_reads_back(order) -> None:
    message, expected = order
    result = parse_message(message, NOW)
    assert result.intent == "new_order", message
    got = result.fields
    for name, value in expected.items():
        assert getattr(got, name) == value, (message, name)
    for name in ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date"):
        if name not in expected:
            assert getattr(got, name) is None, (message, name)
    assert result.warnings == [] or result.warnings == ["amount_mismatch"], (message, result.warnings)
