"""One update's handling: dedupe, who and where, one unit of work, answers after commit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter
from telegram.ext import ContextTypes

from handlers import messenger
from handlers.render import keyboard, markup_to_json, render
from handlers.runtime import Runtime
from locales import DEFAULT_LOCALE
from storage.uow import SqlUnitOfWork
from workflow.context import Actor, Context
from workflow.errors import DomainError
from workflow.model import ButtonSpec, Chat, Person, Text

log = logging.getLogger(__name__)


@dataclass
class _Answer:
    text: str
    kind: str
    order: str | None
    markup: InlineKeyboardMarkup | None
    edit_message_id: int | None = None
    markup_only: bool = False
    document: tuple[str, bytes] | None = None  # filename, content


@dataclass
class Turn:
    """What a handler sees: the sender as an Actor, the chat, the locale, a service Context."""

    update: Update
    bot: Bot
    runtime: Runtime
    uow: SqlUnitOfWork
    ctx: Context
    actor: Actor
    chat: Chat
    locale: str
    answers: list[_Answer] = field(default_factory=list)

    @property
    def person(self) -> Person:
        return self.actor.person

    @property
    def is_private(self) -> bool:
        return self.chat.id > 0

    def t(self, key: str, **params: Any) -> str:
        return render(Text(key, params), self.locale)

    def reply(
        self,
        text: Text | str,
        *,
        kind: str = "reply",
        order: str | None = None,
        buttons: tuple[tuple[ButtonSpec, ...], ...] = (),
    ) -> None:
        """Queue an answer in this chat; it is sent once the transaction has committed."""
        body = render(text, self.locale) if isinstance(text, Text) else text
        self.answers.append(_Answer(body, kind, order, keyboard(buttons, self.locale)))

    def send_document(self, filename: str, content: bytes, caption: str, *,
                      order: str | None = None) -> None:
        self.answers.append(_Answer(caption, "reply", order, None, document=(filename, content)))

    def edit_pressed(
        self,
        text: str,
        *,
        kind: str = "reply",
        order: str | None = None,
        buttons: tuple[tuple[ButtonSpec, ...], ...] = (),
        markup_only: bool = False,
    ) -> None:
        """Replace the message whose button was pressed."""
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        self.edit(query.message.message_id, text, kind=kind, order=order, buttons=buttons,
                  markup_only=markup_only)

    def edit(
        self,
        message_id: int,
        text: str,
        *,
        kind: str = "reply",
        order: str | None = None,
        buttons: tuple[tuple[ButtonSpec, ...], ...] = (),
        markup_only: bool = False,
    ) -> None:
        """Replace one of the bot's messages in this chat once the transaction has committed."""
        self.answers.append(
            _Answer(text, kind, order, keyboard(buttons, self.locale), message_id, markup_only))

    async def deliver(self) -> None:
        chat_id = self.chat.id
        for index, answer in enumerate(self.answers):
            if answer.document is not None:
                await messenger.send_document(self.bot, self.runtime, chat_id, *answer.document,
                                              answer.text, kind=answer.kind, order=answer.order)
            elif answer.edit_message_id is None:
                try:
                    await messenger.send(self.bot, self.runtime, chat_id, answer.text,
                                         kind=answer.kind, order=answer.order,
                                         markup=answer.markup)
                except RetryAfter as flood:
                    await self._defer(self.answers[index:], flood)
                    return
            elif answer.markup_only:
                await messenger.edit_markup(self.bot, self.runtime, chat_id,
                                            answer.edit_message_id, answer.text,
                                            kind=answer.kind, order=answer.order,
                                            markup=answer.markup)
            else:
                await messenger.edit(self.bot, self.runtime, chat_id, answer.edit_message_id,
                                     answer.text, kind=answer.kind, order=answer.order,
                                     markup=answer.markup)


    async def _defer(self, answers: list[_Answer], flood: RetryAfter) -> None:
        """Past Telegram's flood limit: the replies wait in the outbox instead of being lost."""
        wait = flood.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        now = self.runtime.clock.now()
        async with SqlUnitOfWork(self.runtime.sessions) as uow:
            for answer in answers:
                if answer.edit_message_id is None and answer.document is None:
                    await uow.outbox.enqueue_rendered(
                        self.chat.id, answer.text, markup_to_json(answer.markup), answer.kind,
                        answer.order, now + timedelta(seconds=seconds), now)
            await uow.commit()


Handler = Callable[[Turn], Awaitable[None]]


def locale_for(chat: Chat, person: Person | None) -> str:
    """Groups speak the group's language; a private chat speaks its person's."""
    if chat.id > 0 and person is not None and person.locale:
        return person.locale
    return chat.locale or DEFAULT_LOCALE


def turn_handler(fn: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """Wrap a handler so it runs once per update, in one transaction, and never crashes the bot."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        runtime: Runtime = context.bot_data["runtime"]
        user, tg_chat = update.effective_user, update.effective_chat
        if user is None or tg_chat is None:
            log.warning("update %s has no sender or chat; ignored", update.update_id)
            return
        now = runtime.clock.now()
        async with SqlUnitOfWork(runtime.sessions) as uow:
            if not await uow.updates.first_time(update.update_id, now):
                log.info("update %s was already processed; dropped", update.update_id)
                return
            person = await uow.people.upsert(user.id, user.full_name, user.username)
            chat = await uow.chats.upsert(tg_chat.id, tg_chat.title or user.full_name)
            ctx = runtime.context(uow, now)
            turn = Turn(update, context.bot, runtime, uow, ctx,
                        Actor(person, person.id in runtime.admin_ids), chat,
                        locale_for(chat, person))
            try:
                await fn(turn)
                await uow.commit()
            except DomainError as refusal:
                await _keep_only_the_update_mark(uow, update.update_id, now)
                turn.answers.clear()
                turn.reply(refusal.text, kind="error")
            except Exception:
                log.exception("handler %s failed on update %s", fn.__name__, update.update_id)
                await _keep_only_the_update_mark(uow, update.update_id, now)
                turn.answers.clear()
                turn.reply(Text("error.internal"), kind="error")
        await _answer_callback(update, turn)
        try:
            await turn.deliver()
        except Exception:
            log.exception("could not deliver the answer to update %s", update.update_id)
        if uow.outbox.queued:
            runtime.wake_sender()

    return wrapper


async def _keep_only_the_update_mark(uow: SqlUnitOfWork, update_id: int, now: Any) -> None:
    """Undo the failed work but remember the update, so a redelivery doesn't fail again."""
    await uow.rollback()
    await uow.updates.first_time(update_id, now)
    await uow.commit()


async def _answer_callback(update: Update, turn: Turn) -> None:
    query = update.callback_query
    if query is None:
        return
    errors = [a.text for a in turn.answers if a.kind == "error"]
    try:
        await query.answer(errors[0][:200] if errors else None, show_alert=bool(errors))
    except Exception:
        log.warning("could not answer callback query %s", query.id, exc_info=True)

