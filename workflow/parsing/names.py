"""Customer and product names: the lexicon first (longest match), then the leftovers.

Leftover text (what no key, number, date or model took) is cut into words with the domain
dictionary.  A customer is a run of name words ending in a company word (机械, 电力,
有限公司 …), or the words in front of an ordering verb at the start of a clause
("宁波奥克斯订了…").  A product is a product word (…柜, …箱, 电机 …) with the qualifying
words in front of it (不锈钢, 防爆 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import segment
from .model import Lexicon
from .text import CJK, MASK

RE_RUN = re.compile(f"[{CJK}A-Za-z]+")
RE_CJK_RUN = re.compile(f"[{CJK}]")
# Product words end with one of these; words like 安排/老板/结束 must not count.
HEAD_CHARS = frozenset("柜箱泵阀桩器机缆")
# Words after which the start of a clause is the buyer: "宁波奥克斯订了…", "正泰那边要…".
ORDER_VERBS = frozenset((
    "要", "要了", "订", "订了", "订的", "订购", "订货", "需要", "采购", "购买", "买", "下单", "下了",
    "下单了", "那边", "这边", "加急", "急要", "追加", "那单", "这单", "的单", "再订", "又来", "来单",
    "来单了", "下一单", "下个单", "的",
))


@dataclass(frozen=True)
class Name:
    start: int
    end: int
    kind: str  # "customer" | "product"
    text: str
    source: str  # "lexicon" | "text"


def lexicon_matches(text: str, lexicon: Lexicon) -> list[Name]:
    """Leftmost-longest matches of known names; ASCII names need word boundaries."""
    root = lexicon.trie
    if not root:
        return []
    lower = text.lower()
    n = len(lower)
    out: list[Name] = []
    i = 0
    while i < n:
        node = root.get(lower[i])
        if node is None:
            i += 1
            continue
        best = None
        j = i + 1
        while True:
            if "" in node:
                best = (j, node[""])
            if j >= n:
                break
            node = node.get(lower[j])
            if node is None:
                break
            j += 1
        if best is not None and _word_edges(text, i, best[0]):
            end, (kind, name) = best
            out.append(Name(i, end, kind, name, "lexicon"))
            i = end
        else:
            i += 1
    return out


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _word_edges(text: str, start: int, end: int) -> bool:
    if _is_ascii_alnum(text[start]) and start > 0 and _is_ascii_alnum(text[start - 1]):
        return False
    if _is_ascii_alnum(text[end - 1]) and end < len(text) and _is_ascii_alnum(text[end]):
        return False
    return True


@dataclass
class Token:
    text: str
    start: int
    end: int

    @property
    def tag(self) -> str | None:
        return segment.tag(self.text)


def _tokens(text: str, start: int, end: int) -> list[Token]:
    out = []
    pos = start
    for word in segment.cut(text[start:end]):
        out.append(Token(word, pos, pos + len(word)))
        pos += len(word)
    return out


def _cjk_runs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in RE_RUN.finditer(text) if RE_CJK_RUN.search(m.group())]


def _is_corp(tok: Token) -> bool:
    return tok.tag == "corp"


def _is_head(tok: Token) -> bool:
    tag = tok.tag
    if tag == "prod":
        return True
    return tag is None and len(tok.text) >= 2 and tok.text[-1] in HEAD_CHARS and bool(RE_CJK_RUN.search(tok.text))


def _name_part(tok: Token) -> bool:
    return tok.tag in (None, "place", "corp") and not tok.text.isdigit()


def find_customer(text: str) -> Name | None:
    """A company name in the leftover `text` (masked characters are MASK)."""
    tokenized = [_tokens(text, s, e) for s, e in _cjk_runs(text)]
    for toks in tokenized:
        for i, tok in enumerate(toks):
            if not _is_corp(tok):
                continue
            j = i
            while j + 1 < len(toks) and _is_corp(toks[j + 1]):
                j += 1
            k = i
            while k > 0 and _name_part(toks[k - 1]):
                k -= 1
            # A company word alone ("电力", "制造中心") is not a name.
            if all(t.tag == "corp" for t in toks[k:i]):
                continue
            return Name(toks[k].start, toks[j].end, "customer", text[toks[k].start:toks[j].end], "text")
    # No company word: the subject of the first clause that orders something.
    for words in tokenized:
        k = 0
        while k < len(words) and words[k].tag == "stop" and words[k].text not in ORDER_VERBS:
            k += 1
        j = k
        while j < len(words) and words[j].text not in ORDER_VERBS and _name_part(words[j]):
            j += 1
        if j == k or (j < len(words) and words[j].text not in ORDER_VERBS):
            if any(t.tag != "stop" for t in words):
                return None
            continue
        # j == len(words): the clause is just a name, as in "下个单：宁波奥克斯 100台电机".
        span = words[k:j]
        name = text[span[0].start:span[-1].end]
        if not 2 <= len(name) <= 12 or any(_is_head(t) or t.tag in ("mod", "part", "w") for t in span) \
                or all(t.tag == "corp" for t in span):
            return None
        return Name(span[0].start, span[-1].end, "customer", name, "text")
    return None


def find_product(text: str, skip: tuple[int, int] | None = None) -> Name | None:
    """A product name in the leftover `text`."""
    for s, e in _cjk_runs(text):
        toks = [t for t in _tokens(text, s, e) if not (skip and skip[0] <= t.start < skip[1])]
        for i, tok in enumerate(toks):
            if not _is_head(tok):
                continue
            j = i
            while j + 1 < len(toks) and toks[j + 1].start == toks[j].end and _is_head(toks[j + 1]) \
                    and toks[j + 1].tag == "prod" and len(toks[j + 1].text) == 1:
                j += 1
            k = i
            while k > 0 and toks[k - 1].end == toks[k].start and (
                    toks[k - 1].tag == "mod" or (toks[k - 1].tag is None and len(toks[k - 1].text) >= 2
                                                 and RE_CJK_RUN.search(toks[k - 1].text))):
                k -= 1
            if j + 1 < len(toks) and toks[j + 1].start == toks[j].end and toks[j + 1].tag == "part":
                j += 1
            return Name(toks[k].start, toks[j].end, "product", text[toks[k].start:toks[j].end], "text")
    return None


def extend_product(text: str, name: Name) -> Name:
    """Add qualifying words typed right before a known product (不锈钢 + 配电箱) and a part
    word right after it (箱变 + 配件)."""
    end = name.end
    while end < len(text) and RE_CJK_RUN.match(text[end]):
        end += 1
    if end > name.end:
        after = _tokens(text, name.end, end)
        if after and after[0].tag == "part":
            name = Name(name.start, after[0].end, name.kind, name.text + after[0].text, name.source)
    start = name.start
    while start > 0 and text[start - 1] != MASK and RE_CJK_RUN.match(text[start - 1]):
        start -= 1
    if start == name.start:
        return name
    toks = _tokens(text, start, name.start)
    k = len(toks)
    while k > 0 and toks[k - 1].tag == "mod":
        k -= 1
    if k == len(toks):
        return name
    new_start = toks[k].start
    return Name(new_start, name.end, "product", text[new_start:name.start] + name.text, name.source)
