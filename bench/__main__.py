"""Every benchmark, one after the other: .venv/bin/python -m bench (or `make bench`)."""

from bench import (
    bench_bot,
    bench_history,
    bench_outbox,
    bench_parse,
    bench_taps,
    bench_timers,
    bench_web,
    bench_years,
)

if __name__ == "__main__":
    for bench in (bench_bot, bench_parse, bench_timers, bench_outbox, bench_years, bench_history,
                  bench_web, bench_taps):
        print(f"== {bench.__name__}", flush=True)
        bench.main()
        print(flush=True)
