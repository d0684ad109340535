"""Gettext catalogs (zh_CN default, en), read from the .po files beside this module."""

from __future__ import annotations

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
def catalog(locale: str) -> dict[str, str]:
    with catalog_path(locale).open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string}


def translate(locale: str | None, key: str, /, **params: object) -> str:
    """The message for `key` in `locale`, falling back to zh_CN, then to the key itself."""
    text = catalog(locale or DEFAULT_LOCALE).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    return text.format(**params) if params else text
