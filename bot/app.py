"""Bootstrap: wires storage, policy, calendar and handlers into one PTB Application."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.intake import Poller, UpdatesRequest
from bot.outbox import OutboxSender, Pacer
from bot.settings import Settings
from bot.updates import PerChatUpdateProcessor
from handlers import (
    admin,
    callbacks,
    change_filing,
    credit,
    deliveries,
    general,
    intake,
    membership,
    reports,
    task_reports,
    web_links,
)
from handlers.order_commands import ORDER_COMMANDS
from handlers.runtime import Recorder, Runtime
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from workflow.calendar import WorkingCalendar
from workflow.parsing import Lexicon
from workflow.policy import Policy, load_policy
from workflow.ports import Clock

log = logging.getLogger(__name__)


class PolicyDeadlines:
    """The Deadlines port: a policy rule's duration counted on the company's working calendar."""

    def __init__(self, policy: Policy, calendar: WorkingCalendar) -> None:
        self.policy = policy
        self.calendar = calendar

    def due(self, rule: str, start: datetime | date) -> datetime:
        return self.calendar.deadline(start, self.policy.deadline(rule))


class LexiconCache:
    """Known customers and products for the parser, read at start-up and grown as orders arrive."""

    def __init__(self) -> None:
        self.current = Lexicon()

    def __call__(self) -> Lexicon:
        return self.current

    def learn(self, customer: str, product: str) -> None:
        """A registered order's names are known from the next message on."""
        self.current = self.current.learned(customer, product)

    async def refresh(self, sessions: async_sessionmaker) -> None:
        async with SqlUnitOfWork(sessions) as uow:
            customers, products = await uow.orders.known_names()
        lexicon = Lexicon.build(customers, products)
        # Built here, with the names read at start-up: else the first message parsed after it
        # waits for a trie over every customer and product of the years before.
        _ = lexicon.trie
        self.current = lexicon


@dataclass
class Gendan:
    settings: Settings
    engine: AsyncEngine
    runtime: Runtime
    policy: Policy
    calendar: WorkingCalendar
    lexicon: LexiconCache
    sessions: async_sessionmaker  # for the shell tools and tests that look at rows directly

    async def close(self) -> None:
        await self.engine.dispose()


def company_policy(settings: Settings, overrides: dict[str, Any] | None = None) -> Policy:
    """The company's policy as every entry point reads it: the file the settings name, with
    a scenario's or a test's overrides."""
    return load_policy(settings.policy_file, overrides)


async def bootstrap(
    settings: Settings,
    clock: Clock,
    *,
    recorder: Recorder | None = None,
    policy_overrides: dict[str, Any] | None = None,
    migrate: bool = True,
) -> Gendan:
    policy = company_policy(settings, policy_overrides)
    calendar = WorkingCalendar(policy)
    engine = create_engine(settings.database_url)
    if migrate:
        await upgrade(engine)
    sessions = session_factory(engine)
    lexicon = LexiconCache()
    await lexicon.refresh(sessions)
    runtime = Runtime(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=clock,
        deadlines=PolicyDeadlines(policy, calendar),
        tz=ZoneInfo(policy.timezone),
        admin_ids=settings.admin_ids,
        lexicon=lexicon,
        recorder=recorder,
        policy=policy,
        calendar=calendar,
        lease=settings.lease,
        web_url=settings.web_url,
    )
    return Gendan(settings, engine, runtime, policy, calendar, lexicon, sessions)


# Telegram takes about 30 messages a second: four connections carry that at 100 ms a call.
# The HTTP client checks every pooled connection (two system calls each) on each request, so
# more connections cost more CPU per message: 8 sent about 6% fewer answers a second than 4.
SEND_CONNECTIONS = 4


def build_application(
    gendan: Gendan, token: str, *, base_url: str | None = None, base_file_url: str | None = None,
    send_timeout: float | None = None, request: BaseRequest | None = None,
) -> Application:
    # A send whose answer times out may have gone through and is sent again: wait long enough
    # that a slow Telegram is rarely taken for a lost message.
    timeout = send_timeout if send_timeout is not None else gendan.settings.send_timeout
    builder = Application.builder().token(token).concurrent_updates(PerChatUpdateProcessor())
    if request is not None:  # another platform's calls (bot/dingtalk), with its own timeouts
        builder = builder.request(request)
    else:
        updates = UpdatesRequest(read_timeout=Poller.POLL_SECONDS + timeout)
        builder = (builder.read_timeout(timeout).write_timeout(timeout)
                   .connection_pool_size(SEND_CONNECTIONS).pool_timeout(timeout)
                   .get_updates_request(updates))
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    application = builder.build()
    application.bot_data["runtime"] = gendan.runtime
    if request is None:
        application.bot_data[UpdatesRequest.KEY] = updates
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:
    only_new = filters.UpdateType.MESSAGE
    for name, handler in (
        ("start", general.cmd_start),
        ("help", general.cmd_help),
        ("whoami", general.cmd_whoami),
        ("roles", general.cmd_roles),
        ("lang", general.cmd_lang),
        ("bind", admin.cmd_bind),
        ("role", admin.cmd_role),
        ("unrole", admin.cmd_unrole),
        ("order", intake.cmd_order),
        ("change", change_filing.cmd_change),
        ("done", task_reports.cmd_done),
        ("progress", task_reports.cmd_progress),
        ("delay", task_reports.cmd_delay),
        ("deliveries", deliveries.cmd_deliveries),
        ("report", reports.cmd_report),
        ("credit", credit.cmd_credit),
        ("track", web_links.cmd_track),
        ("web", web_links.cmd_web),
    ):
        application.add_handler(CommandHandler(name, handler, filters=only_new))
    for name, handler in ORDER_COMMANDS.items():
        application.add_handler(CommandHandler(name, handler, filters=only_new))
    application.add_handler(CallbackQueryHandler(callbacks.on_button))
    application.add_handler(ChatMemberHandler(membership.on_my_chat_member,
                                              ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, membership.on_migrate))
    application.add_handler(MessageHandler(only_new & filters.PHOTO & filters.REPLY,
                                           task_reports.on_photo))
    application.add_handler(MessageHandler(only_new & filters.COMMAND, general.on_unknown_command))
    application.add_handler(MessageHandler(only_new & filters.TEXT & ~filters.COMMAND,
                                           intake.on_text))
    application.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what escaped the handlers (network trouble while answering); the bot goes on."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)


def make_sender(gendan: Gendan, application: Application,
                pacer: Pacer | None = None) -> OutboxSender:
    """The outbox sender, also wired to send each handler's answers right after its commit."""
    sender = OutboxSender(gendan.runtime, application.bot, pacer,
                          budget=gendan.settings.outbox_retry_budget)
    gendan.runtime.deliver_now = sender.deliver
    return sender
