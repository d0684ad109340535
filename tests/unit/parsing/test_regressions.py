"""Messages met while testing issue 13 by hand, outside the corpora: each pins one cause."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from workflow.parsing import Lexicon, parse_message

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(("text", "intent", "expected"), [
    # a Chinese numeral glued to a code; the company after the count
    ("变频器ACS510-01十五台 常州天合 下周五前", "new_order",
     {"customer": "常州天合", "product": "变频器", "model": "ACS510-01", "quantity": 15}),
    # date first, 给…送, a price per ton
    ("后天给宝钢送30吨角钢，价格4100一吨", "new_order",
     {"customer": "宝钢", "product": "角钢", "quantity": 30, "unit_price": 4100, "due_date": "2026-11-26"}),
    ("Delta Motors wants 20 gearboxes, model K87, $1,450 each, by Jan 15", "new_order",
     {"customer": "Delta Motors", "product": "gearboxes", "model": "K87", "quantity": 20, "unit_price": 1450}),
    ("Hi team, Pacific Valve Co placed an order for 60 butterfly valves DN200, $1,350 each", "new_order",
     {"customer": "Pacific Valve Co", "product": "butterfly valves", "quantity": 60}),
    ("Need 15 CNC lathes for Apex Machine Tools by end of month", "new_order",
     {"customer": "Apex Machine Tools", "product": "CNC lathes", "due_date": "2026-11-30"}),
    ("Is the Orion Steel order shipped yet?", "query", {}),
    # a person's name first, the company after it
    ("老李，宝钢又下了单，30吨角钢，下周五前要", "new_order", {"customer": "宝钢", "product": "角钢"}),
    ("宁波奥克斯这次要的是新风机组XFJ-3000八台 价格一万六千八", "new_order",
     {"customer": "宁波奥克斯", "product": "新风机组", "quantity": 8, "unit_price": 16800}),
    ("| 客户 | 产品 | 数量 | 交期 |\n|---|---|---|---|\n| 宁德时代 | 干式变压器 | 3台 | 12月28日 |", "new_order",
     {"customer": "宁德时代", "product": "干式变压器", "quantity": 3, "due_date": "2026-12-28"}),
    ("合同号：HT-1\n甲方（需方）：南京钢铁股份有限公司\n货物名称：桥式起重机\n数量：2台\n合计金额：77.2万元\n交货期：2027年1月31日前",
     "new_order", {"customer": "南京钢铁股份有限公司", "amount": 772000, "due_date": "2027-01-31"}),
    # talk, not orders
    ("华为数字能源那个项目有50台逆变器的需求，下周去投标", "unknown", {}),
    ("特变电工的干式变压器12台已经全部交付", "unknown", {}),
    ("宝钢说角钢30吨的价格太高了", "unknown", {}),
    ("今年冷却塔一共卖了10台", "unknown", {}),
    ("宝钢问角钢50吨最快什么时候能交", "unknown", {}),
    # changes said loosely
    ("宝钢那单的交期往后推一周", "change", {}),
    ("中交一航局再加10根", "change", {}),
    ("国电南瑞的开关柜推迟到元旦后交", "change", {"due_date": None}),
])
def test_message(text: str, intent: str, expected: dict) -> None:
    result = parse_message(text, NOW, Lexicon())
    assert result.intent == intent, result.to_json()
    got = result.to_json()["fields"]
    for name, value in expected.items():
        assert got[name] == value, (name, result.to_json())
