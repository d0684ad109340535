"""Numbers as reps type them: 12, 1,580, 3.5万, 3万5, 一万二, 三百五十, 两百, 1.2w, 2k."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "俩": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7,
    "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
CN_BIG = {"万": 10_000, "萬": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000}

_CN_DIGIT_CHARS = "".join(CN_DIGITS)
_CN_UNIT_CHARS = "十拾百佰千仟万萬亿"

# One number expression: starts with a digit (Arabic or Chinese) or 十, then any run of
# digits and magnitude characters.  "万" alone, "千万要注意" or "百分之" never start one.
# w/k only count right after an Arabic digit ("1.2w", "2k") so words are left alone.
# A digit run inside the repetition must follow a non-digit, so the engine has only one way
# to split "12345" and cannot backtrack exponentially on long digit strings.
# "六千二一台" is 6200 a unit, "2.3万一个" 23000 a piece: a 一 after a digit or 百/千/万 and before
# a measure word is "per", not a digit ("十一台" is still eleven, "九百零一台" 901).
_PER_ONE = r"(?<=[一二两三四五六七八九壹贰叁肆伍陆柒捌玖俩幺万萬千仟百佰])一\s*[台套个件只米吨面组根块樘批条卷支副把片张桶包节段部辆座扇具对双捆袋瓶颗粒箱榀]"
NUM = (
    rf"(?:\d+(?:,\d{{3}})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|[{_CN_DIGIT_CHARS}]|[十拾])"
    rf"(?:(?<![\d.])\d+(?:\.\d+)?|(?!{_PER_ONE})(?<!\d)[{_CN_DIGIT_CHARS}]|[{_CN_UNIT_CHARS}]"
    rf"|(?<=\d)[wWkK](?![A-Za-z]))*"
    r"(?!分之)"
)
# Put in front of NUM wherever the engine searches: a number starts at the start of a run of
# numerals, never inside one (otherwise a long run costs quadratic time).
NUM_START = rf"(?<![0-9.{_CN_DIGIT_CHARS}{_CN_UNIT_CHARS}])"
_RE_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[{_CN_DIGIT_CHARS}{_CN_UNIT_CHARS}wWkK]")


def parse_number(text: str) -> Decimal | None:
    """Read one number expression; None when it is not a well-formed number."""
    s = text.strip().replace(",", "").replace(" ", "")
    pos = 0
    total = Decimal(0)  # completed 万/亿 groups
    section = Decimal(0)  # the part below the current 万
    current: Decimal | None = None  # a digit waiting for its magnitude
    arabic = False  # current came from Arabic digits
    digit_string = False  # 二〇二六: Chinese digits read one by one
    last_unit = 0
    zero_gap = False
    seen = False
    for m in _RE_TOKEN.finditer(s):
        if m.start() != pos:
            return None
        pos = m.end()
        tok = m.group()
        if tok[0].isdigit():
            if current is not None:
                return None
            try:
                current = Decimal(tok)
            except InvalidOperation:
                return None
            arabic, seen = True, True
        elif tok in CN_DIGITS:
            value = CN_DIGITS[tok]
            seen = True
            if current is not None:
                if arabic:
                    return None
                current = current * 10 + value
                digit_string = True
            elif value == 0:
                zero_gap = True
            else:
                current, arabic = Decimal(value), False
        elif tok in CN_SMALL:
            if current is None:
                if CN_SMALL[tok] != 10:
                    return None
                current = Decimal(1)
            section += current * CN_SMALL[tok]
            current, last_unit, zero_gap, seen = None, CN_SMALL[tok], False, True
        else:
            big = CN_BIG[tok]
            if current is None and not section:
                return None
            section += current or 0
            if big > 10_000:
                total = (total + section) * big
            else:
                total += section * big
            section, current, last_unit, zero_gap = Decimal(0), None, big, False
    if pos != len(s) or not seen:
        return None
    if current is not None:
        if (last_unit and not zero_gap and not digit_string
                and current == current.to_integral_value() and 0 < current < 10):
            # Colloquial tail: 一万二 = 12000, 三千五 = 3500, 两百五 = 250, 3万5 = 35000.
            current = current * last_unit / 10
        section += current
    return total + section


# --- quantities -------------------------------------------------------------------------

# Measure words.  个 is not a quantity before 月/单/人…, so 一个月 and 一个单 are left alone.
UNITS_CN = (
    "公里", "千米", "千克", "公斤", "平方米", "平米", "平方", "立方米", "立方", "米", "台", "套",
    "个", "件", "吨", "面", "组", "只", "根", "条", "支", "卷", "盘", "副", "把", "片", "张",
    "桶", "包", "节", "段", "部", "辆", "座", "樘", "扇", "具", "对", "双", "捆", "袋", "瓶",
    "颗", "粒", "箱", "块", "批", "榀",
)
_UNIT_GUARDS = {
    "个": "(?!月|单|工作日|星期|礼拜|小时|人|客户|项目|问题|事|意思|办法|订单|点|钟)",
    "件": "(?!事)",
    "面": "(?!积|谈|子|的人)",
    "箱": "(?!变|体|式)",
    "只": "(?!是|有|要|能)",
    "条": "(?!款|件|例)",
    "部": "(?!门|长|分)",
    "把": "(?!握)",
    "对": "(?!接|方|比|了|吧)",
    "副": "(?!总)",
    "张": "(?!经理|总|工)",
    "座": "(?!谈)",
    "节": "(?!日|假)",
    "块": "(?!钱)",
    "批": "(?!次|量|准|复|发|号|示)",
    "段": "(?!时间)",
}
UNIT_ALT_CN = "|".join(
    re.escape(u) + _UNIT_GUARDS.get(u, "") for u in sorted(UNITS_CN, key=len, reverse=True)
)
UNITS_EN = {
    "sets": "套", "set": "套", "units": "台", "unit": "台", "pcs": "个", "pc": "个",
    "pieces": "个", "piece": "个", "meters": "米", "meter": "米", "metres": "米", "metre": "米",
    "m": "米", "km": "公里", "tons": "吨", "ton": "吨", "t": "吨", "kg": "千克",
}
UNIT_ALT_EN = "|".join(sorted(UNITS_EN, key=len, reverse=True))

RE_QUANTITY = re.compile(
    # A Chinese numeral may follow a model straight away ("ACS510-01十五台"); digits may not.
    rf"(?:(?<![A-Za-z0-9.\-/*×_第{_CN_DIGIT_CHARS}{_CN_UNIT_CHARS}])|(?<=[A-Za-z0-9])(?=[{_CN_DIGIT_CHARS}十]))"
    rf"(?P<num>{NUM})\s*"
    rf"(?:(?P<unit>{UNIT_ALT_CN})|(?P<en>(?:{UNIT_ALT_EN}))(?![A-Za-z]))"
)
RE_QUANTITY_VALUE = re.compile(
    rf"\s*(?P<num>-?\s*{NUM_START}{NUM})\s*(?:(?P<unit>{UNIT_ALT_CN})|(?P<en>(?:{UNIT_ALT_EN}))(?![A-Za-z]))?",
    re.I,
)
RE_UNIT_WORD = re.compile(rf"\s*(?:(?P<unit>{UNIT_ALT_CN})|(?P<en>{UNIT_ALT_EN})(?![A-Za-z]))", re.I)


def unit_of(match: re.Match[str]) -> str | None:
    if match.group("unit"):
        return match.group("unit")
    en = match.group("en")
    return UNITS_EN.get(en.lower()) if en else None


# --- money ------------------------------------------------------------------------------

CURRENCY = r"(?P<cur>[¥$]|RMB|rmb|CNY|cny|USD|usd|US\$|人民币|美元|美金)?"
MONEY = (
    rf"{CURRENCY}\s*{NUM_START}(?P<num>{NUM})\s*(?P<yuan>万元|元|块钱|块|圆|美元|美金|rmb|RMB|yuan|USD|usd)?"
)
RE_MONEY_VALUE = re.compile(
    rf"\s*(?:约|大约|大概|共|共计)?\s*(?P<neg>-)?\s*{MONEY}"
    rf"(?:\s*(?:/|每|一)\s*(?P<per>{UNIT_ALT_CN}|{UNIT_ALT_EN}))?",
    re.I,
)


def money_value(match: re.Match[str]) -> tuple[Decimal | None, bool]:
    """(yuan, foreign) for a MONEY match; 万元 multiplies."""
    value = parse_number(match.group("num"))
    if value is None:
        return None, False
    if (match.group("yuan") or "") == "万元":
        value *= 10_000
    cur = (match.group("cur") or "") + (match.group("yuan") or "")
    foreign = any(sym in cur for sym in ("$", "USD", "usd", "美元", "美金"))
    return value, foreign
