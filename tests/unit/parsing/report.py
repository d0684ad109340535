"""Field accuracy of the parser on the labelled corpus, by kind of message.

    python -m tests.unit.parsing.report            # the tables
    python -m tests.unit.parsing.report --misses   # plus every wrong field
    python -m tests.unit.parsing.report --dev      # also the dev split of corpus2 (see there)

A message scores one point per checked item: intent, the 11 fields (a null label must
come out null), and for changes and queries each target key.  "stated" counts only the
fields the label gives a value, so empty fields cannot flatter the figure.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from workflow.parsing import Lexicon, parse_message

from .corpus import CASES, FIELDS, KINDS, LEXICON, RULES, Case
from .corpus2 import DEV, MAIN
from .holdout import HOLDOUT, HOLDOUT2

# corpus2 is read as `gendan parse --no-db` reads: nothing known in advance.
NO_LEXICON = Lexicon()


@dataclass
class Score:
    messages: int = 0
    items: int = 0
    right: int = 0
    stated: int = 0
    stated_right: int = 0
    intent_right: int = 0
    misses: list[str] = field(default_factory=list)
    # item → [right, checked, stated right, stated]
    by_item: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))

    @property
    def accuracy(self) -> float:
        return self.right / self.items if self.items else 1.0

    @property
    def stated_accuracy(self) -> float:
        return self.stated_right / self.stated if self.stated else 1.0


def actual_of(case: Case, lexicon: Lexicon = LEXICON) -> dict:
    return parse_message(case.text, datetime.fromisoformat(case.now), lexicon, RULES).to_json()


def compare(case: Case, got: dict) -> list[tuple[str, object, object]]:
    """(item, expected, got) for every checked item, right or wrong."""
    items: list[tuple[str, object, object]] = [("intent", case.intent, got["intent"])]
    expected = case.expected_fields()
    for name in FIELDS:
        items.append((name, expected[name], got["fields"][name]))
    if case.kind in ("change", "query") or case.target:
        for key in sorted(set(case.target) | set(got["target"])):
            items.append((f"target.{key}", case.target.get(key), got["target"].get(key)))
    return items


def score_all(cases: list[Case] = CASES, lexicon: Lexicon = LEXICON) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for i, case in enumerate(cases):
        got = actual_of(case, lexicon)
        s = scores[case.kind]
        s.messages += 1
        for item, want, have in compare(case, got):
            ok = want == have
            s.items += 1
            s.right += ok
            tally = s.by_item[item.split(".")[0] if item.startswith("target") else item]
            tally[0] += ok
            tally[1] += 1
            if item == "intent":
                s.intent_right += ok
            if want is not None and item != "intent":
                s.stated += 1
                s.stated_right += ok
                tally[2] += ok
                tally[3] += 1
            if not ok:
                s.misses.append(f"  #{i:03d} {item}: want {want!r} got {have!r}  | {case.text[:60]!r}")
    return scores


def print_table(title: str, scores: dict[str, Score], show_misses: bool) -> None:
    print(title)
    print(f"{'kind':<11}{'msgs':>5}{'items':>7}{'right':>7}{'acc':>8}{'stated':>8}{'acc':>8}{'intent':>8}")
    for kind in KINDS:
        s = scores.get(kind)
        if s is None:
            continue
        print(f"{kind:<11}{s.messages:>5}{s.items:>7}{s.right:>7}{s.accuracy:>8.1%}"
              f"{s.stated:>8}{s.stated_accuracy:>8.1%}{s.intent_right / s.messages:>8.1%}")
    total = Score()
    for s in scores.values():
        total.messages += s.messages
        total.items += s.items
        total.right += s.right
        total.stated += s.stated
        total.stated_right += s.stated_right
        total.intent_right += s.intent_right
    print(f"{'all':<11}{total.messages:>5}{total.items:>7}{total.right:>7}{total.accuracy:>8.1%}"
          f"{total.stated:>8}{total.stated_accuracy:>8.1%}{total.intent_right / total.messages:>8.1%}")
    print_fields(scores)
    if show_misses:
        for kind in KINDS:
            s = scores.get(kind)
            if s and s.misses:
                print(f"\n{kind}:")
                print("\n".join(s.misses))


def print_fields(scores: dict[str, Score]) -> None:
    """Per item over every kind: all messages (a null label must stay null) / stated only."""
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for s in scores.values():
        for item, tally in s.by_item.items():
            merged[item] = [a + b for a, b in zip(merged[item], tally, strict=True)]
    cells = []
    for item in ("intent", *FIELDS, "target"):
        right, checked, stated_right, stated = merged.get(item, [0, 0, 0, 0])
        if checked:
            stated_text = f"{stated_right / stated:.0%}" if stated else "-"
            cells.append(f"{item} {right / checked:.1%} ({stated_text} of {stated})")
    for i in range(0, len(cells), 4):
        print("  " + " | ".join(cells[i:i + 4]))


def main(argv: list[str]) -> int:
    show = "--misses" in argv
    print_table("corpus2 main (issue 13; empty lexicon, as gendan parse --no-db)",
                score_all(MAIN, NO_LEXICON), show)
    print()
    if "--dev" in argv:
        print_table("corpus2 dev split (measured at the end only)", score_all(DEV, NO_LEXICON), show)
        print()
    print_table("corpus (labelled before the parser was written)", score_all(CASES), show)
    print()
    print_table("holdout (written after the parser; first-run score in docs/parsing.md)",
                score_all(HOLDOUT), show)
    print()
    print_table("holdout2 (written after the holdout fixes; first-run score in docs/parsing.md)",
                score_all(HOLDOUT2), show)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
