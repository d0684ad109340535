"""parse_message: one chat message in, intent + order fields out.

Scanners run in a fixed order on a same-length normalized copy of the message; each one
blanks what it used (see text.Work):

    command → order number → keys → "由…改为…" → lexicon → dates → money → quantity
    → model → 成套 → names in the leftovers

Then the intent is decided from what was found, and the result is assembled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from workflow.policy import NonRegularRules
from workflow.text import clean_name

from . import names as names_mod
from .classify import classify, complete_set_matches, yes_no
from .dates import DateHit, HolidayLookup, due_date_warnings, find_dates
from .keys import CHANGE_SEPS, KEYS_CN, KEYS_EN, KeyHit, find_keys, value_start_for
from .model import REQUIRED_FIELDS, Lexicon, Number, OrderFields, ParseResult, json_number
from .numbers import (
    MONEY,
    RE_MONEY_VALUE,
    RE_QUANTITY,
    RE_QUANTITY_VALUE,
    RE_UNIT_WORD,
    UNIT_ALT_CN,
    UNIT_ALT_EN,
    UNITS_EN,
    money_value,
    parse_number,
    unit_of,
)
from .text import CJK as CJK_CHARS
from .text import Work, has_cjk, trim_span

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_CHARS = 4096  # Telegram's own message limit; longer input is cut, not rejected
_EMPTY_LEXICON = Lexicon()

# --- commands and order numbers ---------------------------------------------------------

# Telegram ends a command at the first character that is not [A-Za-z0-9_]: "/order客户:…".
RE_COMMAND = re.compile(r"^\s*/(?P<cmd>[A-Za-z_]+)(?:@[A-Za-z0-9_]+)?(?![A-Za-z0-9_])")
COMMANDS = {
    "order": "new_order", "new": "new_order", "neworder": "new_order", "new_order": "new_order",
    "xd": "new_order", "change": "change", "modify": "change", "edit": "change", "update": "change",
    "status": "query", "query": "query", "find": "query", "track": "query",
}
RE_ORDER_NO = re.compile(r"(?<![A-Za-z0-9])(?i:so)[-_ ]?(?P<d>\d{8})[-_ ]?(?P<n>\d{3,4})(?!\d)")

# --- money and quantity cues in free text ----------------------------------------------

_PER = rf"(?:{UNIT_ALT_CN})"
# "共8套" / "共计15台" is a quantity, not money; the numerals are skipped so that the engine
# cannot shorten "15" to "1" to get past the check.
_NOT_A_COUNT = rf"(?![0-9.一二两三四五六七八九十百千万]*\s*(?:{UNIT_ALT_CN}))"
RE_PRICE_PER = re.compile(rf"(?<![A-Za-z0-9.\-/*]){MONEY}\s*(?:/|每|一)\s*(?P<per>{_PER})")
RE_PRICE_CUE = re.compile(
    rf"(?:单价|价格|报价|售价|每(?P<per>{_PER})|一(?P<per2>台|套|个|件|只|面|组))\s*(?:是|为|:)?\s*{MONEY}"
    rf"{_NOT_A_COUNT}"
)
RE_AMOUNT_CUE = re.compile(
    rf"(?:总价|总共|共计|一共|合计|总计|总额|总金额|合同额|合同金额|货款|共)\s*(?:是|为|:)?\s*{MONEY}{_NOT_A_COUNT}"
)
RE_PRICE_EACH_EN = re.compile(
    rf"(?i:{MONEY}\s*(?:each|apiece|a\s+piece|per\s+(?:unit|set|piece|pc|ton|tonne|meter|metre|m|kg)\b))")
_RE_EACH_WORD = re.compile(r"(?i:each|apiece|per\s)")
_RE_PER_UNIT = re.compile(rf"[/每一]\s*{_PER}")
RE_BARE_MONEY = re.compile(
    r"(?<![A-Za-z0-9.,\-/*])(?:(?P<c1>[¥$]|RMB|CNY|人民币)\s*(?P<n1>\d[\d,]*(?:\.\d+)?(?:万|[wW](?![A-Za-z]))?)"
    # A bare "30块" is thirty pieces (of PV modules, boards); as money it is "30块钱".
    r"|(?P<n2>\d[\d,]*(?:\.\d+)?)\s*(?P<u2>万元|万|元|块钱|[wW](?![A-Za-z]))"
    r"|(?<![一二两三四五六七八九十百千万])(?P<n3>[一二两三四五六七八九十][一二两三四五六七八九十百千万]*)(?P<u3>万元|元|块钱))"
)
RE_RELATIVE_QTY = re.compile(r"(?:再加|增加|多加|追加|再要|多要|减少|少要|再补|补)\s*$|(?<![改])加\s*$|减\s*$")
# "约50台", "大概要二三十台", "30台左右", "二三十台", "三五台", "几十台", "20-30台": a range or a
# guess is asked about, not read as a number.
RE_APPROX_BEFORE = re.compile(r"(?:约|大约|大概|估计|差不多|预计|至少|最多)(?:要|需要|订|采购)?\s*$")
RE_APPROX_AFTER = re.compile(r"\s*(?:以上|以下|左右|上下|来|余)")
RE_RANGE_NUMBER = re.compile(r"[一二两三四五六七八九]{2}(?:[十百千万]|$)|[几數数]|^[上成]")
RE_VAGUE_QTY = re.compile(
    rf"(?:\d+|[一二两三四五六七八九十百千]+)多\s*(?:{UNIT_ALT_CN})|几[十百千]+\s*(?:{UNIT_ALT_CN})"
    rf"|上[百千万]\s*(?:{UNIT_ALT_CN})|\d+\s*[-~～到至]\s*\d+\s*(?:{UNIT_ALT_CN})"
)
# "不是6套是16套": the first number is the one being corrected.
RE_CORRECTED = re.compile(r"不是\s*$")

# --- models -------------------------------------------------------------------------------

_MC = r"A-Za-z0-9\-/.*×+_²³"
# A site is where the goods go, not a code: "B2车间", "A3号楼", "1#厂房".
_SITE_AFTER = r"(?!\s*(?:车间|厂房|号楼|楼|栋|区|线|工地|仓库|库房|馆|站台|工段|产线))"
RE_MODEL = re.compile(
    rf"(?<![{_MC}])(?=[{_MC}]*[A-Za-z])(?=[{_MC}]*\d)[A-Za-z0-9](?:[{_MC}]*[A-Za-z0-9²³])?(?![{_MC}]){_SITE_AFTER}"
)
RE_MODEL_LETTERS = re.compile(
    r"(?<![A-Za-z0-9\-])[A-Z]{2,6}(?![A-Za-z0-9\-])(?=\s*(?:的|型|系列))"
    # A code of capitals alone between spaces in a Chinese sentence: "开关柜 GCS 两百面".
    rf"|(?<=[{CJK_CHARS}][\s，,、])[A-Z]{{2,6}}(?=[\s，,、]|$)"
)
# What may follow a code after one space and still belong to it: a size or rating
# ("Q947F-25 DN300", "YJV 4×185+1×95", "MYPTJ-8.7/10kV 3×95", "KVVP 10×1.5").
_SIZE = r"\d+(?:\.\d+)?"
RE_SPEC_TAIL = re.compile(
    rf"[ \t](?:(?:DN|PN|De|dn|Φ|φ)\s?{_SIZE}|{_SIZE}\s?[×xX*]\s?{_SIZE}(?:\s?[×xX*]\s?{_SIZE})*"
    rf"(?:\+{_SIZE}[×xX*]{_SIZE})*(?:mm²|mm2|mm|²)?|{_SIZE}\s?(?:kV|kW|kVA|MW|MPa|Hz|V|A|W))(?![A-Za-z0-9.])"
)
# A cable or series named by letters alone, sized after a space: "KVVP 10×1.5", "YJV 4×185".
RE_LETTERS_SIZED = re.compile(r"(?<![A-Za-z0-9\-])[A-Z]{2,6}(?=[ \t]\d)")
RE_SERIES = re.compile(r"(?<![\d.])\d{2,3}系列")
RE_NOT_MODEL = re.compile(
    rf"(?i)^(?:\d+(?:\.\d+)?(?:k|w|m|km|kg|t|mm|cm|pcs|st|nd|rd|th|yuan|rmb)|{UNIT_ALT_EN})$"
)

# --- intent cues ----------------------------------------------------------------------------

RE_CHANGE_WORD = re.compile(
    rf"{CHANGE_SEPS}|改一下|改下|更改|变更|修改|取消|不要了|再加|(?:数量|单价|价格|交期|型号)\s*不是")
RE_CHANGE_WORD_EN = re.compile(r"\b(?:change|modify|update|postpone|cancel|push|move|delay|bring\s+forward)\b")
# These also describe terms of a new order ("延期要罚款", "提前发货"), so they only mark a
# change when the message names an existing order.
RE_CHANGE_WORD_WEAK = re.compile(r"推迟|延期|延后|顺延|提前|放宽|调整|增加|减少|往后推|往后延|推后|后推|后延")
RE_HYPOTHETICAL = re.compile(r"如果|要是|假如|(?i:\bif\b)")
# Asking to cancel a whole order; never carried out from a sentence, only passed on.
RE_CANCEL = re.compile(r"作废|撤单|退单|不要了|不做了|取消(?!成套)|(?i:\bcancel)")
RE_ORDER_REF = re.compile(r"(?i:\border\b)|那单|那个单|那笔单?|那批|这单|这笔单|的单子|的订单|那个订单|单子|订单")
RE_STATUS_CUE = re.compile(
    r"进度|到哪|哪一步|(?:什么时候|啥时候|几时)\S{0,3}?(?:发|交|到|好|完|出货|生产|排产|做)|发货了|发货没|发了没|"
    r"发了吗|做好|好了没|好了吗|做完|完成了|排产|生产到|状态|交期是|是哪天|哪天|开票|入库|还差|按时|能交|催|"
    r"查一下|查下|查询|查查|跟进"
)
# Only with an explicit reference to an order ("那单", "SO-…"): a plain question is enough.
RE_QUESTION = re.compile(r"怎么样|情况|吗|呢|\?")
# "shipped" or "delivered" ask only in a question: "…, delivered Dec 2" is an order's term.
RE_QUERY_CUE_EN = re.compile(
    r"\b(?:status|where\s+is|when\s+will|progress|eta|yet)\b"
    r"|\b(?:shipped|dispatched|delivered|arrived|ready)\b(?=[^\n]*\?)")
RE_QUERY_END = re.compile(r"没有?\s*$")
RE_ORDER_CUE = re.compile(
    r"下单|下个单|下一单|新单|新订单|订单|来单|录个单|录单|建个订单|建单|开单|订|要|需要|采购|购买|买|追加|加单|"
    r"补单|\border\b"
)
RE_VETO = re.compile(
    r"可能|也许|大概|估计|还在谈|在谈|正在谈|意向|打算|考虑|询价|问价|如果|要是|能不能|能否|是否|有没有|"
    r"准备|计划|预计|想问|问一下|问问|去年|上个月|上月|上周|订过|买过|曾经|没动静|投诉|退货|换货|"
    r"返修|维修|坏了|质量问题|返工|发了|已发|已经发|发出去|发走|已出发|出发了|到货了|收到了|签收|"
    r"报个价|报价单|报价表|先报价|比价|样本|什么价|多少钱|便宜|来厂|验收|试验|拜访|考察|开会|会议|"
    r"下周签|还没签|没签|准备签|核一下|核下|等回复|没发|还没|卖了|卖出|销售了|需求|投标|招标|备货|"
    r"太高|太贵|嫌贵|贵了|太低|装车|卸货|仓库|寄出|起订|反馈|不对|款到|到款|到账|货款到|回款|付了|"
    r"交付了|已交付|全部交付|已经交|已发货|已到货|已经到|"
    r"(?i:\b(?:might|maybe|perhaps|probably|negotiat\w*|considering|thinking|planning|paid|pay|deposit|"
    r"invoice|visit\w*|quote|quotation|meeting|price\s+list|how\s+much)\b)|"
    r"[?]|吗\s*$|么\s*$"
)
# A first line that announces an order: "新订单", "【下单】", "====订单====", "订单信息如下：".
RE_NEW_HEADER = re.compile(r"^\s*[【\[=#*\s]*(?:新订单|新单|下单|订单信息|订货信息|订单)[^\n]{0,6}\n")
RE_NO_CHANGE = re.compile(r"^\s*(?:不变|不改|照旧|同前|同上|待定|未定|再说|-|/|无)\s*$")


@dataclass
class _Found:
    """What the scanners found, before the intent decides what it means."""

    fields: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    keys: list[KeyHit] = field(default_factory=list)
    order_no: str | None = None
    command: str | None = None
    names: list[names_mod.Name] = field(default_factory=list)
    customer: names_mod.Name | None = None
    product: names_mod.Name | None = None
    quantity_span: tuple[int, int] | None = None
    # "再加2台": a change of the old quantity, or, in a new order ("追加3台"), the quantity.
    relative_qty: tuple[Decimal, str | None] | None = None
    price_per_unit: str | None = None
    due_candidates: list[DateHit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    due_hit: DateHit | None = None  # where due_date was read, for its warnings
    # Spans of quantities given as a range or a guess (with the hedge word before them).
    approximate: list[tuple[int, int]] = field(default_factory=list)

    def warn(self, key: str) -> None:
        if key not in self.warnings:
            self.warnings.append(key)

    def set(self, name: str, value: Any, keyed: bool = False) -> bool:
        if value is None:
            return False
        if self.fields.get(name) is not None:
            # A key given twice with different values (two orders pasted together): keep
            # the first, and say so.
            if keyed and self.fields[name] != value:
                self.warn("conflicting_values")
            return False
        self.fields[name] = value
        return True


def _today(now: datetime) -> date:
    if now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)
    return now.astimezone(SHANGHAI).date()


def _value(work: Work, start: int, end: int) -> str | None:
    s, e = trim_span(work.norm, start, end)
    if s >= e:
        return None
    return work.original[s:e]


# --- scanners -------------------------------------------------------------------------------

def _scan_command(work: Work, found: _Found) -> None:
    m = RE_COMMAND.match(work.norm)
    if not m:
        return
    found.command = COMMANDS.get(m.group("cmd").lower(), "unknown")
    work.take(m.start(), m.end())


def _scan_order_no(work: Work, found: _Found) -> None:
    for m in RE_ORDER_NO.finditer(work.text):
        if found.order_no is None:
            found.order_no = f"SO-{m.group('d')}-{m.group('n')}"
        work.take(m.start(), m.end())


# "1e308" pasted from a spreadsheet: read whole, so that it is refused as too large rather
# than taken as 1.
RE_SCIENTIFIC = re.compile(r"\s*(?P<neg>-)?\s*(?P<num>\d+(?:\.\d+)?[eE][+-]?\d{1,6})(?![\d.])")


def _scientific(text: str, start: int,
                end: int | None = None) -> tuple[Decimal, re.Match[str]] | None:
    m = RE_SCIENTIFIC.match(text, start, len(text) if end is None else end)
    if m is None:
        return None
    value = Decimal(m.group("num"))
    return (-value if m.group("neg") else value), m


def _read_money(text: str, start: int, end: int) -> tuple[Decimal | None, bool, str | None, int]:
    sci = _scientific(text, start, end)
    if sci is not None:
        return sci[0], False, None, sci[1].end()
    m = RE_MONEY_VALUE.match(text, start, end)
    if not m:
        return None, False, None, start
    value, foreign = money_value(m)
    if value is not None and m.group("neg"):
        value = -value
    per = m.group("per")
    if per:
        per = UNITS_EN.get(per.lower(), per)
    return value, foreign, per, m.end()


def _scan_keys(work: Work, found: _Found, today: date,
               non_regular: NonRegularRules | None, holidays: HolidayLookup | None) -> None:
    text = work.text
    hits = find_keys(text)
    found.keys = hits
    for hit in hits:
        vs, ve = hit.value_start, hit.value_end
        raw = text[vs:ve]
        used_end = ve
        f = hit.field
        if f in ("customer", "product", "notes", "order_no"):
            s, e = trim_span(work.norm, vs, ve)
            if (s < e and f != "notes" and has_cjk(work.norm[s:e])
                    and (space := re.search(r"\s", work.norm[s:e]))):
                e = s + space.start()
                used_end = e
            value = work.original[s:e] if s < e else None
            if f == "order_no":
                m = RE_ORDER_NO.search(work.norm, s, e) if value else None
                value = f"SO-{m.group('d')}-{m.group('n')}" if m else value
                if value and found.order_no is None:
                    found.order_no = value
            elif value:
                found.set(f, value, keyed=True)
                if f == "notes":
                    # "备注：整套供货" sets the flag as well as being a note.
                    for _, _, complete in complete_set_matches(value):
                        found.set("complete_set", complete)
        elif f == "ignored":
            pass
        elif f == "model":
            s, e = trim_span(work.norm, vs, ve)
            ws = re.search(r"\s", work.norm[s:e]) if s < e else None
            code = RE_MODEL.match(work.norm, s, e)
            if code and code.end() < e and has_cjk(work.norm[code.end()]):
                # "型号SCB14-1250/10然后下个月…": the code ends where Chinese starts.
                e = used_end = model_end(work.norm, code.end())
            elif ws:
                e = used_end = model_end(work.norm, s + ws.start())
            if hit.loose and not RE_MODEL.fullmatch(work.norm, s, e):
                continue
            if s < e and not RE_NO_CHANGE.match(work.norm[s:e]):
                found.set("model", work.norm[s:e], keyed=True)
        elif f == "quantity":
            corrected = RE_CORRECTION.match(text, vs, ve)
            if corrected:
                vs = corrected.end()  # "数量不是30台是35台"
            sci = _scientific(text, vs, ve)
            if sci is not None:
                found.set("quantity", sci[0], keyed=True)
                work.take(hit.key_start, sci[1].end())
                continue
            m = RE_QUANTITY_VALUE.match(text, vs, ve)
            number = _signed_quantity(m) if m else None
            if m and number is not None:
                if found.set("quantity", number, keyed=True):
                    found.quantity_span = (m.start(), m.end())
                found.set("unit", unit_of(m) or _key_unit(hit), keyed=True)
                used_end = m.end()
            elif hit.loose:
                continue
            elif not RE_NO_CHANGE.match(raw):
                found.warn("quantity_unreadable")
        elif f == "unit":
            m = RE_UNIT_WORD.match(text, vs, ve)
            if m:
                found.set("unit", unit_of(m), keyed=True)
                used_end = m.end()
            elif hit.loose:
                continue
        elif f in ("unit_price", "amount"):
            money, foreign, per, end = _read_money(text, vs, ve)
            if money is not None and hit.key_unit in ("万", "万元") and "万" not in text[vs:end]:
                money *= 10_000  # "单价（万）：23.5"
            if money is not None:
                found.set(f, money, keyed=True)
                if foreign:
                    found.warn("currency_not_cny")
                if per and f == "unit_price":
                    found.price_per_unit = per
                used_end = end
            elif hit.loose:
                continue
            elif not RE_NO_CHANGE.match(raw):
                found.warn("price_unreadable")
        elif f == "due_date":
            hits_ = find_dates(raw, today, keyed=True, holidays=holidays)
            if hit.loose and not any(h.kind == "date" for h in hits_):
                continue
            if hits_:
                first = hits_[0]
                if first.kind == "date":
                    if found.set("due_date", first.value, keyed=True):
                        found.due_hit = first
                elif first.kind == "shift":
                    found.warn("date_shift_relative")
                else:
                    found.warn("date_unreadable")
                used_end = vs + first.end
            elif not RE_NO_CHANGE.match(raw):
                found.warn("date_unreadable")
        elif f == "order_class":
            cls, reasons = classify(raw, non_regular)
            if cls:
                found.set("order_class", cls, keyed=True)
                found.reasons.extend(r for r in reasons if r not in found.reasons)
        work.take(hit.key_start, used_end)


RE_CORRECTION = re.compile(r"\s*不是[^是,，;；\n]{1,12}是")


def _signed_quantity(m: re.Match[str]) -> Decimal | None:
    """The number of a RE_QUANTITY_VALUE match, sign kept: "-5台" is refused, never read as 5."""
    number = parse_number(m.group("num").replace(" ", "").lstrip("-"))
    if number is not None and m.group("num").strip().startswith("-"):
        return -number
    return number


def _key_unit(hit: KeyHit) -> str | None:
    """The measure word typed in brackets after a quantity key: "数量(套)"."""
    m = RE_UNIT_WORD.fullmatch(hit.key_unit or "")
    return unit_of(m) if m else None


_RE_FROM = re.compile(rf"(?:由|从)\s*[^,，;\n。\x00]{{1,24}}?\s*(?=(?:{CHANGE_SEPS}))")


def _scan_from_to(work: Work) -> None:
    """In "由500台改为600台" only the new value counts."""
    for m in _RE_FROM.finditer(work.text):
        work.take(m.start(), m.end())


def _scan_lexicon(work: Work, found: _Found, lexicon: Lexicon) -> None:
    matches = names_mod.lexicon_matches(work.text, lexicon)
    # Customers first, so that a product is never extended into the name before it.
    for name in matches:
        if name.kind == "customer":
            work.take(name.start, name.end)
    for name in matches:
        if name.kind == "product":
            name = names_mod.extend_product(work.text, name)
            work.take(name.start, name.end)
        found.names.append(name)


def _scan_dates(work: Work, found: _Found, today: date, holidays: HolidayLookup | None) -> None:
    for hit in find_dates(work.text, today, holidays=holidays):
        found.due_candidates.append(hit)
        work.take(hit.start, hit.end, "date")


def _scan_money(work: Work, found: _Found) -> None:
    text = work.text
    regexes = [(RE_PRICE_CUE, "unit_price"), (RE_AMOUNT_CUE, "amount")]
    # The expensive patterns only run when their tail word is there at all.
    if _RE_PER_UNIT.search(text):
        regexes.insert(0, (RE_PRICE_PER, "unit_price"))
    if _RE_EACH_WORD.search(text):
        regexes.append((RE_PRICE_EACH_EN, "unit_price"))
    for regex, target in regexes:
        for m in regex.finditer(text):
            value, foreign = money_value(m)
            if value is None:
                continue
            if found.set(target, value):
                per = m.groupdict().get("per") or m.groupdict().get("per2")
                if per and target == "unit_price":
                    found.price_per_unit = per
                if foreign:
                    found.warn("currency_not_cny")
            work.take(m.start(), m.end())
        text = work.text
    for m in RE_BARE_MONEY.finditer(text):
        num = m.group("n1") or m.group("n2") or m.group("n3")
        unit = m.group("u2") or m.group("u3") or ""
        value = parse_number(num)
        if value is None:
            continue
        if unit in ("万", "万元", "w", "W"):
            value = value * 10_000 if not num.endswith(("万", "w", "W")) else value
        if m.group("c1") == "$":
            found.warn("currency_not_cny")
        if not found.set("unit_price", value):
            found.set("amount", value)
        work.take(m.start(), m.end())


def _scan_quantity(work: Work, found: _Found) -> None:
    for m in RE_VAGUE_QTY.finditer(work.text):
        found.approximate.append((m.start(), m.end()))
        work.take(m.start(), m.end(), "quantity")
    text = work.text
    for m in RE_QUANTITY.finditer(text):
        number = parse_number(m.group("num"))
        if number is None:
            continue
        if m.group("num") == "一" and m.group("unit") == "批":
            continue  # "一批充电桩" is "some", not one batch
        hedge = RE_APPROX_BEFORE.search(text, max(0, m.start() - 6), m.start())
        if hedge or RE_APPROX_AFTER.match(text, m.end()) or RE_RANGE_NUMBER.search(m.group("num")):
            found.approximate.append((hedge.start() if hedge else m.start(), m.end()))
            work.take(m.start(), m.end(), "quantity")
            continue
        if RE_CORRECTED.search(text, max(0, m.start() - 3), m.start()):
            work.take(m.start(), m.end(), "quantity")
            continue
        relative = RE_RELATIVE_QTY.search(text, max(0, m.start() - 3), m.start())
        if relative:
            if found.relative_qty is None:
                found.relative_qty = (number, unit_of(m))
            work.take(relative.start(), m.end(), "quantity")  # "再加10根": the verb too
            continue
        if found.fields.get("quantity") is None:
            found.set("quantity", number)
            found.set("unit", unit_of(m))
            found.quantity_span = (m.start(), m.end())
            work.take(m.start(), m.end(), "quantity")
        elif found.quantity_span and found.quantity_span[1] <= m.start():
            break


# Where the goods go ("B2车间", "5号线", "3#厂房"): neither a model nor part of a name.
RE_SITE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]?\d{1,3}(?:#|号)?(?:车间|厂房|号楼|栋|线|工地|仓库|库房|产线)")


def _scan_model(work: Work, found: _Found) -> None:
    for m in RE_SITE.finditer(work.text):
        work.take(m.start(), m.end(), "site")
    text = work.text
    picked: list[re.Match[str]] = []
    for m in RE_MODEL.finditer(text):
        token = m.group()
        if RE_NOT_MODEL.match(token):
            continue
        if picked:
            gap = text[picked[-1].end():m.start()]
            if gap == " ":
                picked.append(m)
                continue
            break
        picked.append(m)
    if not picked:
        sized = RE_LETTERS_SIZED.search(text)
        if sized and RE_SPEC_TAIL.match(text, sized.end()):
            picked.append(sized)
    if picked:
        end = model_end(text, picked[-1].end())
        found.set("model", work.norm[picked[0].start():end])  # full-width digits folded
        work.take(picked[0].start(), end, "model")
        return
    named = RE_MODEL_LETTERS.search(text) or RE_SERIES.search(text)
    if named:
        found.set("model", named.group())
        work.take(named.start(), named.end(), "model")


def model_end(text: str, end: int) -> int:
    """Where a code that ends at `end` really ends: sizes after a space belong to it."""
    while (m := RE_SPEC_TAIL.match(text, end)) is not None:
        end = m.end()
    return end


def _scan_complete_set(work: Work, found: _Found) -> None:
    for s, e, value in complete_set_matches(work.text):
        if value is not None:
            found.set("complete_set", value)
        work.take(s, e)


# English sentences: "Delta Motors wants 20 gearboxes, model K87, $1,450 each, by Jan 15",
# "New order from Orion Steel: 50 tons of steel angles", "Please book 20 pumps for Acme, …".
_CAPS = r"[A-Z][\w&.\-]*(?:[ \t]+(?:[A-Z][\w&.\-]*|&))*"
# A sentence may open with a verb or a greeting in capitals; those are not names.
_NOT_A_NAME = r"(?!(?:New|Please|Cancel|Change|Update|Where|When|What|How|Can|Could|Did|Does|Is|Hi|Hello|Dear|Got)\b)"
_RE_EN_FOR_FROM = re.compile(
    rf"(?i:\b(?:from|for|customer|client)[ \t:]+)(?P<c>{_NOT_A_NAME}{_CAPS})"
    r"(?=[ \t]*(?:[:,.;\-–]|$|\x00)|[ \t]+[a-z]|[ \t]+\d)", re.M)
# "Delta Motors wants…", "Hi team, Pacific Valve Co placed…", "Is the Orion Steel order…",
# "order Blue Ridge Pumps 50 gearboxes", "Kestrel HVAC: 8 chillers", "Summit Transformers, 3 …".
_RE_EN_SUBJECT = re.compile(
    rf"(?:^|(?<=[,.:;!?])|(?<=\bthe))[ \t]*(?:(?i:order)[ \t]+(?P<o>{_NOT_A_NAME}{_CAPS})(?=[ \t]+\d)"
    rf"|(?P<c>{_NOT_A_NAME}{_CAPS})(?:[ \t]+"
    r"(?:wants|ordered|orders|needs|requires|would[ \t]+like|placed|is[ \t]+ordering|order\b)"
    r"|[ \t]*[:,\-–](?=[ \t]*\d)))",
    re.M)
_RE_EN_WORD = re.compile(r"[A-Z][a-z]")
_EN_UNITS = r"sets?|units?|pcs|pieces?|meters?|metres?|tons?|km"
_EN_STOP = (r"model|type|spec|at|for|before|by|due|delivery|deliver|delivered|each|per|ship|shipped|"
            r"from|to|with|and|in|within|next|on|please")
_RE_EN_QTY_PRODUCT = re.compile(
    rf"(?<![\w.,$])(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)[ \t]+"
    rf"(?:(?P<u>{_EN_UNITS})[ \t]+of[ \t]+)?"
    rf"(?P<p>(?:(?!(?:{_EN_STOP})\b)[A-Za-z][\w\-]*[ \t]+){{0,3}}?(?!(?:{_EN_STOP})\b)[A-Za-z][\w\-]*)"
    rf"(?=[ \t]*(?:[,.;:()\x00]|$)|[ \t]+(?:{_EN_STOP})\b|[ \t]+(?=[\w\-/.]*\d)[A-Z0-9][\w\-/.]*(?:[ \t,]|$))",
    re.I | re.M,
)
_RE_EN_UNIT_WORD = re.compile(rf"(?i:{_EN_UNITS})")


def _scan_english(work: Work, found: _Found) -> None:
    """Customer, quantity and product of an English sentence; keys and Chinese are read
    elsewhere.  A product is the words after the number, up to a model, a price or a date."""
    text = work.text
    if not _RE_EN_WORD.search(text):
        return  # no capitalised English word, so no English name: spare the searches below
    m = _RE_EN_FOR_FROM.search(text) or _RE_EN_SUBJECT.search(text)
    if m:
        group = "o" if m.re is _RE_EN_SUBJECT and m.group("o") else "c"
        found.names.append(names_mod.Name(m.start(group), m.end(group), "customer", m.group(group), "text"))
        work.take(m.start(group), m.end(group))
    if has_cjk(text):
        return  # a Chinese sentence with a code in it ("断路器DZ47-63 C16 300个") is read as Chinese
    for m in _RE_EN_QTY_PRODUCT.finditer(work.text):
        if _RE_EN_UNIT_WORD.fullmatch(m.group("p")):
            continue  # "20 sets" alone: a quantity the key grammar or the scanners read
        number = parse_number(m.group("n"))
        if number is None or not found.set("quantity", number):
            continue
        found.set("unit", UNITS_EN.get((m.group("u") or "").lower()))
        found.names.append(names_mod.Name(m.start("p"), m.end("p"), "product", m.group("p"), "text"))
        work.take(m.start(), m.end(), "quantity")
        break


def _split_model_from_product(found: _Found) -> None:
    product = found.fields.get("product")
    if not product or found.fields.get("model"):
        return
    for m in RE_MODEL.finditer(product):
        if m.end() == len(product.rstrip()) and m.start() > 0 and has_cjk(product[:m.start()]):
            found.fields["product"] = product[:m.start()].rstrip()
            found.fields["model"] = m.group()
            return


# --- intent ---------------------------------------------------------------------------------

_ORDER_FIELDS = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date")
_VALUE_FIELDS = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date",
                 "complete_set", "order_class", "notes")


def _query_cue(norm: str, lower: str, explicit: bool) -> bool:
    if RE_STATUS_CUE.search(norm) or RE_QUERY_END.search(norm) or RE_QUERY_CUE_EN.search(lower):
        return True
    return explicit and RE_QUESTION.search(norm) is not None


_RE_MEANINGFUL = re.compile(r"[0-9A-Za-z\u4e00-\u9fff\u3400-\u4dbf]")


def _decide_intent(found: _Found, norm: str, leftover: str) -> str:
    if found.command:
        return found.command
    lower = norm.lower()
    quantity = found.fields.get("quantity") is not None or found.relative_qty is not None
    has_customer = found.customer is not None or found.fields.get("customer") is not None
    has_product = found.product is not None or found.fields.get("product") is not None
    names_ref = found.customer is not None or found.product is not None
    ref = found.order_no is not None or (
        names_ref and (RE_ORDER_REF.search(norm) is not None or (found.customer and found.product)))
    named_order = found.order_no is not None or (names_ref and RE_ORDER_REF.search(norm) is not None)
    change_word = RE_CHANGE_WORD.search(norm) is not None or RE_CHANGE_WORD_EN.search(lower) is not None or (
        named_order and RE_CHANGE_WORD_WEAK.search(norm) is not None)
    if ref and RE_CANCEL.search(leftover) and not any(
            found.fields.get(f) is not None for f in _VALUE_FIELDS) and not quantity:
        return "cancel_request"
    if change_word and (ref or any(k.change for k in found.keys) and names_ref):
        return "change"
    if change_word and found.customer is not None and found.relative_qty is not None:
        return "change"  # "中交一航局再加10根": more of what that customer has on order
    # "宝钢的角钢推迟两周": a named order moved, with nothing that makes a new one.
    if (found.customer and found.product and not quantity and not found.keys
            and RE_CHANGE_WORD_WEAK.search(norm)):
        return "change"
    if any(k.change for k in found.keys) and found.order_no:
        return "change"
    keyed = {k.field for k in found.keys if k.field in _ORDER_FIELDS}
    strong = sum(1 for k in found.keys if k.form and k.field in _ORDER_FIELDS)
    # A message that is nothing but "key: value" pairs ("数量:15台") is a form, however short.
    fragment = strong >= 1 and not _RE_MEANINGFUL.search(leftover)
    is_form = len(keyed) >= 3 or (len(keyed) >= 2 and strong >= 1) or fragment or (
        len(keyed) >= 1 and strong >= 1 and RE_NEW_HEADER.match(norm) is not None)
    if found.order_no and not is_form:
        has_values = quantity or any(found.fields.get(f) is not None for f in _VALUE_FIELDS)
        if change_word or (has_values and not _query_cue(norm, lower, True)):
            return "change"
        return "query"
    # "宝钢问角钢50吨最快什么时候能交": the customer asking is a sales question, not one
    # about an order of theirs.
    if RE_HYPOTHETICAL.search(norm) and not found.command and not is_form:
        return "unknown"  # "如果宝钢要30吨，下周五能不能交": a what-if, no order and no order's status
    customer_asks = found.customer is not None and norm.startswith("问", found.customer.end)
    if ref and not customer_asks and _query_cue(norm, lower, named_order) and not is_form:
        return "query"
    if customer_asks and not is_form:
        return "unknown"
    if is_form:
        return "new_order"
    counted = quantity or bool(found.approximate)
    dated = found.fields.get("due_date") is not None
    if not (counted or dated) or not (has_customer or has_product):
        return "unknown"
    if _vetoed(norm, found.approximate):
        return "unknown"
    # A customer, a product and a quantity or a date make an order, unless something above
    # said otherwise; with less, enough other evidence has to add up.
    if has_customer and has_product:
        return "new_order"
    score = sum((has_customer, has_product, dated,
                 found.fields.get("unit_price") is not None or found.fields.get("amount") is not None,
                 RE_ORDER_CUE.search(lower) is not None, found.fields.get("model") is not None))
    return "new_order" if counted and score >= 3 else "unknown"


def _vetoed(norm: str, approximate: list[tuple[int, int]]) -> bool:
    """A hedge, the past, a complaint or a question — except a hedge on the quantity itself
    ("大概要二三十台"), which only makes the quantity a question for the rep."""
    return any(not any(s <= m.start() < e for s, e in approximate) for m in RE_VETO.finditer(norm))


def _pick_due(found: _Found) -> None:
    if found.fields.get("due_date") is not None or not found.due_candidates:
        return
    dated = [h for h in found.due_candidates if h.kind == "date"]
    cued = [h for h in dated if h.cued]
    # With several deadlines ("本月底前交一半，下月底交齐") the order is due at the last.
    chosen = max(cued, key=_date_of) if cued else (dated[0] if dated else None)
    if chosen is not None:
        found.fields["due_date"] = chosen.value
        found.due_hit = chosen
    elif any(h.kind == "shift" for h in found.due_candidates):
        found.warn("date_shift_relative")
    else:
        found.warn("date_unreadable")


def _date_of(hit: DateHit) -> date:
    # find_dates gives every hit of kind "date" its date; only those are compared.
    assert hit.value is not None
    return hit.value


# --- entry points -------------------------------------------------------------------------

# Cells of a pasted table: tabs from Excel, bars from a Markdown or WeChat table.
_RE_CELL_SEP = re.compile(r"\t|[ \t]*[|｜][ \t]*")


def _table_to_form(text: str) -> str | None:
    """A spreadsheet or table row pasted under its header becomes "key: value" lines."""
    lines = [ln.strip().strip("|｜") for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not _RE_CELL_SEP.search(lines[0]):
        return None
    header = [c.strip() for c in _RE_CELL_SEP.split(lines[0])]
    known = {s for syns in KEYS_CN.values() for s in syns} | {s for syns in KEYS_EN.values() for s in syns}
    if len(header) < 3 or sum(1 for c in header if c.lower() in known) < 3:
        return None
    out: list[str] = []
    for row in lines[1:]:
        if set(row) <= set("|｜-: \t"):
            continue  # a Markdown rule under the header
        cells = [c.strip() for c in _RE_CELL_SEP.split(row)]
        if len(cells) != len(header):
            return None
        out.extend(f"{k}:{v}" for k, v in zip(header, cells, strict=True) if v)
        break  # one order per message; more rows would be a batch import
    return "\n".join(out)


_RE_SLASH_FIELD_NEXT = re.compile(
    rf"\s*(?:[{CJK_CHARS}]|\d+(?:\.\d+)?\s*(?:{UNIT_ALT_CN})\s*$|\d{{1,2}}\s*[月.]\s*\d)")
_RE_BARE_UNIT = re.compile(rf"\s*(?:{UNIT_ALT_CN})\s*$")
_RE_CJK_END = re.compile(rf"[{CJK_CHARS}]\s*$")


def _slash_fields(text: str) -> str:
    """"下单：宝钢/角钢/L50×5/30吨/下周五" — fields typed with slashes between them — gets
    commas there, so that the codes keep their own slashes (SCB13-800/10, 8.7/15kV).  Same
    length, so spans still map onto the original."""
    if text.count("/") < 3:
        return text
    out = []
    for line in text.split("\n"):
        parts = line.split("/")
        seps = [i for i in range(len(parts) - 1)
                if not _RE_BARE_UNIT.match(parts[i + 1])
                and (_RE_CJK_END.search(parts[i]) or _RE_SLASH_FIELD_NEXT.match(parts[i + 1]))]
        if len(seps) >= 3:
            line = "".join(part + ("，" if i in seps else "/") for i, part in enumerate(parts[:-1])) + parts[-1]
        out.append(line)
    return "\n".join(out)


def parse_message(text: str, now: datetime, lexicon: Lexicon | None = None,
                  non_regular: NonRegularRules | None = None,
                  holidays: HolidayLookup | None = None) -> ParseResult:
    """Read one chat message.  `now` is when it was sent; dates are Asia/Shanghai days;
    `non_regular` is the company's 非常规 keywords (the default policy's when None);
    `holidays` gives each holiday's first day off in a year (春节前, 国庆前), where None or an
    unknown year means the fixed or lunar date, with the warning holiday_date_estimated."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CHARS]
    table = _table_to_form(text)
    if table is not None:
        text = table
    text = _slash_fields(text)
    lexicon = lexicon or _EMPTY_LEXICON
    today = _today(now)
    work = Work(text)
    found = _Found()

    _scan_command(work, found)
    _scan_order_no(work, found)
    _scan_keys(work, found, today, non_regular, holidays)
    _scan_from_to(work)
    _scan_lexicon(work, found, lexicon)
    _scan_dates(work, found, today, holidays)
    _scan_money(work, found)
    _scan_english(work, found)
    _scan_quantity(work, found)
    _scan_model(work, found)
    _scan_complete_set(work, found)
    _split_model_from_product(found)
    _pick_due(found)

    cls, reasons = classify(work.norm, non_regular)
    if found.fields.get("order_class") == "regular" and cls == "non_regular":
        found.fields["order_class"] = None
    found.set("order_class", cls)
    for r in reasons:
        if r not in found.reasons:
            found.reasons.append(r)
    if found.fields.get("order_class") == "non_regular" and not found.reasons:
        found.reasons.append("declared")

    leftover = work.text
    customers = [n for n in found.names if n.kind == "customer"]
    products = [n for n in found.names if n.kind == "product"]
    found.customer = customers[0] if customers else None
    found.product = products[0] if products else None
    want_customer = found.customer is None and found.fields.get("customer") is None
    want_product = found.product is None and found.fields.get("product") is None
    if (want_customer or want_product) and has_cjk(leftover):
        opening_end = min((s for s, _, what in work.taken if what != "date"), default=len(leftover))
        customer, product = names_mod.read_names(
            leftover, lambda pos: work.taken_next_to(pos, "quantity"),
            lambda pos: work.taken_next_to(pos, "model"), opening_end, want_customer, want_product)
        found.customer = found.customer or customer
        found.product = found.product or product

    intent = _decide_intent(found, work.norm, work.text)
    return _assemble(intent, found, today)


