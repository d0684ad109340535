"""/report and /export through the real Application: the summary, the chart as a picture and
the workbook, opened and read back as a person's spreadsheet program and eyes would."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from PIL import Image

from bot.simulate import Stack
from handlers import report_files
from tests.conftest import SHANGHAI
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    WANGQIANG,
    ZHAOZONG,
)
from tests.e2e.test_lifecycle import NUMBER, in_planning


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def files(stack: Stack, chat: int, kind: str) -> list[bytes]:
    """What the bot sent to `chat` as photos or documents, oldest first."""
    return [stack.emulator.file_bytes(m.file_id) or b"" for m in stack.emulator.messages(chat)
            if m.kind == kind]


async def _late_assembly(stack: Stack) -> None:
    """An order in production whose assembly, due Wednesday 11-25, is finished on Thursday."""
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配完成 11-25")
    await stack.advance_to(at("2026-11-26T10:00"))
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")


async def test_the_general_manager_gets_a_summary_a_chart_and_a_workbook(stack: Stack) -> None:
    await _late_assembly(stack)
    await stack.say(ZHAOZONG, ZHAOZONG, "/report 本月")
    assert stack.heard(ZHAOZONG, "📊 订单评价 2026-11（2026-11-01 至 2026-11-30）")
    assert stack.heard(ZHAOZONG, "订单：收到 1，评审通过 1，不接 0，作废 0，合同生效 1")
    assert stack.heard(ZHAOZONG, "逾期 1（逾期时长中位 16.5 小时")  # 17:30 to 10:00 next day
    assert stack.heard(ZHAOZONG, "升级：共 1 次（第1级 1）")

    [png] = files(stack, ZHAOZONG, "photo")
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.format == "PNG"
        assert picture.width == 1200 and 400 < picture.height < 1200
        counts = {color: n for n, color in picture.convert("RGB").getcolors(1 << 24)}
        area = picture.width * picture.height
    # Ink on the page, and both panels' bars: the on-time green and the late red.
    assert area - counts[(255, 255, 255)] > area // 20
    assert counts[(0x2f, 0x85, 0x5a)] > 10_000 and counts[(0xc5, 0x30, 0x30)] > 10_000

    [xlsx] = files(stack, ZHAOZONG, "document")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["汇总", "订单", "任务", "升级"]
    orders = book["订单"]
    header = [c.value for c in orders[1]]
    assert header[:5] == ["订单号", "客户", "产品", "型号", "数量"]
    row = dict(zip(header, [c.value for c in orders[2]], strict=True))
    assert row["订单号"] == NUMBER and row["数量"] == 12 and row["业务员"] == "李明"
    assert isinstance(row["收到"], datetime) and row["收到"].date().isoformat() == "2026-11-24"
    assert row["原定交期"] == datetime(2026, 12, 20)
    assert orders.auto_filter.ref == "A1:V2" and orders.freeze_panes == "B2"
    tasks = book["任务"]
    header = [c.value for c in tasks[1]]
    late = [dict(zip(header, [c.value for c in r], strict=True)) for r in tasks.iter_rows(min_row=2)
            if r[1].value == "装配完成"]
    assert [(t["按时完成"], t["逾期（小时）"], t["截止"]) for t in late] == [
        ("否", 16.5, datetime(2026, 11, 25, 17, 30))]
    escalation = [c.value for c in book["升级"][2]]
    assert escalation[1:3] == [NUMBER, "装配完成"] and escalation[5] == 1
    summary = {r[0].value: r[1].value for r in book["汇总"].iter_rows(min_row=4, max_row=31)}
    assert summary["收到订单"] == 1 and summary["逾期"] == 1 and summary["升级次数"] == 1
    # The native Excel charts (openpyxl does not read charts back; the file holds them).
    charts = [n for n in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
              if n.startswith("xl/charts/chart")]
    assert len(charts) == 2


async def test_only_leaders_and_the_general_manager_are_given_the_evaluation(stack: Stack
                                                                               ) -> None:
    await _late_assembly(stack)
    await stack.say(MARKET, LIMING, "/report")
    assert stack.heard(MARKET, "⛔ 评价只发给各部门负责人和总经理")
    await stack.say(LIMING, LIMING, "/help")
    assert not stack.heard(LIMING, "/report")
    await stack.say(WANGQIANG, WANGQIANG, "/help")
    assert stack.heard(WANGQIANG, "/report [本月|上月|2026-11|12-01..12-15]")
    await stack.say(WANGQIANG, WANGQIANG, "/report 11-24..11-30")
    assert stack.heard(WANGQIANG, "订单评价 2026-11-24..2026-11-30")
    await stack.say(ADMIN, ADMIN, "/report 下周")
    assert stack.heard(ADMIN, "看不懂时段“下周”。可以写：本月、上月、2026-11")
    await stack.say(ADMIN, ADMIN, "/report 上月")
    assert stack.heard(ADMIN, "订单：收到 0，评审通过 0")


async def test_without_a_font_for_chinese_the_workbook_charts_stand_alone(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    latin_only = [f for f in report_files.FONTS if "dejavu" in str(f.path).lower()]
    assert latin_only and latin_only[0].path.is_file()
    monkeypatch.setattr(report_files, "FONTS", latin_only)
    await _late_assembly(stack)
    await stack.say(ZHAOZONG, ZHAOZONG, "/report")
    assert stack.heard(ZHAOZONG, "本机没有能显示中文的字体，图表图片未生成")
    assert files(stack, ZHAOZONG, "photo") == []
    [xlsx] = files(stack, ZHAOZONG, "document")
    assert "xl/charts/chart1.xml" in zipfile.ZipFile(io.BytesIO(xlsx)).namelist()
    # In English the same font draws every word of the chart.
    await stack.say(ZHAOZONG, ZHAOZONG, "/lang en")
    await stack.say(ZHAOZONG, ZHAOZONG, "/report this month")
    assert stack.heard(ZHAOZONG, "📊 Order evaluation 2026-11")
    assert not stack.heard(ZHAOZONG, "No font on this machine")
    [png] = files(stack, ZHAOZONG, "photo")
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.width == 1200
    book = openpyxl.load_workbook(io.BytesIO(files(stack, ZHAOZONG, "document")[-1]))
    assert book.sheetnames == ["Summary", "Orders", "Tasks", "Escalations"]


async def test_the_orders_of_a_period_are_exported_as_a_workbook(stack: Stack) -> None:
    await _late_assembly(stack)
    await stack.say(MARKET, LIMING, "/export 本月")
    assert stack.heard(MARKET, "📎 2026-11 收到的 1 个订单")
    book = openpyxl.load_workbook(io.BytesIO(files(stack, MARKET, "document")[-1]))
    assert book.sheetnames == ["订单", "任务", "更改通知单", "催促单"]
    order = dict(zip([c.value for c in book["订单"][1]], [c.value for c in book["订单"][2]],
                     strict=True))
    assert (order["订单号"], order["状态"], order["单价"], order["报价"], order["交期"]) == (
        NUMBER, "生产中", 35000, 420000, datetime(2026, 12, 20))
    kinds = [r[1] for r in book["任务"].iter_rows(min_row=2, values_only=True)]
    assert kinds[:3] == ["交货期评审", "交货期评审", "商务报价"] and "装配完成" in kinds
    await stack.say(MARKET, LIMING, "/export 上月")
    assert stack.heard(MARKET, "2026-10 没有收到订单")
    await stack.say(MARKET, LIMING, "/export 下周")
    assert stack.heard(MARKET, "用法：/export 订单号，或 /export 时段")
    await stack.say(MANUFACTURING, WANGQIANG, "/export 本月")
    assert stack.heard(MANUFACTURING, "需要市场部、总经理")
