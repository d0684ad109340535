"""Names and free text as they may be stored: what people type is not always what they mean.

Telegram names, group titles and the customers and products reps type arrive with emoji,
decoration (★【华东电力】★), ANSI escapes pasted from a terminal, bidi marks that reorder a
line when shown, and control characters. None of it belongs in a record that is shown again
in every card, digest and export.
"""

from __future__ import annotations

import re
import unicodedata

# ESC [ … final byte, ESC ] … BEL/ST, and the lone ESC sequences terminals know.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_SPACES = re.compile(r"\s+")
# Categories that carry no meaning in a name: controls, format marks (bidi, zero-width),
# private use, unassigned, symbols (emoji, ★, ☎) and modifier symbols.
_DROPPED = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "So", "Sk"})
# Emoji presentation and skin-tone pieces that are not of a dropped category.
_EMOJI_PARTS = frozenset({0xFE0E, 0xFE0F, 0x20E3}) | frozenset(range(0x1F3FB, 0x1F400))
_OPENERS = {")": "(", "）": "（", "]": "[", "】": "【", "》": "《", "」": "「", "』": "『"}
_CLOSERS = {opening: closing for closing, opening in _OPENERS.items()}

# Longest a stored name may be; beyond it a name is a pasted paragraph, not a name.
MAX_NAME_CHARS = 128


def _kept(ch: str) -> bool:
    if ord(ch) in _EMOJI_PARTS:
        return False
    category = unicodedata.category(ch)
    return category not in _DROPPED or ch in "\n\t"


def clean_text(text: str) -> str:
    """Free text (notes, reasons) without escapes, controls, bidi marks or emoji; lines kept."""
    text = _ANSI.sub("", text)
    return "".join(ch for ch in text if _kept(ch)).strip()


def clean_name(text: str | None, limit: int = MAX_NAME_CHARS) -> str:
    """A one-line name: cleaned as free text, spaces collapsed, decoration at the ends cut
    (a bracket at an end stays when its partner is inside the name), until nothing changes."""
    if not text:
        return ""
    name = _SPACES.sub(" ", clean_text(text)).strip()[:limit]
    while (trimmed := _unwrapped(_trimmed(name))) != name:
        name = trimmed
    return name


def _trimmed(name: str) -> str:
    start, end = 0, len(name)
    while start < end and not _word_char(name[start]):
        if name[start] in _CLOSERS and _CLOSERS[name[start]] in name[start + 1:end]:
            break
        start += 1
    while end > start and not _word_char(name[end - 1]):
        closing = name[end - 1]
        if closing in _OPENERS and _OPENERS[closing] in name[start:end - 1]:
            break
        end -= 1
    return name[start:end].strip()


def _unwrapped(name: str) -> str:
    """【华东电力】: brackets around the whole name are decoration too."""
    if len(name) > 2 and _CLOSERS.get(name[0]) == name[-1] and name[0] not in name[1:-1]:
        return name[1:-1].strip()
    return name


def _word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"
