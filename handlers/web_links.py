"""/track and /web: the links to the web pages (bot/web serves them)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from handlers.order_commands import order_command
from handlers.turn import Turn, turn_handler
from workflow import web
from workflow.context import local_time
from workflow.model import Order, Text

# What revokes a customer's links after the order number.
REVOKE_WORDS = ("撤销", "撤回", "作废", "revoke", "cancel")


def link(turn: Turn, path: str, token: str) -> str:
    return f"{turn.runtime.web_url.rstrip('/')}{path}{quote(token)}"


def _until(turn: Turn, expires: datetime | None) -> str:
    return local_time(expires, turn.ctx.tz) if expires else turn.t("web.until_revoked")


@order_command("usage.track")
async def cmd_track(turn: Turn, order: Order, rest: str) -> None:
    """A link the customer follows their order with: /track SO-…; /track SO-… 撤销 revokes
    every link given for it."""
    word = rest.strip().lower()
    if word in REVOKE_WORDS:
        count = await web.revoke_tracking_links(turn.ctx, turn.actor, order)
        turn.reply(Text("track.revoked", {"number": order.number, "count": count}),
                   order=order.number)
        return
    if word:
        turn.refuse(Text("track.unknown_word", {"word": rest.strip()}), Text("usage.track"))
        return
    issued = await web.issue_tracking_link(turn.ctx, turn.actor, order)
    turn.reply(Text("track.link", {"number": order.number, "url": link(turn, "/t/", issued.token),
                                   "until": _until(turn, issued.expires_at)}),
               order=order.number)


@turn_handler
async def cmd_web(turn: Turn) -> None:
    """A one-time link to the desk pages, given only in a private chat."""
    if not turn.is_private:
        turn.reply(Text("web.private_only"), kind="error")
        return
    issued = await web.issue_login_link(turn.ctx, turn.actor)
    turn.reply(Text("web.login_link", {"url": link(turn, "/login/", issued.token),
                                       "until": _until(turn, issued.expires_at)}))
