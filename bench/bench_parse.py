"""Parse time per message beside jieba.lcut of the same messages, warm_up's memory, and the
accuracy per kind and per field on corpus2 (issue 13; main and dev split).

Run: .venv/bin/python -m bench.bench_parse

Both are timed in one run, message by message and interleaved, over every message of the
labelled corpora (tests/unit/parsing); the figure is the median over messages of each
message's mean time.  jieba.lcut uses jieba's full default dictionary, loaded before
timing.  The floor is parse/jieba ≤ 3.  The memory figure comes from a fresh interpreter,
so nothing else is loaded when warm_up() runs.
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

REPEAT = 30
RATIO_FLOOR = 3.0

_RSS_PROBE = r"""
import json
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
base = rss()
import workflow.parsing as p
imported = rss()
p.warm_up()
warm = rss()
from datetime import datetime, timezone
p.parse_message("帮我下个单，江苏恒通机械要30台Y160M-4电机，月底前交货", datetime.now(timezone.utc))
used = rss()
print(json.dumps({"base": base, "import": imported - base, "warm_up": warm - imported,
                  "after_parse": used - base}))
"""


def rss_cost() -> dict[str, float] | None:
    """MB resident: importing workflow.parsing, then warm_up(), in a fresh interpreter."""
    try:
        out = subprocess.run([sys.executable, "-c", _RSS_PROBE], capture_output=True, text=True,
                             check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mean_time(fn, *args) -> float:
    started = time.perf_counter()
    for _ in range(REPEAT):
        fn(*args)
    return (time.perf_counter() - started) / REPEAT


def timings() -> tuple[float, float, int]:
    """(median µs parse_message, median µs jieba.lcut, messages)."""
    import jieba

    from tests.unit.parsing.corpus import CASES, LEXICON, RULES
    from tests.unit.parsing.corpus2 import DEV, MAIN
    from tests.unit.parsing.holdout import HOLDOUT, HOLDOUT2
    from workflow.parsing import parse_message, warm_up

    warm_up()
    jieba.setLogLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as cache_dir:
        jieba.dt.tmp_dir = cache_dir  # keep jieba's dictionary cache out of /tmp
        jieba.initialize()
        cases = [(c.text, datetime.fromisoformat(c.now)) for c in CASES + HOLDOUT + HOLDOUT2 + MAIN + DEV]
        for text, now in cases[:20]:  # settle caches before measuring
            parse_message(text, now, LEXICON, RULES)
            jieba.lcut(text)
        ours, theirs = [], []
        for text, now in cases:
            ours.append(_mean_time(parse_message, text, now, LEXICON, RULES))
            theirs.append(_mean_time(jieba.lcut, text))
    return statistics.median(ours) * 1e6, statistics.median(theirs) * 1e6, len(cases)


def accuracy() -> None:
    """The per-kind and per-field tables of tests/unit/parsing/report.py for corpus2."""
    from tests.unit.parsing.corpus2 import DEV, MAIN
    from tests.unit.parsing.report import NO_LEXICON, print_table, score_all

    print_table("corpus2 main (empty lexicon, as gendan parse --no-db)", score_all(MAIN, NO_LEXICON), False)
    print()
    print_table("corpus2 dev split", score_all(DEV, NO_LEXICON), False)
    print()


def main() -> int:
    accuracy()
    parse_us, jieba_us, count = timings()
    ratio = parse_us / jieba_us
    print(f"parse_message vs jieba.lcut over {count} corpus messages ({REPEAT} runs each)")
    print(f"  parse_message  median {parse_us:8.1f} µs/message")
    print(f"  jieba.lcut     median {jieba_us:8.1f} µs/message  (default dictionary)")
    print(f"  ratio          {ratio:8.2f}   (floor ≤ {RATIO_FLOOR:.0f}: {'ok' if ratio <= RATIO_FLOOR else 'FAIL'})")
    rss = rss_cost()
    if rss is None:
        print("  RSS            unavailable (no /proc)")
    else:
        print(f"  RSS            import {rss['import']:.1f} MB, warm_up +{rss['warm_up']:.1f} MB, "
              f"after first parse {rss['after_parse']:.1f} MB over a {rss['base']:.1f} MB interpreter")
    return 0 if ratio <= RATIO_FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
