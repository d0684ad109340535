"""Order class per the 订单管理办法 and the complete-set (成套) flag.

非常规订单: a product that needs new technical design; a product made before but
discontinued or not made for years; quality above the company standard; a tight date with
a penalty clause or a reputational risk.  Anything else is 常规.
"""

from __future__ import annotations

import re

_REASONS_CN = (
    ("custom_design",
     r"非标准?|定制|订制|重新设计|重新做设计|重新做|重新制作|重新开模|特殊设计|另行设计|"
     r"按图纸?(?:加工|制作|生产|定做|设计)|按(?:客户|老|新|对方)?的?图纸|客户(?:提供|给|出)的?图纸?|"
     r"来图加工|异型|特制"),
    ("discontinued",
     r"停产|淘汰|老产品|老型号|多年未(?:生产|做)|多年没有?(?:生产|做)过?|"
     r"(?:好多|好几|很多|多)年没有?(?:生产|做)过?|很久没有?(?:生产|做)过?"),
    ("high_quality",
     r"高于(?:国标|国家标准|行标|行业标准|公司标准|企业标准|常规标准|标准)|"
     r"超出(?:公司|常规|企业)?的?标准|超过(?:公司|常规|企业)?的?标准|"
     r"质量要求(?:高于|超出|超过|很高|特别高|更高|严格)|军标|军工标准|加严检验|第三方检[测验]"),
    ("urgent_penalty",
     r"罚款|罚金|违约金|扣款|扣钱|扣\s*\d+(?:\.\d+)?\s*%|罚则|索赔|加急|特急|急单|急件|急要|急需|急用|"
     r"紧急|赶工|赶货"),
)
# English phrases, matched on the lower-cased text and only when it has Latin words.
_REASONS_EN = (
    ("custom_design", r"\b(?:custom(?:ized|ised)?\s+design|custom[- ]made|customi[sz]ed|redesign(?:ed)?)\b"),
    ("discontinued", r"\b(?:discontinued|obsolete|legacy\s+model|no\s+longer\s+(?:made|produced))\b"),
    ("high_quality", r"\b(?:higher\s+quality|above\s+(?:our\s+|the\s+)?(?:company\s+)?standard|"
                     r"stricter\s+(?:standard|quality)|military\s+standard)\b"),
    ("urgent_penalty", r"\b(?:penalty|penalties|liquidated\s+damages|urgent|rush\s+order|expedited?)\b"),
)
_RE_REASONS_CN = re.compile("|".join(f"(?P<{key}>{pattern})" for key, pattern in _REASONS_CN))
_RE_REASONS_EN = re.compile("|".join(f"(?P<{key}>{pattern})" for key, pattern in _REASONS_EN))
_REASON_ORDER = tuple(key for key, _ in _REASONS_CN)
_RE_ENGLISH = re.compile(r"[A-Za-z]{3}")
_DECLARED = re.compile(r"非常规|\bnon[- ]regular\b")
_REGULAR = re.compile(r"(?<!非)常规|标准品|(?<!non-)(?<!non )\bregular\b")
_NEGATION = re.compile(r"(?:不|没|无|没有|不用|不需|不需要|无需|不是|免|非(?!常))\s*$|(?i:\b(?:not|no|non)[\s-]*$)")


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text, max(0, start - 4), start))


def classify(text: str) -> tuple[str | None, list[str]]:
    """(order_class, reasons) from everything the rep wrote."""
    found: set[str] = set()
    for m in _RE_REASONS_CN.finditer(text):
        if m.lastgroup not in found and not _negated(text, m.start()):
            found.add(m.lastgroup)
    english = _RE_ENGLISH.search(text) is not None
    lower = text.lower() if english else text
    if english and len(lower) == len(text):
        for m in _RE_REASONS_EN.finditer(lower):
            if m.lastgroup not in found and not _negated(lower, m.start()):
                found.add(m.lastgroup)
    reasons = [key for key in _REASON_ORDER if key in found]
    declared = any(not _negated(lower, m.start()) for m in _DECLARED.finditer(lower))
    if reasons:
        return "non_regular", reasons
    if declared:
        return "non_regular", ["declared"]
    for m in _REGULAR.finditer(lower):
        if not _negated(lower, m.start()):
            return "regular", []
    return None, []


_YES = r"是|要|需要|有|对|yes|y|√|✓|true"
_NO = r"否|不要|不需要|不是|无|没有|no|n|×|x|false"
RE_COMPLETE_SET = re.compile(
    rf"(?P<q>是否成套)\s*[:=]?\s*(?P<ans2>{_NO}|{_YES})?"
    rf"|(?P<neg>不|非|无需|不需要|不要|取消|不是|不用)?\s*成套(?:供货|设备|产品|发货|供应)?"
    rf"(?:\s*[:=]\s*(?P<ans>{_NO}|{_YES}))?"
    r"|(?i:(?P<enneg>\bnot\s+(?:a\s+)?|\bno\s+)?\bcomplete[\s-]+set\b)",
    re.I,
)
_RE_NO = re.compile(rf"^(?:{_NO})$", re.I)


def complete_set_matches(text: str) -> list[tuple[int, int, bool | None]]:
    out: list[tuple[int, int, bool | None]] = []
    if "成套" not in text and "set" not in text.lower():
        return out
    for m in RE_COMPLETE_SET.finditer(text):
        answer = m.group("ans") or m.group("ans2")
        if m.group("q") and not answer:
            out.append((m.start(), m.end(), None))
            continue
        value = not (m.group("neg") or m.group("enneg") or (answer and _RE_NO.match(answer)))
        out.append((m.start(), m.end(), value))
    return out


def yes_no(text: str) -> bool | None:
    t = text.strip().strip("。.!！").lower()
    if not t:
        return None
    if re.fullmatch(rf"(?:{_NO}|不成套|非成套|不|no\b.*|单机)", t, re.I):
        return False
    if re.fullmatch(rf"(?:{_YES}|成套|成套供货|好|可以|ok)", t, re.I):
        return True
    return None
