"""Every string the bot shows lives in both catalogs."""

from __future__ import annotations

import re
import string
from pathlib import Path

from handlers.drafts import FIELD_ORDER
from locales import LOCALES, catalog, translate
from workflow.lifecycle import Action
from workflow.model import DraftStatus, OrderStatus, TaskKind, TaskStatus
from workflow.orders import INFEASIBLE_REASONS
from workflow.parsing import NON_REGULAR_REASONS, REQUIRED_FIELDS, WARNING_KEYS
from workflow.quality import SOURCES
from workflow.roles import Role

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("bot", "handlers", "workflow", "web")
# Keys built at run time from a code: f"role.{role}", f"warning.{w}", ...
FAMILIES = {
    "role.": [r.value for r in Role],
    "status.": [s.value for s in OrderStatus] + [s.value for s in TaskStatus]
    + [s.value for s in DraftStatus],
    "taskkind.": [k.value for k in TaskKind],
    "action.": [a.value for a in Action],
    "warning.": list(WARNING_KEYS),
    "non_regular.": list(NON_REGULAR_REASONS),
    "field.": list(FIELD_ORDER),
    "example.": list(REQUIRED_FIELDS),
    "reason.": list(INFEASIBLE_REASONS),
    "source.": sorted(set(SOURCES.values())),
    "language.": list(LOCALES),
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_every_key() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    assert set(zh) - set(en) == set(), "keys missing in en"
    assert set(en) - set(zh) == set(), "keys missing in zh_CN"
    assert len(zh) > 100


def test_translations_use_the_same_placeholders() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    for key in zh:
        assert _placeholders(zh[key]) == _placeholders(en[key]), key


def test_every_key_the_code_names_exists() -> None:
    keys = set(catalog("zh_CN"))
    pattern = re.compile(r"""(?:Text\(|\.t\(|translate\([^,]+,\s*)\s*["']([a-z_]+\.[a-z_.]+)["']""")
    named = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            named |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert named, "the scan found no keys; the pattern is wrong"
    assert named - keys == set()


def test_coded_families_are_complete() -> None:
    for locale in LOCALES:
        for prefix, codes in FAMILIES.items():
            for code in codes:
                assert f"{prefix}{code}" in catalog(locale), (locale, prefix, code)


def test_fallbacks() -> None:
    assert translate("en", "button.confirm") == "Confirm"
    assert translate(None, "button.confirm") == "确认"
    assert translate("en", "no.such.key") == "no.such.key"


def test_no_key_is_written_twice() -> None:
    """The catalog reader keeps one of two entries silently; which one is a matter of luck."""
    for locale in LOCALES:
        keys = re.findall(r'^msgid "(.+)"$', (ROOT / "locales" / locale / "LC_MESSAGES" /
                                             "gendan.po").read_text(encoding="utf-8"), re.M)
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
