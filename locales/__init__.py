"""Gettext catalogs (zh_CN default, en), read from the .po files beside this module."""

from __future__ import annotations

import gettext
import re
import string
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
DOMAIN = "gendan"
_HERE = Path(__file__).parent


def normalize_locale(text: str | None) -> str | None:
    """Map what people type (zh, zh-cn, en-US, 中文, English) to a catalog name."""
    if not text:
        return None
    word = text.strip().lower().replace("-", "_")
    if word in ("zh", "zh_cn", "zh_hans", "cn", "中文", "简体中文"):
        return "zh_CN"
    if word in ("en", "en_us", "en_gb", "english", "英文", "英语"):
        return "en"
    return None


def catalog_path(locale: str) -> Path:
    return _HERE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _read(locale: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]], Callable[[int], int]]:
    """The catalog's texts, the forms of its plural entries (msgid_plural, keyed by msgid),
    and gettext's rule picking a form for a number."""
    with catalog_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale)
    texts: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for m in po:
        if not m.id or not m.string:
            continue
        if isinstance(m.id, tuple | list):
            forms = tuple(str(form) for form in m.string)
            texts[str(m.id[0])] = forms[0]
            plurals[str(m.id[0])] = forms
        else:
            texts[str(m.id)] = str(m.string)
    return texts, plurals, gettext.c2py(po.plural_expr)


def catalog(locale: str) -> dict[str, str]:
    """Every key's text (a plural entry by its first form)."""
    return _read(locale)[0]


def plural(locale: str | None, key: str, n: float) -> str | None:
    """The form of `key` for the number `n` in `locale`, or None when the key has none there."""
    _, plurals, rule = _read(locale or DEFAULT_LOCALE)
    forms = plurals.get(key)
    if forms is None:
        return None
    # gettext's rules are for whole numbers; 1.5 units are units.
    return forms[min(rule(int(n)) if float(n).is_integer() else rule(2), len(forms) - 1)]


def _plural_number(text: str, params: dict[str, object]) -> float | None:
    """What a plural text counts: its `count`, or else the first number placed in it."""
    if "count" in params:
        return _number(params["count"])
    for _, name, _, _ in string.Formatter().parse(text):
        if name and (number := _number(params.get(name))) is not None:
            return number
    return None


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def translate(locale: str | None, key: str, /, **params: object) -> str:
    """The message for `key` in `locale`, falling back to zh_CN, then to the key itself; a
    plural entry takes the form for the number it counts."""
    text = catalog(locale or DEFAULT_LOCALE).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    if params and key in _read(locale or DEFAULT_LOCALE)[1] and (
            n := _plural_number(text, params)) is not None:
        text = plural(locale, key, n) or text
    return _tidy(text.format(**params)) if params else text


# An empty part ({title} of a task that has none) leaves its space behind: before a full-width
# bracket or a line's end it is a stray space, and doubled with its neighbour's one too many.
_BEFORE_BREAK = re.compile(r" +(?=[（【「\n]|$)")
_DOUBLED = re.compile(r"(?<=\S) {2,}(?=\S)")


def _tidy(text: str) -> str:
    return _DOUBLED.sub(" ", _BEFORE_BREAK.sub("", text))