def _assemble(intent: str, found: _Found, today: date) -> ParseResult:
    if intent in ("query", "cancel_request"):
        return ParseResult(intent=intent, fields=OrderFields(), target=_target(found))
    if intent == "unknown":
        # Nothing is claimed, but what was read is kept for the "not understood" answer.
        read = _assemble("new_order", found, today).fields
        return ParseResult(intent=intent, fields=OrderFields(), fields_read=read)
    f = dict(found.fields)
    target: dict[str, str] = {}
    if intent == "change":
        target = _target(found)
        if not target:
            found.warn("target_missing")
    else:
        if f.get("customer") is None and found.customer is not None:
            f["customer"] = found.customer.text
        if f.get("product") is None and found.product is not None:
            f["product"] = found.product.text
    if found.relative_qty is not None:
        if intent == "change":
            found.warn("quantity_relative")
        elif f.get("quantity") is None:
            f["quantity"], f["unit"] = found.relative_qty[0], f.get("unit") or found.relative_qty[1]
    if f.get("unit") is None and found.price_per_unit and f.get("quantity") is not None:
        f["unit"] = found.price_per_unit
    for name in ("quantity", "unit_price", "amount"):
        if f.get(name) is not None and number_problem(name, f[name]) == TOO_LARGE[name]:
            found.warn(TOO_LARGE[name])
            f[name] = None
    if f.get("quantity") is None and found.approximate and intent == "new_order":
        found.warn("quantity_approximate")
    fields = OrderFields(
        customer=_clean(f.get("customer")), product=_clean(f.get("product")),
        model=f.get("model"),
        quantity=json_number(f.get("quantity")), unit=f.get("unit"),
        unit_price=json_number(f.get("unit_price")), amount=json_number(f.get("amount")),
        due_date=f.get("due_date"), complete_set=f.get("complete_set"),
        order_class=f.get("order_class"), notes=f.get("notes"),
        non_regular_reasons=list(found.reasons) if f.get("order_class") == "non_regular" else [],
    )
    warnings = list(found.warnings)
    for name in ("quantity", "unit_price", "amount"):
        if getattr(fields, name) is not None and (problem := number_problem(name, getattr(fields, name))):
            warnings.append(problem)
    if fields.due_date is not None and found.due_hit is not None:
        warnings.extend(due_date_warnings(found.due_hit, today))
    if fields.quantity is not None and fields.unit_price is not None and fields.amount:
        expected = fields.quantity * fields.unit_price
        if abs(expected - fields.amount) > max(1.0, abs(fields.amount) * 0.01):
            warnings.append("amount_mismatch")
    missing = [name for name in REQUIRED_FIELDS if getattr(fields, name) is None] \
        if intent == "new_order" else []
    return ParseResult(intent=intent, fields=fields, target=target, missing=missing, warnings=warnings,
                       fields_read=fields)


