"""/find's reading of what to look for, and what an order owes for the credit check."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.conftest import SHANGHAI
from workflow.archive import read_search
from workflow.credit import order_value, unpaid
from workflow.errors import DomainError
from workflow.model import Order, OrderStatus

TODAY = date(2026, 12, 28)


def test_words_are_looked_for_and_one_period_bounds_the_search() -> None:
    search = read_search("华东电力  开关柜 2026-11", TODAY, SHANGHAI)
    assert search.words == ("华东电力", "开关柜")
    assert (search.start, search.end) == (datetime(2026, 11, 1, tzinfo=SHANGHAI),
                                          datetime(2026, 12, 1, tzinfo=SHANGHAI))
    assert read_search("上月", TODAY, SHANGHAI).start == datetime(2026, 11, 1, tzinfo=SHANGHAI)


def test_an_order_number_is_a_word_and_written_in_capitals() -> None:
    assert read_search("so-20261124-001", TODAY, SHANGHAI).words == ("SO-20261124-001",)
    assert read_search("SO-202611", TODAY, SHANGHAI).words == ("SO-202611",)
    assert read_search("GGD2-15", TODAY, SHANGHAI).words == ("GGD2-15",)


@pytest.mark.parametrize(("text", "key"), [("", "find.empty"), ("  ", "find.empty"),
                                           ("11月 12月", "find.two_periods"),
                                           ("华" * 201, "find.too_long")])
def test_what_cannot_be_searched_is_refused_by_name(text: str, key: str) -> None:
    with pytest.raises(DomainError) as refused:
        read_search(text, TODAY, SHANGHAI)
    assert refused.value.text.key == key


def _order(status: OrderStatus = OrderStatus.REVIEW, **values: object) -> Order:
    order = Order(None, "SO-20261124-001", status, "华东电力", "开关柜", 12, date(2026, 12, 20),
                  101, datetime(2026, 11, 24, tzinfo=SHANGHAI), -1001)
    for name, value in values.items():
        setattr(order, name, value)
    return order


def test_an_orders_value_is_its_quote_else_its_amount_else_its_price() -> None:
    assert order_value(_order(unit_price=35000.0)) == 420000
    assert order_value(_order(unit_price=35000.0, amount=400000.0)) == 400000
    assert order_value(_order(amount=400000.0, facts={"quote_amount": 410000})) == 410000
    assert order_value(_order()) == 0


def test_an_order_owes_until_finance_confirms_the_payment_or_it_ends_unsold() -> None:
    assert unpaid(_order(OrderStatus.PRODUCTION, facts={"paid": "2026-11-25"}))
    assert not unpaid(_order(OrderStatus.SHIPPED, facts={"payment_confirmed": "2026-12-10"}))
    for ended in (OrderStatus.CANCELLED, OrderStatus.DECLINED, OrderStatus.CLOSED):
        assert not unpaid(_order(ended))
