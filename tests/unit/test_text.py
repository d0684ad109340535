"""Names as they may be stored: decoration, escapes and invisible marks never get in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.text import MAX_NAME_CHARS, clean_name, clean_text


@pytest.mark.parametrize(("typed", "stored"), [
    ("★【华东电力】★", "华东电力"),
    ("华东电力🔥🔥", "华东电力"),
    ("✅开关柜✅", "开关柜"),
    ("\x1b[31m王强\x1b[0m", "王强"),
    ("\u202e强王\u202c", "强王"),
    ("李\u200b明", "李明"),
    ("  江苏   恒通\t机械 ", "江苏 恒通 机械"),
    ("(中国)华电", "(中国)华电"),
    ("华电(南京)", "华电(南京)"),
    ("【急】华电", "【急】华电"),
    ("👍🏻", ""),
    (None, ""),
])
def test_names_keep_their_words_and_lose_the_rest(typed: str | None, stored: str) -> None:
    assert clean_name(typed) == stored


def test_free_text_keeps_its_lines_but_not_control_characters() -> None:
    assert clean_text("第一行\n第二\x07行\u200b") == "第一行\n第二行"


@given(st.text())
def test_a_cleaned_name_is_short_and_has_no_invisible_or_control_characters(text: str) -> None:
    name = clean_name(text)
    assert len(name) <= MAX_NAME_CHARS
    assert name == name.strip()
    assert not any(ch in name for ch in "\x1b\u202e\u200b\n\t\x00")
    assert clean_name(name) == name
