"""One update's handling: dedupe, who and where, one unit of work, answers after commit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from handlers.answer_codes import encode
from handlers.render import keyboard, markup_to_json, render
from handlers.runtime import Runtime
from locales import DEFAULT_LOCALE
from workflow import delivery
from workflow.context import Actor, Context
from workflow.errors import AdminOnly, DomainError, Forbidden, TaskClosed
from workflow.model import Answer, ButtonAnswer, ButtonSpec, Chat, Person, Text, task_of_buttons
from workflow.ports import TakenElsewhere, UnitOfWork
from workflow.text import clean_name

ASK = "ask"  # the kind of an answer that is a question (the outbox forces the reply)

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """What a handler sees: the sender as an Actor, the chat, the locale, a service Context."""

    update: Update
    bot: Bot
    runtime: Runtime
    uow: UnitOfWork
    ctx: Context
    actor: Actor
    chat: Chat
    locale: str
    answers: list[Answer] = field(default_factory=list)
    # A pop-up for the person who pressed a button, and no one else (answerCallbackQuery).
    alert: str | None = None
    # The update is a reply to a question a button asked: refusals say what to reply instead.
    answering: bool = False

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
        """Answer in this chat; it is queued with the turn's work and sent once committed."""
        body = render(text, self.locale) if isinstance(text, Text) else text
        self.answers.append(Answer(self.chat.id, body, self._keys(buttons), kind, order,
                                   task_id=task_of_buttons(buttons)))

    def refuse(self, *texts: Text) -> None:
        """What was wrong and what to type instead, as one message: a refusal followed by a
        usage message reads as two mistakes."""
        self.reply("\n".join(render(text, self.locale) for text in texts), kind="error")

    def reply_privately(self, text: Text | str, *, order: str | None = None,
                        buttons: tuple[tuple[ButtonSpec, ...], ...] = ()) -> None:
        """Answer the person in their private chat (what others in this chat may not see)."""
        body = render(text, self.locale) if isinstance(text, Text) else text
        self.answers.append(Answer(self.person.id, body, self._keys(buttons), "reply", order,
                                   task_id=task_of_buttons(buttons)))

    def ask(self, text: Text, asked: ButtonAnswer, *, order: str | None = None) -> None:
        """A question the person answers by replying to it; `asked` (the button that asked)
        says what the reply is for when it comes."""
        self.answers.append(Answer(self.chat.id, render(text, self.locale), [], ASK, order,
                                   ask=encode(asked)))

    def send_document(self, filename: str, content: bytes, caption: str, *,
                      order: str | None = None, as_photo: bool = False) -> None:
        """A file in this chat (a picture is shown, not attached, with `as_photo`)."""
        self.answers.append(Answer(self.chat.id, caption, [], "reply", order,
                                   document_name=filename, document=content,
                                   as_photo=as_photo))

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
        self.answers.append(Answer(self.chat.id, text, self._keys(buttons), kind, order,
                                   edit_message_id=message_id, markup_only=markup_only,
                                   task_id=task_of_buttons(buttons)))

    def _keys(self, buttons: tuple[tuple[ButtonSpec, ...], ...]) -> list[list[dict[str, str]]]:
        return markup_to_json(keyboard(buttons, self.locale))


Handler = Callable[[Turn], Awaitable[None]]


def locale_for(chat: Chat, person: Person | None) -> str:
    """Groups speak the group's language; a private chat speaks its person's."""
    if chat.id > 0 and person is not None and person.locale:
        return person.locale
    return chat.locale or DEFAULT_LOCALE


def command_args(turn: Turn) -> str:
    text = turn.update.effective_message.text or ""
    return text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""


# A turn that fails outside its handler (a connection lost under it, a write that met another
# turn's) is taken again from the start: its transaction was rolled back, and a lost
# connection has taken the pool's others with it. One that fails every time stays in the
# inbox, and the intake tries it again later.
TURN_ATTEMPTS = 3


