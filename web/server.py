"""The web pages over HTTP (aiohttp): the customer's tracking page and the read-only desk.

Served by the bot process (bot.runner) or alone by `gendan web`. Pages read through the
workflow's views; a wrong, revoked or expired token is a plain 404 either way, so a guess
learns nothing about which tokens exist."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from handlers.runtime import Runtime
from locales import DEFAULT_LOCALE, normalize_locale
from web import pages
from workflow import web as views
from workflow.context import Actor
from workflow.errors import Forbidden
from workflow.model import OrderStatus
from workflow.roles import Role

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "gendan_session"
RUNTIME = web.AppKey("runtime", Runtime)
LIMITER = web.AppKey("limiter", "RateLimiter")
HEADERS = {
    # Pages carry their token in the address: it must not leak to other sites.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass
class RateLimiter:
    """A token bucket per client address: `burst` requests at once, `per_minute` after."""

    # A factory's desks may share one address behind its router: room for a few people.
    per_minute: float = 120.0
    burst: float = 60.0
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, address: str) -> bool:
        now = self.clock()
        tokens, last = self.buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_minute / 60.0)
        if len(self.buckets) > 10_000:  # forget idle addresses rather than grow without end
            self.buckets.clear()
        if tokens < 1.0:
            self.buckets[address] = (tokens, now)
            return False
        self.buckets[address] = (tokens - 1.0, now)
        return True


def _client(request: web.Request) -> str:
    # Behind the reverse proxy of docs/operations.md every request comes from it; the proxy
    # passes the real address, and only a proxy on this machine is believed.
    peer = request.remote or "?"
    forwarded = request.headers.get("X-Real-IP")
    if forwarded and peer in ("127.0.0.1", "::1"):
        return forwarded.strip()
    return peer


def _words(request: web.Request, person_locale: str | None = None) -> pages.Words:
    runtime = request.app[RUNTIME]
    return pages.Words(_locale(request, person_locale), runtime.tz)


def _locale(request: web.Request, person_locale: str | None = None) -> str:
    chosen = normalize_locale(request.query.get("lang"))
    if chosen:
        return chosen
    if person_locale:
        return person_locale
    for part in request.headers.get("Accept-Language", "").split(","):
        found = normalize_locale(part.split(";")[0].strip())
        if found:
            return found
    return DEFAULT_LOCALE


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def not_found(request: web.Request) -> web.Response:
    return _html(pages.message_page(_words(request), "web.not_found.title",
                                    "web.not_found.body"), 404)


@web.middleware
async def guard(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> web.StreamResponse:
    """Rate limit, security headers, and a plain page for every error."""
    if not request.path.startswith("/static/") and not request.app[LIMITER].allow(
            _client(request)):
        response: web.StreamResponse = _html(pages.message_page(
            _words(request), "web.too_many_title", "web.too_many"), 429)
        response.headers["Retry-After"] = "60"
    else:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = not_found(request)
        except web.HTTPMethodNotAllowed:
            response = _html(pages.message_page(_words(request), "web.not_found.title",
                                                "web.not_found.body"), 405)
    response.headers.update(HEADERS)
    return response


async def track(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    async with runtime.unit_of_work() as uow:
        view = await views.tracking_view(uow, request.match_info["token"], runtime.clock.now())
    if view is None:
        return not_found(request)
    w = _words(request)
    return _html(pages.tracking_page(w, view, "?lang=" + ("en" if w.locale == "zh_CN" else "zh")))


async def login(request: web.Request) -> web.Response:
    """Spend the one-time link for a session cookie, then show the desk."""
    runtime = request.app[RUNTIME]
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        session = await views.open_session(runtime.context(uow, now),
                                           request.match_info["token"])
        await uow.commit()
    if session is None:
        return _html(pages.message_page(_words(request), "web.login_failed_title",
                                        "web.login_failed"), 404)
    response = web.HTTPSeeOther("/desk")
    max_age = int((session.expires_at - now).total_seconds()) if session.expires_at else None
    response.set_cookie(SESSION_COOKIE, session.token, max_age=max_age, httponly=True,
                        samesite="Lax", path="/", secure=request.secure)
    raise response


async def logout(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    async with runtime.unit_of_work() as uow:
        await views.close_session(runtime.context(uow, runtime.clock.now()),
                                  request.cookies.get(SESSION_COOKIE))
        await uow.commit()
    response = _html(pages.message_page(_words(request), "web.logged_out_title",
                                        "web.logged_out"))
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


DeskHandler = Callable[[web.Request, Actor, pages.Words], Awaitable[web.Response]]


def desk(handler: DeskHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A desk page: only with a live session, in the reader's language."""

    async def wrapped(request: web.Request) -> web.Response:
        runtime = request.app[RUNTIME]
        async with runtime.unit_of_work() as uow:
            actor = await views.session_actor(uow, request.cookies.get(SESSION_COOKIE),
                                              runtime.clock.now(), runtime.admin_ids)
        if actor is None:
            return _html(pages.message_page(_words(request), "web.login_needed_title",
                                            "web.login_needed"), 401)
        w = _words(request, actor.person.locale)
        try:
            return await handler(request, actor, w)
        except Forbidden:
            return _html(pages.message_page(w, "web.forbidden_title", "web.forbidden"), 403)

    return wrapped


