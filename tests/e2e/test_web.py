"""The web pages against the real stack: /track and /web in chat, the pages over HTTP.

Security first: guessed, revoked, reused and expired tokens and links, one person's session
used for another's data, names with HTML in them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import escape as html_escape

import aiohttp
import pytest

from bot.simulate import Stack
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    STRANGER,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    populate,
)
from tests.e2e.test_lifecycle import NUMBER, in_planning
from web.server import SESSION_COOKIE, RateLimiter, start_web
from workflow.web import token_hash

LINK = re.compile(r"(https?://\S+/(?:t|login)/)(\S+)")


class Pages:
    """The pages served for a stack, and a client that keeps cookies like a browser."""

    def __init__(self, stack: Stack, address: str) -> None:
        self.stack = stack
        self.address = address

    def link(self, chat: int) -> str:
        """The last link the bot gave in `chat`."""
        for text in reversed(self.stack.texts(chat)):
            found = LINK.search(text)
            if found:
                return found[1] + found[2]
        raise AssertionError(f"no link in chat {chat}")

    def client(self, **headers: str) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(headers=headers,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def get(self, url: str, **headers: str) -> tuple[int, str]:
        async with self.client(**headers) as client, client.get(url) as response:
            return response.status, await response.text()

    async def login(self, client: aiohttp.ClientSession, person: int) -> None:
        await self.stack.say(person, person, "/web")
        async with client.get(self.link(person)) as response:
            assert response.status == 200 and str(response.url).endswith("/desk")


async def serve(stack: Stack, limiter: RateLimiter | None = None) -> AsyncIterator[Pages]:
    runner, address = await start_web(stack.gendan.runtime, "127.0.0.1", 0, limiter)
    stack.gendan.runtime.web_url = address
    try:
        yield Pages(stack, address)
    finally:
        await runner.cleanup()


@pytest.fixture
async def pages(stack: Stack) -> AsyncIterator[Pages]:
    async for served in serve(stack):
        yield served


async def audit_actions(stack: Stack, subject_type: str, subject_id: str) -> list[str]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e.action for e in await uow.audit.for_subject(subject_type, subject_id)]


# ---- the customer's tracking link ----------------------------------------------------------


async def test_a_tracking_link_shows_the_customer_the_order_and_nothing_internal(
        stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配开始 12-08\n包装 12-17")
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    url = pages.link(MARKET)
    assert "web.track_issued" in await audit_actions(stack, "order", NUMBER)
    # Only the hash is kept.
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32
    async with stack.gendan.runtime.unit_of_work() as uow:
        stored = await uow.web_tokens.by_hash(token_hash(token))
    assert stored is not None and stored.token_hash != token

    status, html = await pages.get(url)
    assert status == 200
    assert NUMBER in html and "GGD低压开关柜" in html and "2026-12-20" in html
    assert "生产中 0%" in html and "已下达生产" in html and "尚未发货" in html
    # No price (3.5万 each, 42万 quoted), no person's name, no other order, no audit.
    for secret in ("35000", "35,000", "420000", "420,000", "3.5", "李明", "王强", "华东电力",
                   "order.", "成套"):
        assert secret not in html, secret

    status, english = await pages.get(url + "?lang=en")
    assert status == 200 and "Agreed delivery date" in english and "In production" in english
    status, by_browser = await pages.get(url, **{"Accept-Language": "en-US,en;q=0.9"})
    assert "Agreed delivery date" in by_browser


async def test_wrong_and_revoked_tracking_links_are_a_plain_404(stack: Stack,
                                                                 pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    first = pages.link(MARKET)
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    second = pages.link(MARKET)
    assert first != second
    base = first.rsplit("/", 1)[0]
    for guess in (base + "/" + "A" * 32, base + "/x", base + "/" + "A" * 500,
                  first[:-1] + ("B" if first[-1] != "B" else "C")):
        status, html = await pages.get(guess)
        assert status == 404 and "链接有误" in html and NUMBER not in html

    await stack.say(MARKET, LIMING, f"/track {NUMBER} 撤销")
    assert "web.track_revoked" in await audit_actions(stack, "order", NUMBER)
    for url in (first, second):
        assert (await pages.get(url))[0] == 404
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    assert (await pages.get(pages.link(MARKET)))[0] == 200


async def test_a_tracking_link_expires_when_the_policy_says(database_url: str) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                     policy={"web": {"track_expiry": "1d"}}) as stack:
        populate(stack.emulator)
        async for served in serve(stack):
            await in_planning(stack)
            await stack.say(MARKET, LIMING, f"/track {NUMBER}")
            url = served.link(MARKET)
            assert (await served.get(url))[0] == 200
            await stack.advance(timedelta(days=1, minutes=1))
            assert (await served.get(url))[0] == 404


async def test_only_market_gives_tracking_links_and_bad_words_get_the_usage(
        stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/track {NUMBER}")
    assert not any("/t/" in text for text in stack.texts(MANUFACTURING))
    assert stack.heard(MANUFACTURING, "市场部")  # who may
    await stack.say(MARKET, LIMING, f"/track {NUMBER} 马上")
    assert stack.heard(MARKET, "看不懂「马上」") and stack.heard(MARKET, "用法：/track")
    assert "web.track_issued" not in await audit_actions(stack, "order", NUMBER)
    # No order named: his only open order is meant, as for every order command.
    await stack.say(MARKET, LIMING, "/track")
    assert stack.heard(MARKET, f"{NUMBER}") and stack.heard(MARKET, "/t/")
    assert (await audit_actions(stack, "order", NUMBER)).count("web.track_issued") == 1
    await stack.say(MARKET, ZHAOZONG, f"/cancel {NUMBER} 客户取消")
    assert (await stack.state())["orders"][0]["status"] == "cancelled"
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    assert stack.heard(MARKET, "不再提供跟踪链接")
    assert (await audit_actions(stack, "order", NUMBER)).count("web.track_issued") == 1


async def test_requests_are_rate_limited_per_address(stack: Stack) -> None:
    async for served in serve(stack, RateLimiter(per_minute=1, burst=3)):
        codes = [(await served.get(served.address + "/t/" + "A" * 32))[0] for _ in range(5)]
        assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]


# ---- the desk: one-time links, sessions, who sees what ----------------------------------------


async def test_a_login_link_works_once_and_opens_a_session_cookie(stack: Stack,
                                                                  pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(LIMING, LIMING, "/web")
    url = pages.link(LIMING)
    async with pages.client() as client:
        async with client.get(url, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/desk"
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        async with client.get(pages.address + "/desk") as response:
            html = await response.text()
            assert response.status == 200 and NUMBER in html and "华东电力" in html
    assert "web.login" in await audit_actions(stack, "person", str(LIMING))
    # The same link again, from anywhere: spent.
    status, html = await pages.get(url)
    assert status == 404 and "只能用一次" in html


async def test_a_login_link_expires_and_a_session_ends(stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(LIMING, LIMING, "/web")
    late = pages.link(LIMING)
    await stack.advance(timedelta(minutes=11))
    assert (await pages.get(late))[0] == 404

    async with pages.client() as client:
        await pages.login(client, LIMING)
        await stack.advance(timedelta(hours=12, minutes=1))
        async with client.get(pages.address + "/desk") as response:
            assert response.status == 401 and NUMBER not in await response.text()

    async with pages.client() as client:
        await pages.login(client, LIMING)
        async with client.post(pages.address + "/logout") as response:
            assert response.status == 200
        async with client.get(pages.address + "/desk") as response:
            assert response.status == 401


async def test_only_people_with_a_role_get_a_link_and_only_in_private(
        stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MARKET, LIMING, "/web")
    assert stack.heard(MARKET, "私聊") and not any("/login/" in t for t in stack.texts(MARKET))
    await stack.say(STRANGER, STRANGER, "/web")
    assert stack.heard(STRANGER, "部门角色")
    assert not any("/login/" in t for t in stack.texts(STRANGER))


async def test_a_session_reaches_only_what_its_person_may_see(stack: Stack,
                                                              pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配开始 12-08")
    async with pages.client() as tech:
        await pages.login(tech, ZHANGWEI)  # a member of tech only
        for queue, code in (("tech", 200), ("manufacturing", 403), ("market", 403)):
            async with tech.get(f"{pages.address}/desk/queue/{queue}") as response:
                assert response.status == code, queue
        async with tech.get(f"{pages.address}/desk/order/{NUMBER}") as response:
            record = await response.text()
        # Tasks, as /status shows them; no prices, no audit trail, as /export would.
        assert "装配开始" in record and "35,000" not in record and "操作记录" not in record
        # Another person's cookie value is not a key: only a session's own token is.
        async with tech.get(f"{pages.address}/desk",
                            cookies={SESSION_COOKIE: "A" * 32}) as response:
            assert response.status == 401
    async with pages.client() as gm:
        await pages.login(gm, ZHAOZONG)
        async with gm.get(f"{pages.address}/desk/queue/manufacturing") as response:
            assert response.status == 200 and "装配开始" in await response.text()
        async with gm.get(f"{pages.address}/desk/order/{NUMBER}") as response:
            record = await response.text()
        assert "35,000.00" in record and "操作记录" in record and "order.submit_plan" in record


async def test_a_role_taken_away_closes_the_desk_at_once(stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    async with pages.client() as client:
        await pages.login(client, ZHANGWEI)
        await stack.say(MARKET, ADMIN, "/unrole @zhangwei tech")
        async with client.get(pages.address + "/desk") as response:
            assert response.status == 401


async def test_the_desk_filters_searches_and_answers_bad_filters(stack: Stack,
                                                                 pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配开始 12-08")
    async with pages.client() as client:
        await pages.login(client, ZHAOZONG)
        for query, shown in (("department=manufacturing", True), ("department=finance", False),
                             ("stage=production", True), ("stage=quote", False),
                             ("customer=华东电力", True), ("customer=别家", False),
                             ("q=开关柜", True), ("q=电机", False)):
            async with client.get(f"{pages.address}/desk?{query}") as response:
                assert response.status == 200
                assert (NUMBER in await response.text()) is shown, query
        for query, word in (("department=sales", "部门"), ("stage=done", "阶段")):
            async with client.get(f"{pages.address}/desk?{query}") as response:
                html = await response.text()
                assert response.status == 400 and word in html and "请从" in html


async def test_html_in_names_is_escaped(stack: Stack, pages: Pages) -> None:
    await in_planning(stack)
    await stack.say(MARKET, LIMING, "/order 客户:<script>alert(1)</script> 产品:<b>柜</b> "
                                    "数量:2台 交期:12月30日")
    await stack.press(MARKET, LIMING, "确认")
    number = NUMBER[:-1] + "2"
    await stack.say(MARKET, LIMING, f"/track {number}")
    status, html = await pages.get(pages.link(MARKET))
    # The parser trims the outer brackets; what is left is shown as text, never as markup.
    assert status == 200 and "柜</b" not in html and "&gt;柜&lt;/b" in html
    async with pages.client() as client:
        await pages.login(client, ZHAOZONG)
        async with client.get(f"{pages.address}/desk") as response:
            desk = await response.text()
    [customer] = [o["customer"] for o in (await stack.state())["orders"] if o["number"] == number]
    assert "<" in customer and "<script" not in desk and html_escape(customer) in desk