def turn_handler(fn: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """Wrap a handler so it runs once per update, in one transaction with its answers, and
    never crashes the bot. The answers are sent right after the commit; a crash before that
    leaves them in the outbox, which sends them after the restart."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        runtime: Runtime = context.bot_data["runtime"]
        if update.effective_user is None or update.effective_chat is None:
            log.warning("update %s has no sender or chat; ignored", update.update_id)
            return
        for attempt in range(1, TURN_ATTEMPTS + 1):
            try:
                taken = await _take_turn(fn, update, context, runtime)
                break
            except Exception as error:
                if attempt == TURN_ATTEMPTS:
                    runtime.unfinished[update.update_id] = error
                    raise
                log.warning("update %s: its turn failed outside the handler (try %d of %d); "
                            "taking it again", update.update_id, attempt, TURN_ATTEMPTS,
                            exc_info=True)
        # Marked handled with the turn's work, or found handled or taken by another process:
        # nothing for the intake to mark.
        runtime.handled.add(update.update_id)
        if isinstance(taken, TakenElsewhere):
            runtime.taken_elsewhere[update.update_id] = taken.until
        if taken is None or isinstance(taken, TakenElsewhere):
            return
        turn, rows, queued = taken
        await _answer_callback(update, turn)
        if runtime.deliver_now is not None:
            await runtime.deliver_now(rows)
        if queued:
            runtime.wake_sender()

    return wrapper


def names_of(update: Update) -> tuple[str, str]:
    """The sender's name and the chat's title as the bot keeps them (a private chat, which
    has no title, goes by the person's name)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    name = clean_name(user.full_name) or str(user.id)
    return name, clean_name(chat.title) or name


async def _take_turn(fn: Handler, update: Update, context: ContextTypes.DEFAULT_TYPE,
                     runtime: Runtime) -> tuple[Turn, list[Any], int] | TakenElsewhere | None:
    """One try at the update, in one unit of work: the turn, its answers' rows and how many
    rows it queued; None when it was handled before."""
    user, tg_chat = update.effective_user, update.effective_chat
    assert user is not None and tg_chat is not None
    now = runtime.clock.now()
    name, title = names_of(update)
    async with runtime.unit_of_work() as uow:
        started = await uow.turns.begin(update.update_id, now, user.id, name, user.username,
                                        tg_chat.id, title, runtime.taker, now + runtime.lease)
        if started is None:
            log.info("update %s was already handled; dropped", update.update_id)
            return None
        if isinstance(started, TakenElsewhere):
            log.info("update %s is being handled by another process", update.update_id)
            return started
        person, chat = started
        ctx = runtime.context(uow, now, person.id)
        wrote = update.message is not None or update.callback_query is not None
        if wrote and tg_chat.id == user.id and person.unreachable_since is not None:
            # Writing to the bot in private means it may write back now.
            await delivery.person_reachable(ctx, person.id)
            person.unreachable_since = None
        turn = Turn(update, context.bot, runtime, uow, ctx,
                    Actor(person, person.id in runtime.admin_ids), chat,
                    locale_for(chat, person))
        try:
            await fn(turn)
            await _say_who_heard_instead(turn)
        except DomainError as refusal:
            await _keep_only_the_update_mark(uow, update.update_id, now)
            turn.answers.clear()
            if update.callback_query is not None and isinstance(
                    refusal, Forbidden | AdminOnly | TaskClosed):
                # Somebody else's button, or one an old screen still shows: the
                # presser's mistake is not the group's business.
                turn.alert = render(refusal.text, turn.locale)
            else:
                turn.reply(refusal.text, kind="error")
        except Exception:
            log.exception("handler %s failed on update %s", fn.__name__, update.update_id)
            await _keep_only_the_update_mark(uow, update.update_id, now)
            turn.answers.clear()
            turn.reply(Text("error.internal"), kind="error")
        # Leased to this process while it sends them; past the lease another sender may.
        rows = await uow.outbox.add_answers(turn.answers, now, runtime.lease, person.id)
        await uow.commit()
    return turn, rows, uow.outbox.queued


async def _say_who_heard_instead(turn: Turn) -> None:
    """What the person just did had to reach a department with no group: they hear at once
    who was told in private instead (or that nobody could be)."""
    for role, people in turn.ctx.without_group.items():
        turn.reply(Text("delivery.without_group" if people else "delivery.without_anyone",
                        {"role": role, "people": await turn.ctx.names(people)}), kind="notice")


async def _keep_only_the_update_mark(uow: UnitOfWork, update_id: int, now: Any) -> None:
    """Undo the failed work but keep the update marked handled, so a redelivery doesn't fail
    again; the answer saying why is queued after it."""
    await uow.rollback()
    await uow.inbox.mark_handled(update_id, now)
    uow.outbox.queued = 0


async def _answer_callback(update: Update, turn: Turn) -> None:
    query = update.callback_query
    if query is None:
        return
    errors = [a.text for a in turn.answers if a.kind == "error"]
    alert = turn.alert or (errors[0] if errors else None)
    try:
        await query.answer(alert[:200] if alert else None, show_alert=alert is not None)
    except TelegramError as error:
        # Telegram down, slow, or the query too old: the press was handled and its answers
        # are in the outbox; only the spinner on the button is left to time out.
        log.warning("could not answer callback query %s: %s", query.id, error.message[:200])
    except Exception:
        log.warning("could not answer callback query %s", query.id, exc_info=True)
