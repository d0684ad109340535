"""The web pages in a real browser: Debian's headless Chromium, driven through its
chromedriver by selenium (no browser download). `.ci/run` installs both; a machine without
them skips these tests and says why.

With SCREENSHOTS_DIR set, the pages are also saved there as PNG (docs/img/ in the README)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, WANGQIANG, ZHAOZONG
from tests.e2e.test_lifecycle import NUMBER, in_planning
from tests.e2e.test_web import Pages, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# CI installs the browser, so there a missing one is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and not os.environ.get("CI"),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
           "chromium-driver; .ci/run installs them)")
PHONE = (390, 844)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--lang=zh-CN", f"--window-size={PHONE[0]},{PHONE[1]}"):
        options.add_argument(argument)
    # A Chinese phone's browser: the pages speak what it asks for.
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Browser:
    """The driver's blocking calls run in a thread, so the pages (served on this event loop)
    answer while it waits."""

    def __init__(self, driver: object) -> None:
        self.driver = driver

    async def open(self, url: str, size: tuple[int, int] = PHONE) -> str:
        def go() -> str:
            self.driver.set_window_size(*size)  # type: ignore[attr-defined]
            self.driver.get(url)  # type: ignore[attr-defined]
            return self.driver.find_element("tag name", "body").text  # type: ignore[attr-defined]
        return await asyncio.to_thread(go)

    async def script(self, code: str) -> object:
        return await asyncio.to_thread(self.driver.execute_script, code)  # type: ignore[attr-defined]

    async def click(self, css: str) -> str:
        """Click a link or a form's button and read the page it leads to: the old page's body
        goes stale first, so that a slow navigation is never read half-way."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.expected_conditions import staleness_of
        from selenium.webdriver.support.wait import WebDriverWait

        def go() -> str:
            driver: Any = self.driver
            before = driver.find_element("tag name", "body")
            driver.find_element("css selector", css).click()
            WebDriverWait(driver, 20).until(staleness_of(before))
            return str(WebDriverWait(driver, 20, ignored_exceptions=(
                StaleElementReferenceException,)).until(
                lambda d: d.find_element("tag name", "body").text))
        return await asyncio.to_thread(go)

    async def screenshot(self, name: str) -> None:
        folder = os.environ.get("SCREENSHOTS_DIR")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            path = str(Path(folder) / name)

            def shoot() -> None:
                height = self.driver.execute_script(  # type: ignore[attr-defined]
                    "return document.documentElement.scrollHeight")
                width = self.driver.get_window_size()["width"]  # type: ignore[attr-defined]
                self.driver.set_window_size(width, min(int(height) + 120, 2000))  # type: ignore[attr-defined]
                self.driver.save_screenshot(path)  # type: ignore[attr-defined]
            await asyncio.to_thread(shoot)


@pytest.fixture
async def chromium(browser: object) -> AsyncIterator[Browser]:
    await asyncio.to_thread(browser.delete_all_cookies)  # type: ignore[attr-defined]
    yield Browser(browser)


@pytest.fixture
async def pages(stack: Stack) -> AsyncIterator[Pages]:
    async for served in serve(stack):
        yield served


async def _in_production(stack: Stack) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER}\n采购 物资管理部 12-05 断路器 50个\n装配开始 12-08\n包装 12-17")


async def test_the_customer_reads_the_tracking_page_on_a_phone(
        stack: Stack, pages: Pages, chromium: Browser) -> None:
    await _in_production(stack)
    await stack.say(MARKET, LIMING, f"/track {NUMBER}")
    text = await chromium.open(pages.link(MARKET))
    assert f"订单 {NUMBER}" in text and "GGD低压开关柜" in text and "12 台" in text
    assert "生产中 0%" in text and "已评审" in text
    for hidden in ("35,000", "420,000", "3.5万", "42万", "李明", "华东电力"):
        assert hidden not in text
    # Readable on a phone: nothing wider than the screen, no script needed.
    assert await chromium.script(
        "return document.documentElement.scrollWidth <= window.innerWidth") is True
    assert await chromium.script("return document.scripts.length") == 0
    await chromium.screenshot("tracking.png")
    english = await chromium.click("a.lang")
    assert "Agreed delivery date" in english and "In production" in english


async def test_the_desk_in_a_browser_logs_in_once_and_keeps_departments_apart(
        stack: Stack, pages: Pages, chromium: Browser) -> None:
    await _in_production(stack)
    await stack.say(ZHAOZONG, ZHAOZONG, "/web")
    text = await chromium.open(pages.link(ZHAOZONG), (1280, 800))
    assert "在办订单" in text and NUMBER in text and "华东电力" in text and "共 1 单" in text
    await chromium.screenshot("desk.png")
    record = await chromium.click(f'a[href="/desk/order/{NUMBER}"]')
    assert "采购到货" in record and "操作记录" in record and "35,000.00" in record
    logged_out = await chromium.click("header form button")
    assert "已退出" in logged_out
    assert "请先登录" in await chromium.open(pages.address + "/desk")

    # A manufacturing leader: their own queue, not market's.
    await stack.say(WANGQIANG, WANGQIANG, "/web")
    await chromium.open(pages.link(WANGQIANG))
    own = await chromium.open(pages.address + "/desk/queue/manufacturing")
    assert "制造中心待办" in own and "装配开始" in own
    other = await chromium.open(pages.address + "/desk/queue/market")
    assert "无权查看" in other and NUMBER not in other
