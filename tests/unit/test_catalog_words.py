"""Every catalog text, rendered as people read it, speaks their words: department names rather
than role keys, no setting names, no placeholder left unfilled."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

from handlers.drafts import FIELD_ORDER
from handlers.render import quantity_text, render
from locales import LOCALES, catalog, plural, translate
from workflow.lifecycle import Action
from workflow.model import OrderStatus, TaskKind, Text
from workflow.orders import INFEASIBLE_REASONS
from workflow.parsing import WARNING_KEYS
from workflow.parsing.numbers import UNITS_CN
from workflow.roles import Role

# Parameters the renderer translates from codes get real codes, so that a key left in the text
# can only come from the template itself.
CODED: dict[str, Any] = {
    "role": Role.MANUFACTURING.value,
    "roles": [Role.TECH.value, Role.MARKET.value],
    "status": next(iter(OrderStatus)).value,
    "field": FIELD_ORDER[0],
    "fields": list(FIELD_ORDER[:2]),
    "read": list(FIELD_ORDER[:2]),
    "missing": [FIELD_ORDER[3]],
    "task": TaskKind.PURCHASE.value,
    "action": next(iter(Action)).value,
    "reason": INFEASIBLE_REASONS[0],
    "source": "oem",
    "locale": "zh_CN",
    "departments": [f"{Role.TECH.value}|2|1"],
    "warnings": [WARNING_KEYS[0]],
    "people": ["王强"],
    "late": [f"taskkind.{TaskKind.PURCHASE.value}|{Role.PROCUREMENT.value}|断路器|12-05 17:00"],
    "today": [f"taskkind.{TaskKind.PACKAGING.value}|{Role.WAREHOUSE.value}||12-05 17:00"],
    "overdue": [f"taskkind.{TaskKind.PURCHASE.value}|{Role.PROCUREMENT.value}|端子|12-04"],
    "changes": ["quantity|12|15"],
    "undelivered": [[7, -1001, "failed", "Forbidden: bot was blocked by the user"]],
    "set_aside": [["12-04 09:30", "王强", "制造中心", "/whoami", "ValueError: x"],
                  ["12-04 09:31", "王强", "制造中心", None, "ValueError: x"]],
}
COUNTS = re.compile(r"count|total|passed|shipped|quantity|level|round|times|step|within|id|"
                    r"amount|before|length|limit|received|accepted|declined|cancelled")

ROLE_KEYS = "|".join(sorted({r.value for r in Role} | {"leader"}, key=len, reverse=True))
# A lowercase role key standing as a word of its own (Chinese letters around it count as
# boundaries: Python's \b does not, since they are word characters too).
ROLE_WORD = re.compile(rf"(?<![A-Za-z_.])(?:{ROLE_KEYS})(?![A-Za-z_])")
SETTINGS = re.compile(r"ADMIN_IDS|BOT_TOKEN|DATABASE_URL|POLICY_FILE|zh_CN|\bzh\|en\b")
LEFT_OVER = re.compile(r"\{[a-z_0-9]*\}")
SPACE_BEFORE_BRACKET = re.compile(r" [（【「《]")

# English words that happen to be role keys, where they mean the word and not the department.
ENGLISH_WORDS = {"leader", "quality", "service", "finance"}


def _sample(name: str) -> Any:
    if name in CODED:
        return CODED[name]
    if COUNTS.search(name):
        return 3
    return f"‹{name}›"


def _params(text: str) -> dict[str, Any]:
    return {name: _sample(name) for _, name, _, _ in string.Formatter().parse(text) if name}


def _rendered(locale: str) -> dict[str, str]:
    return {key: render(Text(key, _params(raw)), locale)
            for key, raw in catalog(locale).items()}


@pytest.mark.parametrize("locale", LOCALES)
def test_no_placeholder_is_left_and_no_setting_is_named(locale: str) -> None:
    bad = {key: text for key, text in _rendered(locale).items()
           if LEFT_OVER.search(text) or SETTINGS.search(text)}
    assert bad == {}


def test_chinese_texts_name_departments_not_role_keys() -> None:
    bad = {key: text for key, text in _rendered("zh_CN").items() if ROLE_WORD.search(text)}
    assert bad == {}


def test_english_texts_name_departments_not_role_keys() -> None:
    bad = {key: text for key, text in _rendered("en").items()
           if any(m[0] not in ENGLISH_WORDS for m in ROLE_WORD.finditer(text))}
    assert bad == {}


def test_no_space_before_a_full_width_bracket() -> None:
    bad = {key: text for key, text in _rendered("zh_CN").items()
           if SPACE_BEFORE_BRACKET.search(text)}
    assert bad == {}


def test_the_checks_catch_what_they_are_for() -> None:
    """The patterns themselves, so that a test that finds nothing is not a pattern that sees
    nothing."""
    assert ROLE_WORD.search("请在制造中心群里 /bind market。")
    assert ROLE_WORD.search("ask manufacturing")
    assert not ROLE_WORD.search("OEM代工厂 taskkind.purchase market_follow_up")
    assert SETTINGS.search("在 ADMIN_IDS 里") and SETTINGS.search("语言：zh_CN")
    assert LEFT_OVER.search("订单 {number}") and not LEFT_OVER.search("{")
    assert SPACE_BEFORE_BRACKET.search("开关柜 （GGD）")


def test_english_counts_take_their_plural_form() -> None:
    assert translate("en", "done.plan", number="SO-1", count=1).endswith("1 task.")
    assert translate("en", "done.plan", number="SO-1", count=8).endswith("8 tasks.")
    assert translate("en", "error.snooze_spent", times=1).startswith(
        "The reminder was already put off 1 time;")
    assert translate("zh_CN", "done.plan", number="SO-1", count=1).endswith("共 1 项任务。")


def test_quantities_are_shown_with_their_unit() -> None:
    assert quantity_text("en", "1", "台") == "1 unit"
    assert quantity_text("en", "8", "个") == "8 pcs"
    assert quantity_text("en", "2.5", "吨") == "2.5 t"
    assert quantity_text("zh_CN", "12", "台") == "12台"
    assert quantity_text("en", "3", "樽") == "3 樽"  # a unit no catalog knows, as written
    shipped = Text("order.shipped_notice", {"number": "SO-1", "shipped": "8", "missing": "1",
                                            "unit": "个"})
    assert render(shipped, "en") == "🚚 Order SO-1 shipped 8 pcs; 1 pc missing."


def test_every_measure_word_has_its_english_forms() -> None:
    assert {w for w in UNITS_CN if plural("en", f"unit.{w}", 2) is None} == set()


def test_an_empty_part_leaves_no_stray_space() -> None:
    line = translate("zh_CN", "status.task_line", task="包装", title="", role="制造中心",
                     status="已完成", due="12-16")
    assert "包装（制造中心）" in line


def test_a_changed_quantity_is_shown_with_the_orders_unit() -> None:
    applied = Text("change.applied_3", {"change": "CN-1", "number": "SO-1", "unit": "台",
                                        "changes": ["quantity|12|15", "model|A|B"]})
    assert "· Quantity: 12 units → 15 units\n· Model: A → B" in render(applied, "en")
    assert "· 数量：12台 → 15台" in render(applied, "zh_CN")
