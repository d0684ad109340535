"""Character-level helpers shared by the scanners.

The parser works on a normalized copy of the message that has exactly the same length as
the original, so any span found in the copy can be cut from the original text: values such
as notes keep the punctuation the rep typed.
"""

from __future__ import annotations

import re

# Full-width ASCII (typed by Chinese IMEs) mapped one-to-one onto ASCII; keeps offsets.
# Except the full-width comma: it never separates thousands, so it must stay distinct.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
_FULLWIDTH.update({0x3000: 0x20, 0xFFE5: 0xA5, 0x00A0: 0x20, 0x2014: 0x2D, 0x2013: 0x2D})
_FULLWIDTH[ord("\r")] = ord("\n")

MASK = "\x00"

CJK = "\u4e00-\u9fff\u3400-\u4dbf"
RE_CJK = re.compile(f"[{CJK}]")


def normalize(text: str) -> str:
    """Same-length copy: full-width forms folded to ASCII, CR as newline."""
    return text.translate(_FULLWIDTH)


def has_cjk(text: str) -> bool:
    return RE_CJK.search(text) is not None


class Work:
    """The normalized message with consumed spans blanked out.

    Scanners run in a fixed order; each one blanks what it used so a later scanner
    cannot read the same characters again (a date is never also a quantity).
    """

    __slots__ = ("original", "norm", "text", "taken")

    def __init__(self, original: str) -> None:
        self.original = original
        self.norm = normalize(original)
        self.text = self.norm
        # (start, end, what): the names read a piece by what was taken next to it.
        self.taken: list[tuple[int, int, str]] = []

    def take(self, start: int, end: int, what: str = "") -> None:
        start, end = max(start, 0), min(end, len(self.text))
        if start < end:
            self.text = self.text[:start] + MASK * (end - start) + self.text[end:]
            self.taken.append((start, end, what))

    def taken_next_to(self, pos: int, what: str) -> bool:
        """Whether a span of kind `what` ends at `pos` or starts there, spaces skipped."""
        left, right = pos, pos
        while left > 0 and self.text[left - 1] in " \t":
            left -= 1
        while right < len(self.text) and self.text[right] in " \t":
            right += 1
        return any(kind == what and (end == left or start == right) for start, end, kind in self.taken)


_TRIM = " \t\n,，;:=.。、!?\"'“”‘’()[]【】<>《》「」|/\\-~*#"


def trim_span(norm: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past separator characters on both sides."""
    while start < end and norm[start] in _TRIM:
        start += 1
    while end > start and norm[end - 1] in _TRIM:
        if norm[end - 1] in ")]】》" and _opening(norm[end - 1]) in norm[start:end - 1]:
            break
        end -= 1
    return start, end


def _opening(closing: str) -> str:
    return {")": "(", "]": "[", "】": "【", "》": "《"}[closing]
