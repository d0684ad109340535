"""The key grammar: 客户:华东电力 数量=12台 交期 12月20日 qty: 8 …

A key is one of the synonyms below, standing at a boundary (start, space, punctuation,
or right after a number) — or anywhere when a change verb follows it ("那单单价调整为…");
between key and value comes `:` `：` `=`, a tab, 】, a change verb (改成, 推迟到 …) or
nothing.  With nothing, a name-like key (客户, 产品, 备注) only counts in a message with
other keys, since "客户说…" is not a form.  A value runs to the next key, the end of the line or a
separator; typed values (numbers, dates) take only what they can read and leave the rest
for the other scanners.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYS_CN: dict[str, tuple[str, ...]] = {
    "customer": ("客户名称", "客户名", "客户单位", "客户", "甲方", "购货单位", "订货单位", "收货单位",
                 "购买方", "采购方", "需方", "买方", "用户单位", "用户名称"),
    "product": ("产品名称", "产品", "货品名称", "货品", "品名", "货物名称", "货物", "设备名称",
                "物料名称", "商品名称"),
    "model": ("规格型号", "型号规格", "产品型号", "型号", "规格"),
    "quantity": ("订货数量", "订购数量", "采购数量", "数量", "台数"),
    "unit": ("计量单位", "单位"),
    "unit_price": ("含税单价", "不含税单价", "单价", "价格", "报价"),
    "amount": ("合同金额", "订单金额", "总金额", "合计金额", "金额合计", "价税合计", "含税金额", "合同额", "总价",
               "金额", "总额", "合计", "总计", "货款"),
    "due_date": ("要求交货日期", "要求交货期", "要求交期", "要求交货时间", "交货日期", "交货时间", "交货期",
                 "交期", "交付日期", "交付时间", "到货日期", "到货时间", "发货日期", "发货时间", "工期"),
    "order_class": ("订单类型", "订单类别", "订单性质", "类型", "类别"),
    "notes": ("备注", "说明", "附注", "其他要求", "特殊要求"),
    "order_no": ("订单号", "订单编号", "单号", "合同号", "合同编号"),
    # Read and set aside: when the form was signed is not when it is due, and the seller is us.
    "ignored": ("订货日期", "订购日期", "签约日期", "签订日期", "合同日期", "下单日期", "制单日期",
                "录入日期", "供方", "供货方", "供货单位", "卖方", "销售方"),
}
KEYS_EN: dict[str, tuple[str, ...]] = {
    "customer": ("customer", "client", "buyer"),
    "product": ("product", "item", "goods"),
    "model": ("model", "specification", "spec", "type"),
    "quantity": ("quantity", "qty"),
    "unit": ("unit",),
    "unit_price": ("unit price", "unit_price", "price"),
    "amount": ("total amount", "total price", "amount", "total"),
    "due_date": ("due date", "delivery date", "due", "delivery", "deadline", "ship date"),
    "order_class": ("order class", "class"),
    "notes": ("notes", "note", "remarks", "remark", "comments", "comment"),
    "order_no": ("order no", "order number"),
}
# Free text: reading the rest of a clause as a name is only safe in a form.
STRING_FIELDS = frozenset({"customer", "product", "notes", "order_class"})

CHANGE_SEPS = (
    "改成|改为|改到|改作|改至|调整为|调整到|调整成|调整至|变更为|变更成|更改为|更改成|更新为|修改为|"
    "修改成|变为|变成|换成|换为|推迟到|推迟至|延期到|延期至|延迟到|延迟至|延后到|延后至|顺延到|顺延至|"
    "提前到|提前至|放宽到|放宽至|降到|降为|降至|涨到|涨为|涨至|提高到|提高为|提到|加到|增加到|增至|"
    "减到|减为|减少到|减至|降低到|降低为|往后推到|往后延到|往后推迟到|推到|延到|挪到|改在|调到|调成|调为|调至|"
    # Last, so that every longer verb above wins: "交期改春节前".
    "改(?![一下动善造进装变了过完])"
)

_CN_LOOKUP = {syn: field for field, syns in KEYS_CN.items() for syn in syns}
_EN_LOOKUP = {syn: field for field, syns in KEYS_EN.items() for syn in syns}
_CN_ALT = "|".join(sorted(_CN_LOOKUP, key=len, reverse=True))
_EN_ALT = "|".join(sorted((s.replace(" ", r"\s+") for s in _EN_LOOKUP), key=len, reverse=True))

# Chinese keys are a plain alternation of literals, which the regex engine scans fast;
# English keys are a second pattern, only tried when the message has Latin letters.
RE_KEY_CN = re.compile(rf"(?P<cn>{_CN_ALT})(?!值|单位)")
# Matched against the lower-cased text: a case-insensitive alternation or a leading
# look-behind would make the engine try every position; word edges are checked after.
RE_KEY_EN = re.compile(rf"(?P<en>{_EN_ALT})")
_RE_LATIN = re.compile(r"[A-Za-z]{2}")
_WORD_JOIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_/")


def _key_matches(text: str) -> list[re.Match[str]]:
    found = list(RE_KEY_CN.finditer(text))
    if _RE_LATIN.search(text):
        lower = text.lower()
        if len(lower) == len(text):
            for m in RE_KEY_EN.finditer(lower):
                before = text[m.start() - 1] if m.start() else ""
                after = text[m.end()] if m.end() < len(text) else ""
                if before not in _WORD_JOIN and after not in _WORD_JOIN:
                    found.append(m)
            found.sort(key=lambda m: m.start())
    return found
RE_BOUNDARY = re.compile(
    r"(?:^|(?<=[\s,，;、。.!?|()\[\]【】<>《》「」\"'#*~:=\x00])|(?<=[0-9A-Za-z])"
    r"|(?<=\d[台套个件米吨面组只根条万元号日]))"
)
# An English key with no separator must be followed by something of its type.
_LOOSE_EN_VALUE = {
    "quantity": re.compile(r"\s*[\d¥$]"),
    "unit_price": re.compile(r"\s*[\d¥$]"),
    "amount": re.compile(r"\s*[\d¥$]"),
    "model": re.compile(r"\s*[A-Za-z0-9\-/.*]*\d"),
    "due_date": re.compile(
        r"(?i)\s*(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|next|this|in\b|within|end|"
        r"tomorrow|today)"),
}
RE_SEP = re.compile(
    # "数量(套)：4", "单价（万）：23.5", "金额(元)": a unit or scale in brackets after the key.
    r"(?:[ \t]*[(（](?P<key_unit>[^()（）\n:：]{1,4})[)）])?"
    rf"[ \t]*(?P<sep>[:=]|[】\]]|{CHANGE_SEPS}|(?i:to)(?=[ \t]+[\d$¥]))?[ \t]*(?P<sep2>[:=])?[ \t]*(?:(?P<cop>是|为)(?![\d一二两三四五六七八九十]))?[ \t]*"
)
_RE_CODE_START = re.compile(r"[A-Za-z0-9]")
_RE_DATE_START = re.compile(r"[0-9一二三四五六七八九十]|下|本|这|明|后|今|月|年|春|元|国|五一|中秋|端午|大后")
RE_FROM_TO = re.compile(rf"(?:由|从)[^,，;\n。]{{0,30}}?(?:{CHANGE_SEPS})[ \t]*[:=]?[ \t]*")
# A value ends at a new line, ; 。 ! ? and at a comma that is not a thousands separator.
RE_VALUE_END = re.compile(r"[\n;。!?，]|,(?!\d{3}(?!\d))|、")
RE_VALUE_END_NOTES = re.compile(r"[\n;]")


def _separator(text: str, key_end: int) -> tuple[re.Match[str], re.Match[str] | None]:
    """What stands between a key and its value: the separator, and a "由…改为" after it."""
    sep = RE_SEP.match(text, key_end)
    # Every part of RE_SEP is optional: it matches, if only the empty string, anywhere.
    assert sep is not None
    return sep, RE_FROM_TO.match(text, sep.end())


@dataclass
class KeyHit:
    field: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int = 0
    strong: bool = False  # an explicit separator (: = tab or a change verb)
    form: bool = False  # laid out like a form field (: = tab 】), not a change verb
    change: bool = False  # the separator was a change verb
    loose: bool = False  # an English key with no separator ("price 42000"): only if it reads
    key_unit: str | None = None  # "(套)", "（万）" typed after the key


def _field_of(m: re.Match[str]) -> str:
    if m.re is RE_KEY_CN:
        return _CN_LOOKUP[m.group("cn")]
    return _EN_LOOKUP[re.sub(r"\s+", " ", m.group("en").lower())]


def find_keys(text: str) -> list[KeyHit]:
    """Accepted key/value pairs of `text` (the masked, normalized message)."""
    hits: list[KeyHit] = []
    for m in _key_matches(text):
        if hits and m.start() < hits[-1].value_start:
            continue
        field = _field_of(m)
        sep, from_to = _separator(text, m.end())
        change = bool(sep.group("sep") and sep.group("sep") not in ":=】]") or bool(from_to)
        is_en = m.re is RE_KEY_EN
        at_boundary = is_en or RE_BOUNDARY.match(text, m.start()) is not None or (
            # "…开关柜型号GCS", "…60系列交期明天": these keys need no boundary when a code
            # or a date follows them.
            field == "model" and _RE_CODE_START.match(text, sep.end()) is not None) or (
            field == "due_date" and _RE_DATE_START.match(text, sep.end()) is not None)
        if not at_boundary and not change:
            continue
        between = text[m.end():sep.end()]
        strong = bool(sep.group("sep") or sep.group("sep2")) or "\t" in between
        if is_en and field in STRING_FIELDS and not (sep.group("sep") or sep.group("sep2")):
            continue
        if is_en and not strong and (field not in _LOOSE_EN_VALUE
                                     or not _LOOSE_EN_VALUE[field].match(text, m.end())):
            continue
        if hits and hits[-1].strong and m.start() == hits[-1].value_start:
            # "客户:数量科技" — a key word right after a separator is the value.
            continue
        value_start = from_to.end() if from_to else sep.end()
        hits.append(KeyHit(field, m.start(), m.end(), value_start, strong=strong or change,
                           change=change, loose=is_en and not strong, form=strong and not change,
                           key_unit=sep.group("key_unit")))
    if len(hits) < 2:
        hits = [h for h in hits if h.strong or h.field not in STRING_FIELDS]
    for i, hit in enumerate(hits):
        limit = hits[i + 1].key_start if i + 1 < len(hits) else len(text)
        end_re = RE_VALUE_END_NOTES if hit.field == "notes" else RE_VALUE_END
        stop = end_re.search(text, hit.value_start, limit)
        hit.value_end = stop.start() if stop else limit
        if "\x00" in text[hit.value_start:hit.value_end]:
            hit.value_end = text.index("\x00", hit.value_start, hit.value_end)
    return hits


def value_start_for(text: str, field: str) -> int:
    """Where the value starts in an answer that may repeat the key ("客户是华东电力")."""
    lead = len(text) - len(text.lstrip())
    m = RE_KEY_CN.match(text, lead)
    if m is None and _RE_LATIN.match(text, lead):
        m = RE_KEY_EN.match(text.lower(), lead)
    if m is None or _field_of(m) != field:
        return 0
    sep, from_to = _separator(text, m.end())
    return from_to.end() if from_to else sep.end()
