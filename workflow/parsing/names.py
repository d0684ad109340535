"""Customer and product names: the lexicon first (longest match), then the leftovers.

Leftover text (what no key, number, date or model took) is cut into words with the domain
dictionary.  A customer is a run of name words ending in a company word (机械, 电力,
有限公司 …), or the words in front of an ordering verb at the start of a clause
("宁波奥克斯订了…").  A product is a product word (…柜, …箱, 电机 …) with the qualifying
words in front of it (不锈钢, 防爆 …).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from . import segment
from .model import Lexicon
from .text import CJK, MASK

RE_RUN = re.compile(f"[{CJK}A-Za-z]+")
RE_CJK_RUN = re.compile(f"[{CJK}]")
# Product words end with one of these; words like 安排/老板/结束 must not count.
HEAD_CHARS = frozenset("柜箱泵阀桩器机缆管床塔组窗架罐")
# Product words that also end company names (神通阀门, 远东电缆, 汽轮电机).
COMPANY_ENDINGS = frozenset(("阀门", "电缆", "电机", "电器", "变压器", "开关", "电源", "水泵", "泵", "阀"))
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


def _tokens(text: str, start: int, end: int, hmm: bool = True) -> list[Token]:
    out = []
    pos = start
    for word in segment.cut(text[start:end], hmm):
        out.append(Token(word, pos, pos + len(word)))
        pos += len(word)
    return out


def _is_corp(tok: Token) -> bool:
    return tok.tag == "corp"


def _is_head(tok: Token) -> bool:
    tag = tok.tag
    if tag == "prod":
        return True
    return tag is None and len(tok.text) >= 2 and tok.text[-1] in HEAD_CHARS and bool(RE_CJK_RUN.search(tok.text))


# --- free sentences: pieces between what the scanners took, scored as customer or product ---

# Words that end one name and start the next: ordering verbs, particles, fillers.  One
# character only splits when it is one of these, so "中交集团" or "和利时" stay whole.
# 定 is how a phone often writes 订 ("宝钢定了30吨").
_SPLIT_SINGLE = frozenset("要订定的了给送说跟又补再刚没问呢吧啊帮催是")
# After a customer: "宝钢要…", "华东电力的…", "正泰那边…", "恒通又来单了…".
_AFTER_CUSTOMER = ORDER_VERBS | frozenset((
    "定了", "又来", "来单", "刚", "刚刚", "说", "采购", "再订", "再来", "急要", "加急", "那个单",
    "这批", "那批", "的单子", "单子", "订单", "这次", "今天", "明天", "刚才", "问", "在", "又",
))
# Before a customer: "客户宁德时代", "给宝钢送…", "跟平高签了…".
_BEFORE_CUSTOMER = frozenset(("客户", "客户是", "给", "跟", "刚跟", "甲方", "用户"))
# Before a product: "要…", "订…", "…的…", "产品…".
_BEFORE_PRODUCT = frozenset(("要", "订", "订购", "采购", "需要", "购买", "买", "送", "的", "产品", "下单",
                             "订了", "要了", "追加", "再要", "急要", "定了", "又来", "来单了"))


@dataclass
class Piece:
    start: int
    end: int
    tokens: list[Token]
    before: str  # the word, "" after a separator, MASK after a taken span, "^" at the start
    after: str
    first: bool = False
    spaced: bool = False  # a space between it and what comes before

    @cached_property
    def ends_in_product_word(self) -> bool:
        return _is_head(self.tokens[-1]) or self.tokens[-1].text[-1] in HEAD_CHARS

    @cached_property
    def has_company_word(self) -> bool:
        corp = [t for t in self.tokens if _is_corp(t)]
        return bool(corp) and len(corp) < len(self.tokens) or any(
            t.text[-1] in "厂局司院所" for t in self.tokens[-1:])


def _splits(tok: Token, following: Token | None) -> bool:
    if tok.text not in _SPLIT_SINGLE and (tok.tag != "stop" or len(tok.text) == 1):
        return False
    # "杭州老板电器": a filler word inside a company name is part of it.
    return not (following is not None and following.start == tok.end and _is_corp(following))


def pieces(text: str, opening_end: int) -> list[Piece]:
    """Runs of letters in the leftover `text`, cut at ordering verbs, particles and fillers;
    the first piece opens the message when it starts before `opening_end` (the first span
    taken for anything but a date: "明天宝钢要…" still opens with 宝钢)."""
    out: list[Piece] = []
    for m in RE_RUN.finditer(text):
        # Without the HMM: it would glue an unknown name to the verb after it ("宝钢要").
        toks = _tokens(text, m.start(), m.end(), hmm=False)
        before = _edge_before(text, m.start())
        current: list[Token] = []
        for i, tok in enumerate(toks):
            # "给鞍钢股份发角钢": 给…发 like 给…送.
            if _splits(tok, toks[i + 1] if i + 1 < len(toks) else None) or (
                    before == "给" and tok.text == "发" and current):
                if current:
                    out.append(_piece(text, current, before, tok.text))
                current, before = [], tok.text
            else:
                current.append(tok)
        if current:
            out.append(_piece(text, current, before, _edge_after(text, current[-1].end)))
    out = [p for p in out if RE_CJK_RUN.search(text[p.start:p.end]) or p.end - p.start >= 2]
    if out:
        out[0].first = out[0].start < opening_end
    return out


def _piece(text: str, tokens: list[Token], before: str, after: str) -> Piece:
    start = tokens[0].start
    return Piece(start, tokens[-1].end, tokens, before, after,
                 spaced=start > 0 and text[start - 1] in " \t")


def _edge_before(text: str, pos: int) -> str:
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 0:
        return "^"
    return MASK if text[i] == MASK else ""


def _edge_after(text: str, pos: int) -> str:
    i = pos
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text):
        return "$"
    return MASK if text[i] == MASK else ""


def _customer_score(p: Piece, quantity_at: Callable[[int], bool]) -> int:
    score = 0
    if p.first:
        score += 2
    if p.before in _BEFORE_CUSTOMER:
        score += 3
    if p.after in _AFTER_CUSTOMER:
        score += 2
    if p.has_company_word:
        score += 2
    if p.tokens[0].tag == "place" and len(p.tokens) > 1:
        score += 1
    if p.before == MASK and quantity_at(p.start) and not p.spaced:
        score -= 4
    if p.ends_in_product_word and not p.has_company_word:
        score -= 1
    if p.before in ("型号", "规格", "单价", "价格", "每", "共", "一共"):
        score -= 5
    if all(t.tag in ("stop", "w") for t in p.tokens) or p.end - p.start < 2:
        score -= 5
    return score


def _product_score(p: Piece, quantity_at: Callable[[int], bool], model_at: Callable[[int], bool]) -> int:
    score = 0
    if p.before == MASK and quantity_at(p.start):
        # "30台角钢" is what the thirty are; after a space ("十五台 常州天合") less surely.
        score += 1 if p.spaced else 3
    if p.tokens[0].tag == "place" and len(p.tokens) > 1:
        score -= 2  # "常州天合": a place opens a company name, not a product
    if p.after == MASK and (quantity_at(p.end) or model_at(p.end)):
        score += 2
    if p.before == MASK and model_at(p.start):
        score += 1
    if p.ends_in_product_word:
        score += 2
    if p.before in _BEFORE_PRODUCT:
        score += 1
    if p.first and p.after in _AFTER_CUSTOMER:
        score -= 3
    if p.has_company_word and not p.ends_in_product_word:
        score -= 2
    if all(t.tag in ("stop", "w", "corp", "place") for t in p.tokens) or p.end - p.start < 2:
        score -= 5
    return score


def _split_glued(text: str, p: Piece) -> tuple[Name, Name] | None:
    """"晶科能源组串式逆变器": a company name typed straight into its product.  The product
    is the product word with the modifiers in front of it, up to an earlier product word or
    company word, which ends the customer."""
    toks = p.tokens
    head = toks[-1]
    if len(toks) < 2 or head.tag != "prod" or len(head.text) < 2:
        return None
    k = len(toks) - 1
    while k > 0 and toks[k - 1].tag == "mod":
        k -= 1
    if k == 0 or toks[k - 1].end - p.start < 2:
        return None
    # "江苏神通阀门" is a valve maker, not 江苏神通 buying valves: such a word ends the
    # name unless a modifier in front of it shows a product ("…阀门干式变压器").
    if k == len(toks) - 1 and head.text in COMPANY_ENDINGS:
        return None
    customer = Name(p.start, toks[k - 1].end, "customer", text[p.start:toks[k - 1].end], "text")
    product = Name(toks[k].start, p.end, "product", text[toks[k].start:p.end], "text")
    return customer, product


def read_names(text: str, quantity_at: Callable[[int], bool], model_at: Callable[[int], bool],
               opening_end: int, want_customer: bool = True,
               want_product: bool = True) -> tuple[Name | None, Name | None]:
    """The customer and the product of a free sentence, from the leftover `text`.

    Each piece between the taken spans is scored for both roles from its position (first in
    the message, right after a quantity, right before a model), the words around it (要, 的,
    给…送) and its own words (a company word, a product word); the best customer is chosen
    first, then the best product among the other pieces.  A piece is a name whole: the
    product is the noun phrase as typed, never a shorter dictionary word inside it."""
    ps = pieces(text, opening_end)
    cust = [_customer_score(p, quantity_at) if want_customer else -9 for p in ps]
    prod = [_product_score(p, quantity_at, model_at) if want_product else -9 for p in ps]
    # The best consistent reading: one piece each, a weak customer (1) only beside a product.
    best: tuple[int, int | None, int | None] = (0, None, None)
    for i, c in enumerate(cust):
        if c >= 2 and c > best[0]:
            best = (c, i, None)
        for j, p in enumerate(prod):
            if i != j and c >= 1 and p >= 2 and c + p + (i < j) > best[0]:
                best = (c + p + (i < j), i, j)
    for j, p in enumerate(prod):
        if p >= 2 and p > best[0]:
            best = (p, None, j)
    _, ci, pj = best
    customer = _name(text, ps[ci], "customer") if ci is not None else None
    product = _name(text, ps[pj], "product") if pj is not None else None
    # One piece read as one name may be two typed together ("双良节能冷却塔").
    lone = ps[ci] if product is None and ci is not None else (
        ps[pj] if customer is None and pj is not None and want_customer and ps[pj].first else None)
    if want_product and lone is not None:
        glued = _split_glued(text, lone)
        if glued:
            customer, product = glued
    return customer, product


def _name(text: str, p: Piece, kind: str) -> Name:
    return Name(p.start, p.end, kind, text[p.start:p.end], "text")


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