# Beyond any real order: a typo or a paste, never stored (and never turned into a float).
NUMBER_LIMITS = {"quantity": Decimal(10) ** 8, "unit_price": Decimal(10) ** 10, "amount": Decimal(10) ** 12}
TOO_LARGE = {"quantity": "quantity_too_large", "unit_price": "price_too_large", "amount": "amount_too_large"}
NOT_POSITIVE = {"quantity": "quantity_not_positive", "unit_price": "price_not_positive",
                "amount": "amount_not_positive"}


def number_problem(name: str, value: Decimal | float | int) -> str | None:
    """The warning a quantity, price or amount earns: too large (or not a finite number), or
    zero or below."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or abs(number) > NUMBER_LIMITS[name]:
        return TOO_LARGE[name]
    return NOT_POSITIVE[name] if number <= 0 else None


def _checked_number(name: str, value: Decimal) -> tuple[Number | None, str | None]:
    problem = number_problem(name, value)
    if problem == TOO_LARGE[name]:
        return None, problem
    return json_number(value), problem


# Most names are letters and digits only; only the others need the full clean-up.
_RE_PLAIN_NAME = re.compile(r"[\w\-.&·()（） ]+")


def _clean(name: str | None) -> str | None:
    """A name as stored: no emoji, decoration or invisible marks (workflow.text.clean_name)."""
    if not name:
        return None
    if _RE_PLAIN_NAME.fullmatch(name) and name == name.strip():
        return name
    return clean_name(name) or None


def _target(found: _Found) -> dict[str, str]:
    if found.order_no:
        return {"order_no": found.order_no}
    target: dict[str, str | None] = {}
    if found.customer is not None:
        target["customer"] = _clean(found.customer.text)
    if found.product is not None:
        target["product"] = _clean(found.product.text)
    return {key: name for key, name in target.items() if name}


# --- answers to a single follow-up question -----------------------------------------------

_ANSWER_FIELDS = ("customer", "product", "model", "quantity", "unit", "unit_price", "amount",
                  "due_date", "complete_set", "order_class", "notes")


def parse_field_value(field_name: str, text: str, now: datetime,
                      non_regular: NonRegularRules | None = None,
                      holidays: HolidayLookup | None = None) -> tuple[Any, str | None]:
    """Read the answer to one question ("数量?" → "15台").  Returns (value, warning key)."""
    if field_name not in _ANSWER_FIELDS:
        raise ValueError(f"unknown field {field_name!r}")
    text = (text if isinstance(text, str) else str(text or ""))[:MAX_CHARS]
    work = Work(text)
    norm = work.norm
    start = value_start_for(norm, field_name)
    body = norm[start:]
    if not body.strip():
        return None, "value_empty"
    if field_name in ("customer", "product", "model", "notes"):
        value = _value(work, start, len(norm))
        if field_name in ("customer", "product"):
            value = _clean(value)
        return (value, None) if value else (None, "value_empty")
    sci = _scientific(body, 0) if field_name in ("quantity", "unit_price", "amount") else None
    if sci is not None:
        return _checked_number(field_name, sci[0])
    if field_name == "quantity":
        m = RE_QUANTITY_VALUE.search(body)
        number = _signed_quantity(m) if m else None
        if number is None:
            return None, "quantity_unreadable"
        return _checked_number("quantity", number)
    if field_name == "unit":
        m = RE_UNIT_WORD.search(body) or RE_QUANTITY_VALUE.search(body)
        unit = unit_of(m) if m else None
        return (unit, None) if unit else (None, "unit_unreadable")
    if field_name in ("unit_price", "amount"):
        m = RE_MONEY_VALUE.search(body)
        money, foreign = money_value(m) if m else (None, False)
        if m is None or money is None:
            return None, "price_unreadable"
        if m.group("neg"):
            money = -money  # "-5万" is refused with its sign, never read as 50000
        checked, problem = _checked_number(field_name, money)
        if problem is None and foreign:
            return checked, "currency_not_cny"
        return checked, problem
    if field_name == "due_date":
        today = _today(now)
        for hit in find_dates(body, today, keyed=True, holidays=holidays):
            if hit.kind == "date":
                # One answer carries one warning, and callers refuse an answer with one
                # (/newdate): "next year" is only said on a card, by parse_message.
                said = [w for w in due_date_warnings(hit, today) if w != "due_date_next_year"]
                return hit.value, (said[0] if said else None)
            return None, "date_shift_relative" if hit.kind == "shift" else "date_unreadable"
        return None, "date_unreadable"
    if field_name == "complete_set":
        complete = yes_no(body)
        if complete is None:
            matches = [v for _, _, v in complete_set_matches(body) if v is not None]
            complete = matches[0] if matches else None
        return (complete, None) if complete is not None else (None, "value_unreadable")
    # order_class
    cls, _ = classify(body, non_regular)
    if cls is None:
        answer = yes_no(body)
        cls = {True: "non_regular", False: "regular"}.get(answer) if answer is not None else None
    return (cls, None) if cls else (None, "value_unreadable")