def _bad_filter(w: pages.Words, name: str, value: str) -> web.Response:
    return _html(pages.message_page(w, "web.bad_filter_title", f"web.bad_filter.{name}",
                                    value=value), 400)


@desk
async def open_orders(request: web.Request, actor: Actor, w: pages.Words) -> web.Response:
    runtime = request.app[RUNTIME]
    query = request.query
    department = stage = None
    if query.get("department"):
        try:
            department = Role(query["department"])
        except ValueError:
            return _bad_filter(w, "department", query["department"])
    if query.get("stage"):
        try:
            stage = OrderStatus(query["stage"])
        except ValueError:
            return _bad_filter(w, "stage", query["stage"])
    search = (query.get("q") or "").strip()[:100] or None
    chosen = views.DeskFilter(department, query.get("customer") or None, stage, search)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        rows = await views.open_orders(uow, actor, now, now.astimezone(runtime.tz).date(),
                                       chosen)
        everyone = rows if chosen == views.DeskFilter() else [
            views.DeskRow(o, None, False) for o in await uow.desk.live_orders(None, None)]
        owners = {r.next_task.assignee_id for r in rows
                  if r.next_task and r.next_task.assignee_id}
        names = await uow.reports.names(sorted(o for o in owners if o is not None))
    customers = sorted({r.order.customer for r in everyone})
    return _html(pages.open_orders_page(w, actor, views.queues_of(actor), rows, chosen,
                                        customers, names))


@desk
async def order_record(request: web.Request, actor: Actor, w: pages.Words) -> web.Response:
    runtime = request.app[RUNTIME]
    async with runtime.unit_of_work() as uow:
        record = await views.order_record(uow, actor, request.match_info["number"].upper())
    if record is None:
        return not_found(request)
    return _html(pages.record_page(w, actor, views.queues_of(actor), record))


@desk
async def queue(request: web.Request, actor: Actor, w: pages.Words) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        role = Role(request.match_info["role"])
    except ValueError:
        return not_found(request)
    async with runtime.unit_of_work() as uow:
        owed = await views.department_queue(uow, actor, role)
    return _html(pages.queue_page(w, actor, views.queues_of(actor), role, owed,
                                  runtime.clock.now()))


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/desk")


def web_app(runtime: Runtime, limiter: RateLimiter | None = None) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app[RUNTIME] = runtime
    app[LIMITER] = limiter or RateLimiter()
    app.router.add_get("/", home)
    app.router.add_get("/t/{token}", track)
    app.router.add_get("/login/{token}", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/desk", open_orders)
    app.router.add_get("/desk/order/{number}", order_record)
    app.router.add_get("/desk/queue/{role}", queue)
    app.router.add_static("/static/", STATIC)
    return app


async def start_web(runtime: Runtime, host: str, port: int,
                    limiter: RateLimiter | None = None) -> tuple[web.AppRunner, str]:
    """Serve the pages; the runner (to clean up) and the address it listens on."""
    runner = web.AppRunner(web_app(runtime, limiter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[:2] if site._server else (host, port)  # type: ignore[union-attr]
    return runner, f"http://{bound[0]}:{bound[1]}"
