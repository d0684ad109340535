"""Every benchmark, one after the other: .venv/bin/python -m bench"""

from bench import bench_bot, bench_parse

if __name__ == "__main__":
    bench_bot.main()
    print()
    bench_parse.main()
