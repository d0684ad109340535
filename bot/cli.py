"""The `gendan` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gendan", description="Gendan order follow-up bot")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (the sandbox when BOT_TOKEN is not set)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("web", help="serve the web pages alone (tracking links, the desk)")

    simulate = commands.add_parser("simulate", help="run a scripted scenario under a virtual clock")
    simulate.add_argument("scenario")
    simulate.add_argument("--out", help="write the bot's messages as JSON lines here")
    simulate.add_argument("--state", help="write the final state as JSON here")
    simulate.add_argument("--db", help="database URL (default: a fresh temporary SQLite)")
    simulate.add_argument("--transport", choices=("telegram", "dingtalk"), default="telegram",
                          help="the platform's emulator the scenario runs on")

    from bot import parse_cmd

    parse = commands.add_parser("parse", help="parse order messages and print what was read")
    parse_cmd.add_arguments(parse)

    from bot import report_cmd

    report = commands.add_parser("report", help="the evaluation of a period: figures, "
                                                "workbook, chart")
    report_cmd.add_arguments(report)

    roster = commands.add_parser("roster", help="the company roster")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    roster_import = roster_commands.add_parser("import", help="import people, roles, groups")
    roster_import.add_argument("file")

    catalog = commands.add_parser("catalog", help="customers and products the parser knows")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True)
    catalog_import = catalog_commands.add_parser("import", help="import names from a CSV file")
    catalog_import.add_argument("file")

    outbox = commands.add_parser("outbox", help="messages owed, held and given up")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_commands.add_parser("list", help="counts, and every message held or given up")
    outbox_retry = outbox_commands.add_parser("retry", help="send a held or given-up message again")
    outbox_retry.add_argument("id", help="the message's number from `outbox list`, or all")

    backup = commands.add_parser("backup", help="a checked copy of the database, now")
    backup.add_argument("--db", help="database URL (default: DATABASE_URL)")
    backup.add_argument("--to", help="folder for the backup (default: BACKUP_DIR)")
    restore = commands.add_parser("restore", help="put a backup into an empty database")
    restore.add_argument("file", help="a file `gendan backup` wrote")
    restore.add_argument("--db", help="database URL (default: DATABASE_URL)")
    restore.add_argument("--force", action="store_true",
                         help="replace everything in a database that is not empty")
    migrate_data = commands.add_parser("migrate-data",
                                       help="copy every row into another, empty database")
    migrate_data.add_argument("--from", dest="source", required=True, help="database URL")
    migrate_data.add_argument("--to", dest="target", required=True, help="database URL")

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"gendan: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # A line per request, tick or alembic plugin would bury the rest.
    for chatty in ("httpx", "apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.root.level))
    quiet_outage_pages()
    quiet_skipped_ticks()
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130


def quiet_outage_pages() -> None:
    """While Telegram is down its front end answers with an HTML page, and the Bot API client
    logs each one with a traceback before raising the error the outbox handles; the outbox
    says once when Telegram goes away and once when it is back."""
    logging.getLogger("telegram.request.BaseRequest").addFilter(
        lambda record: not record.getMessage().startswith("Can not load invalid JSON data"))


def quiet_skipped_ticks() -> None:
    """The outbox and the timers are polled every second, and a poll still busy (a burst
    being sent) makes the next one skip: that is what is meant to happen, not a warning."""
    logging.getLogger("apscheduler.scheduler").addFilter(
        lambda record: "maximum number of running instances reached" not in record.getMessage())


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.policy import PolicyError

    try:
        if args.command == "run":
            from bot.runner import run

            asyncio.run(run(settings))
            return 0
        if args.command == "web":
            from bot.runner import serve_pages

            asyncio.run(serve_pages(settings))
            return 0
        if args.command == "migrate":
            from bot.admin import migrate

            asyncio.run(migrate(settings))
            return 0
        if args.command == "simulate":
            from bot.simulate import ScenarioError, simulate, write_outputs

            try:
                result = asyncio.run(simulate(args.scenario, args.db, args.transport))
            except (ScenarioError, FileNotFoundError) as exc:
                print(f"gendan simulate: {exc}", file=sys.stderr)
                return 2
            write_outputs(result, args.out, args.state)
            return 0
        if args.command == "parse":
            from bot import parse_cmd
            from bot.admin import lexicon_loader
            from bot.app import company_policy

            return parse_cmd.run(args, None if args.no_db else lexicon_loader(settings),
                                 non_regular=company_policy(settings).non_regular)
        if args.command == "report":
            from bot import report_cmd

            return report_cmd.run(args, settings)
        if args.command == "roster":
            from bot.admin import RosterError, import_roster

            try:
                summary = asyncio.run(import_roster(settings, args.file))
            except (RosterError, FileNotFoundError) as exc:
                print(f"gendan roster import: {exc}", file=sys.stderr)
                return 2
            print(summary)
            return 0
        if args.command == "outbox":
            from bot.admin import outbox_report

            retry = args.id if args.outbox_command == "retry" else None
            if retry is not None and retry != "all" and not retry.isdigit():
                print("gendan outbox retry: give a number from `gendan outbox list`, or all",
                      file=sys.stderr)
                return 2
            print(asyncio.run(outbox_report(settings, retry=retry)))
            return 0
        if args.command == "catalog":
            from bot.admin import CatalogError, import_catalog

            try:
                print(asyncio.run(import_catalog(settings, args.file)))
            except (CatalogError, FileNotFoundError) as exc:
                print(f"gendan catalog import: {exc}", file=sys.stderr)
                return 2
            return 0
        if args.command in ("backup", "restore", "migrate-data"):
            return _backups(args, settings)
    except PolicyError as exc:
        print(f"gendan: policy: {exc}", file=sys.stderr)
        return 2
    return 2


def _backups(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.admin import backup_report, migrate_data_report, restore_report
    from storage.backup import BackupError

    try:
        if args.command == "backup":
            print(asyncio.run(backup_report(settings, args.db, args.to)))
        elif args.command == "restore":
            print(asyncio.run(restore_report(settings, args.file, args.db, args.force)))
        else:
            print(asyncio.run(migrate_data_report(args.source, args.target)))
    except BackupError as exc:
        print(f"gendan {args.command}: {exc}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as exc:
        print(f"gendan {args.command}: the database could not be reached or read: {exc}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
