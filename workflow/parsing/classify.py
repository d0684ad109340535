"""Order class per the 订单管理办法 and the complete-set (成套) flag.

非常规订单: a product that needs new technical design; a product made before but
discontinued or not made for years; quality above the company standard; a tight date with
a penalty clause or a reputational risk.  Anything else is 常规.  The words that tell are
the company's, `[non_regular.keywords]` of the policy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from workflow.policy import NonRegularReason, NonRegularRules

_DECLARED = re.compile(r"非常规|\bnon[- ]regular\b")
_REGULAR = re.compile(r"(?<!非)常规|标准品|(?<!non-)(?<!non )\bregular\b")
_NEGATION = re.compile(r"(?:不|没|无|没有|不用|不需|不需要|无需|不是|免|非(?!常))\s*$|(?i:\b(?:not|no|non)[\s-]*$)")
_NUMBER = r"\s*\d+(?:\.\d+)?\s*"
_LATIN_EDGE = re.compile(r"[A-Za-z0-9]")


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text, max(0, start - 4), start))


def _keyword_pattern(word: str) -> str:
    """How a policy keyword is matched: as written, except that a space stands for any run
    of spaces, `#` for a number ("扣#%" is 扣5%, 扣 0.5 %), letters ignore case, and a Latin
    word only matches whole (“urgent” is not in “urgently”)."""
    word = word.strip()
    pattern = "".join(_NUMBER if c == "#" else r"\s+" if c == " " else re.escape(c) for c in word)
    if _LATIN_EDGE.match(word[0]):
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if _LATIN_EDGE.match(word[-1]):
        pattern += r"(?![A-Za-z0-9])"
    return pattern


def _compile(keywords: Mapping[NonRegularReason, tuple[str, ...]]) -> re.Pattern[str] | None:
    # One group per reason, in the policy's order; inside a group the longest words come
    # first, so that of two words starting at the same place the longer is the match.
    groups = [f"(?P<{reason}>{'|'.join(map(_keyword_pattern, sorted(words, key=len, reverse=True)))})"
              for reason, words in keywords.items() if words]
    return re.compile("|".join(groups), re.IGNORECASE) if groups else None


# Compiled once per policy: the rules live as long as the policy that holds them, and the
# entry keeps them alive, so their id is not reused while cached.
_MATCHERS: dict[int, tuple[NonRegularRules, re.Pattern[str] | None]] = {}


def _matcher(rules: NonRegularRules) -> re.Pattern[str] | None:
    cached = _MATCHERS.get(id(rules))
    if cached is None:
        cached = _MATCHERS[id(rules)] = (rules, _compile(rules.keywords))
    return cached[1]


def non_regular_reasons(text: str, rules: NonRegularRules | None = None) -> list[str]:
    """The reasons whose policy keywords occur in `text` and are not negated (“不是非标”),
    in the policy's order. Without rules nothing is non-regular: the words are the company's,
    and only its policy, handed down by the caller, says them."""
    if rules is None:
        return []
    keywords = rules.keywords
    matcher = _matcher(rules)
    found: set[str] = set()
    for m in matcher.finditer(text) if matcher else ():
        reason = m.lastgroup
        # Every alternative of the matcher is one reason's named group, with no group inside.
        assert reason is not None
        if reason not in found and not _negated(text, m.start()):
            found.add(reason)
    return [str(reason) for reason in keywords if reason in found]


def classify(text: str, rules: NonRegularRules | None = None) -> tuple[str | None, list[str]]:
    """(order_class, reasons) from everything the rep wrote, by the policy's keywords."""
    reasons = non_regular_reasons(text, rules)
    if reasons:
        return "non_regular", reasons
    lower = text.lower()
    if any(not _negated(lower, m.start()) for m in _DECLARED.finditer(lower)):
        return "non_regular", ["declared"]
    for m in _REGULAR.finditer(lower):
        if not _negated(lower, m.start()):
            return "regular", []
    return None, []


_YES = r"是|要|需要|有|对|yes|y|√|✓|true"
_NO = r"否|不要|不需要|不是|无|没有|no|n|×|x|false"
RE_COMPLETE_SET = re.compile(
    rf"(?P<q>是否成套)\s*[:=]?\s*(?P<ans2>{_NO}|{_YES})?"
    rf"|(?P<neg>不|非|无需|不需要|不要|取消|不是|不用)?\s*(?:成套|整套)(?:供货|设备|产品|发货|供应)?"
    rf"(?:\s*[:=]\s*(?P<ans>{_NO}|{_YES}))?"
    r"|(?i:(?P<enneg>\bnot\s+(?:a\s+)?|\bno\s+)?\bcomplete[\s-]+set\b)",
    re.I,
)
_RE_NO = re.compile(rf"^(?:{_NO})$", re.I)


def complete_set_matches(text: str) -> list[tuple[int, int, bool | None]]:
    out: list[tuple[int, int, bool | None]] = []
    if "成套" not in text and "整套" not in text and "set" not in text.lower():
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
