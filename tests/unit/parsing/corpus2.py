"""A second, larger labelled corpus, written for issue 13 before the parser was changed for it.

It is read with an EMPTY lexicon (as `gendan parse --no-db` does), so every customer and
product has to be found in the text itself.  Most messages are composed from parts (names,
products, models, quantities, prices, dates) through phrasing templates the way reps type
on phones: no punctuation, full-width digits, Chinese numerals, run-ons, date first, English.
The labels come from the parts, not from the parser.  A hand-written block covers what the
templates cannot (typos, voice input, odd layouts).

`MAIN` is what the parser was developed against; `DEV` uses templates and names that appear
nowhere in `MAIN` and is only measured at the end (see docs/parsing.md).  Every message is
dated N1 (Tuesday 2026-11-24 10:15 Asia/Shanghai) unless a case says otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .corpus import N1, N2, NR, Case, E, F, H, Q, R, S, X, _c

CANCEL = "cancel_request"


def C(text, target, now=N1):
    """A cancel request: never executed from a sentence, only passed on for confirmation."""
    return _c("change", text, CANCEL, now, target, None)


# --- parts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    product: str
    unit: str
    models: tuple[str, ...]
    prices: tuple[int, ...]  # yuan per unit


# Industry by industry; several products are longer phrases around a shorter dictionary word
# (新风机组 ⊃ 风机, 门式起重机 ⊃ 起重机), which must come back whole.
ITEMS_MAIN = [
    Item("高压开关柜", "面", ("KYN28A-12", "KYN61-40.5"), (65000, 72000)),
    Item("低压抽出式开关柜", "面", ("MNS", "GCS"), (26000, 31000)),
    Item("环网柜", "台", ("XGN15-12", "HXGN-12"), (42000, 56000)),
    Item("箱式变电站", "套", ("YB6-12/0.4-800", "ZGS11-1250/10"), (280000, 350000)),
    Item("三相异步电机", "台", ("Y2-280S-4", "YE3-200L-4"), (12000, 8600)),
    Item("高压电机", "台", ("YKK4004-4", "YKS5005-6"), (260000, 310000)),
    Item("变频器", "台", ("ACS510-01", "ATV630D55N4"), (9500, 23000)),
    Item("离心泵", "台", ("IS80-65-160", "IS100-80-125"), (4800, 6200)),
    Item("潜水排污泵", "台", ("WQ100-15-7.5", "WQ150-20-15"), (7800, 11500)),
    Item("多级离心泵", "台", ("D46-50×5", "D85-45×6"), (23000, 31000)),
    Item("闸阀", "台", ("Z41H-16C DN150", "Z45T-10 DN200"), (2300, 3100)),
    Item("蝶阀", "只", ("D371X-16 DN200", "D341X-10 DN300"), (1350, 2350)),
    Item("球阀", "个", ("Q947F-25 DN300", "Q41F-16P DN50"), (18500, 620)),
    Item("电力电缆", "米", ("YJV 4×185+1×95", "YJV22-8.7/15kV 3×240"), (520, 860)),
    Item("矿用电缆", "米", ("MYPTJ-8.7/10kV 3×95", "MYPTJ-6/10kV 3×70"), (410, 365)),
    Item("控制电缆", "米", ("KVVP 10×1.5", "KVV 7×2.5"), (18, 14)),
    Item("角钢", "吨", ("L50×5", "L63×6"), (4100, 4250)),
    Item("镀锌钢管", "吨", ("DN100", "DN65"), (5300, 5450)),
    Item("干式变压器", "台", ("SCB14-1250/10", "SCB13-800/10"), (185000, 132000)),
    Item("油浸式变压器", "台", ("S13-M-1000/10", "S11-M-630/10"), (136000, 98000)),
    Item("光伏组件", "块", ("LR5-72HPH-550M", "JKM560N-72HL4"), (850, 920)),
    Item("组串式逆变器", "台", ("SUN2000-100KTL", "SG110CX"), (23500, 21800)),
    Item("新风机组", "台", ("XFJ-3000", "XFJ-5000"), (16800, 23500)),
    Item("风机盘管", "台", ("FP-102", "FP-136"), (1250, 1480)),
    Item("冷却塔", "台", ("CDBNL3-150", "CDBNL3-200"), (38000, 46000)),
    Item("数控车床", "台", ("CK6150", "CK6140"), (168000, 126000)),
    Item("立式加工中心", "台", ("VMC850", "VMC1160"), (235000, 318000)),
    Item("门式起重机", "台", ("MH10t-20m", "MH16t-24m"), (128000, 166000)),
    Item("不锈钢水箱", "个", ("SUS304-12m³", "SUS304-18m³"), (23000, 31000)),
    Item("铝合金门窗", "樘", ("60系列", "70系列"), (1850, 2300)),
]
ITEMS_DEV = [
    Item("真空断路器", "台", ("VS1-12/1250", "ZN63A-12"), (8600, 9400)),
    Item("动力配电箱", "台", ("XL-21", "PZ30-24"), (3600, 1250)),
    Item("永磁同步电机", "台", ("TYCX-160M-4", "TYBZ-180L-6"), (15600, 18800)),
    Item("管道泵", "台", ("ISG65-160", "ISG80-200"), (3300, 4300)),
    Item("止回阀", "只", ("H44H-25 DN150", "H76X-16 DN250"), (2750, 3800)),
    Item("架空绝缘电缆", "米", ("JKLYJ-10 1×240", "JKLYJ-1 4×120"), (46, 38)),
    Item("H型钢", "吨", ("HW300×300", "HN400×200"), (4380, 4450)),
    Item("螺杆式冷水机组", "台", ("LSBLG-1000", "LSBLG-650"), (368000, 286000)),
    Item("卧式加工中心", "台", ("HMC630", "HMC800"), (960000, 1180000)),
    Item("光伏支架", "套", ("GD-2P-26", "GD-1P-14"), (3100, 2050)),
]

CUSTOMERS_MAIN = [
    "江苏华鹏变压器", "山东泰开电器", "浙江中控技术", "宁波三星医疗", "广州白云电器",
    "许继电气", "平高集团", "特变电工", "中天科技", "亨通光电", "远东电缆", "大全集团",
    "江苏神马电力", "常州天合", "浙江三花智控", "杭州制氧机集团", "南钢股份", "沙钢集团",
    "南京汽轮电机", "卧龙电驱", "大连重工", "徐工集团", "中联重科", "美的暖通", "盾安环境",
    "双良节能", "上海凯泉泵业", "南方泵业", "苏州纽威阀门", "江苏神通阀门", "沈阳机床",
    "秦川机床", "晶科能源", "阿特斯", "东方日升", "阳光电源", "中国一冶", "中铁十四局",
    "上海建工", "宝钢", "首钢京唐", "华新水泥阳新厂", "宁德时代", "隆基乐叶", "万华化学",
]
CUSTOMERS_DEV = [
    "山东电建三公司", "武汉锅炉", "湘电股份", "合肥通用机械", "上海良工阀门", "大连冰山集团",
    "济南二机床", "固德威", "鞍钢股份", "中建八局", "金风科技", "海亮股份",
]

# (text, expected ISO date) for a message sent at N1, Tuesday 2026-11-24.
DATES_MAIN = [
    ("12月15号", "2026-12-15"), ("12月20日", "2026-12-20"), ("下周五", "2026-12-04"),
    ("下下周一", "2026-12-07"), ("本周五", "2026-11-27"), ("月底", "2026-11-30"),
    ("下个月10号", "2026-12-10"), ("下月底", "2026-12-31"), ("12月中旬", "2026-12-20"),
    ("12月下旬", "2026-12-31"), ("年底", "2026-12-31"), ("明年1月中旬", "2027-01-20"),
    ("1月15号", "2027-01-15"), ("两周内", "2026-12-08"), ("一个月内", "2026-12-24"),
    ("元旦前", "2026-12-31"), ("春节前", "2027-02-05"), ("明天", "2026-11-25"),
    ("2027年1月8日", "2027-01-08"), ("十二月二十号", "2026-12-20"), ("下月中", "2026-12-15"),
    ("本月下旬", "2026-11-30"),
]
DATES_DEV = [
    ("12月18号", "2026-12-18"), ("下周三", "2026-12-02"), ("下下周五", "2026-12-11"),
    ("12月上旬", "2026-12-10"), ("20天内", "2026-12-14"), ("后天", "2026-11-26"),
    ("明年2月底", "2027-02-28"), ("五一前", "2027-04-30"),
]

QTY_MAIN = [
    ("30", 30), ("十五", 15), ("两百", 200), ("３０", 30), ("1200", 1200), ("一千二", 1200),
    ("8", 8), ("六", 6), ("45", 45), ("二十", 20), ("500", 500), ("12", 12), ("两千三百五", 2350),
]
QTY_DEV = [("16", 16), ("四十", 40), ("２４", 24), ("三百", 300), ("75", 75)]


def _price_text(value: int, rng: random.Random) -> str:
    """How a rep writes a price: 3.5万, 35000, 三万五, 九千五, 2.3w."""
    styles = ["plain"]
    if value >= 10000 and value % 1000 == 0:
        styles += ["wan", "wan"]
    if value % 100 == 0 and 1000 <= value < 100000 and (value // 100) % 10 == 0 or (
            1000 <= value < 10000 and value % 100 == 0):
        styles.append("cn")
    style = rng.choice(styles)
    if style == "wan":
        return f"{value / 10000:g}万"
    if style == "cn":
        return _cn_colloquial(value)
    return str(value)


_CN = "零一二三四五六七八九"


def _cn_colloquial(value: int) -> str:
    """9500 → 九千五, 35000 → 三万五, 4100 → 四千一, 2000 → 两千."""
    def digit(d: int) -> str:
        return "两" if d == 2 else _CN[d]
    if value >= 10000:
        head, rest = divmod(value, 10000)
        text = digit(head) + "万"
        if rest:
            text += _CN[rest // 1000]
        return text
    head, rest = divmod(value, 1000)
    text = digit(head) + "千"
    if rest:
        text += _CN[rest // 100]
    return text


# --- templates ------------------------------------------------------------------------------
# Slots: {c} customer, {p} product, {m} model, {q} quantity text, {u} unit, {d} date text,
# {pr} price text.  A template names the fields it states; the rest of the label is null.

FREE_MAIN = [
    ("{c}要{q}{u}{p}，型号{m}，单价{pr}，{d}交货", "cpmqdv"),
    ("{c}订{q}{u}{m}{p} {d}前要", "cpmqd"),
    ("帮我下个单 {c} {p} {m} {q}{u} {pr}一{u} {d}交", "cpmqdv"),
    ("{d}给{c}送{q}{u}{p}，价格{pr}一{u}", "cpqdv"),
    ("{c}那边定了{q}{u}{p}型号{m}交期{d}", "cpmqd"),
    ("刚接到{c}的单子 {p}{q}{u} {d}交货 单价{pr}", "cpqdv"),
    ("{c}采购{p}{m}共{q}{u}，{d}到货", "cpmqd"),
    ("客户{c}，{p}{q}{u}，{m}，{d}前发货", "cpmqd"),
    ("{c} {p}{m} {q}{u} {d}", "cpmqd"),
    ("今天{c}下单了 {p} {q}{u} 型号{m} {pr}一{u} {d}交", "cpmqdv"),
    ("{c}需要{p}{q}{u}，规格{m}，要求{d}前到现场", "cpmqd"),
    ("那个{c}刚打电话说要{q}{u}{p}就是{m}那个型号然后{d}之前要到", "cpmqd"),
    ("{c}的{p}{q}{u}，每{u}{pr}，{d}", "cpqdv"),
    ("下单：{c}/{p}/{m}/{q}{u}/{d}", "cpmqd"),
    ("{c}订购{q}{u}{p}（{m}），单价{pr}，交货期{d}", "cpmqdv"),
    ("{c}{m}{q}{u}{d}交", "cmqd"),
    ("{c}又来单了{p}{q}{u}{d}要", "cpqd"),
]
FREE_DEV = [
    ("跟{c}签了，{p}{m}一共{q}{u}，{pr}一{u}，{d}前送到", "cpmqdv"),
    ("{c}下了{p}的单 数量{q}{u} 型号{m} 交货{d}", "cpmqd"),
    ("{d}之前{c}要{q}{u}{p}", "cpqd"),
    ("{c}定{p}{q}{u}，{m}，{d}发", "cpmqd"),
]

STRUCT_MAIN = [
    ("/order 客户:{c} 产品:{p} 型号:{m} 数量:{q}{u} 单价:{pr} 交期:{d}", "cpmqdv"),
    ("/order 客户：{c} 产品：{p} 数量：{q}{u} 交期：{d}", "cpqd"),
    ("/order 客户={c}，产品={p}，规格={m}，数量={q}{u}，交货期={d}", "cpmqd"),
    ("/order 客户 {c} 产品 {p} 型号 {m} 数量 {q}{u} 交期 {d}", "cpmqd"),
    ("/order 客户:{c}；产品:{p}；数量:{q}{u}；单价:{pr}元；交期:{d}", "cpqdv"),
]
STRUCT_DEV = [
    ("/order 甲方:{c} 品名:{p} 规格型号:{m} 订货数量:{q}{u} 价格:{pr} 交货日期:{d}", "cpmqdv"),
]

FORM_MAIN = [
    ("客户名称：{c}\n产品名称：{p}\n规格型号：{m}\n数量：{q}{u}\n单价：{pr}\n交货日期：{d}", "cpmqdv"),
    ("订货日期：2026-11-20\n客户：{c}\n产品：{p}\n型号：{m}\n数量：{q}{u}\n交期：{d}", "cpmqd"),
    ("【新订单】\n客户：{c}\n产品：{p}\n数量：{q}{u}\n单价：{pr}\n要求交期：{d}", "cpqdv"),
    ("签约日期：2026.11.23\n需方：{c}\n货物名称：{p}\n规格：{m}\n数量：{q}{u}\n交货期：{d}", "cpmqd"),
    ("客户：{c}\n产品：{p}\n型号：{m}\n数量：{q}{u}\n交期：{d}\n备注：整套供货", "cpmqd+set"),
    ("1.客户:{c}\n2.产品:{p}\n3.规格:{m}\n4.数量:{q}{u}\n5.单价:{pr}\n6.交期:{d}", "cpmqdv"),
    ("客户 {c}\n产品 {p}\n数量 {q}{u}\n交期 {d}", "cpqd"),
]
FORM_DEV = [
    ("订单\n购货单位：{c}\n货品：{p}\n型号规格：{m}\n订购数量：{q}{u}\n含税单价：{pr}\n交付日期：{d}", "cpmqdv"),
]


def _fill(template: str, slots: str, c: str, item: Item, model: str, qty: tuple[str, int],
          date_: tuple[str, str], price_text: str, price: int):
    flags = slots.split("+")
    present = flags[0]
    text = template.format(c=c, p=item.product, m=model, q=qty[0], u=item.unit, d=date_[0],
                           pr=price_text)
    # "CDBNL3-200" right before "8台" would read as one code; a rep types a space there.
    if model[-1].isalnum() and qty[0][0] in "0123456789０１２３４５６７８９":
        text = text.replace(f"{model}{qty[0]}", f"{model} {qty[0]}")
    # "元旦前" or "两周内" in a "{d}前要" template: nobody types 前 twice.
    for doubled, single in (("前之前", "前"), ("前前", "前"), ("内之前", "内"), ("内前", "内")):
        text = text.replace(doubled, single)
    fields: dict = {}
    if "c" in present:
        fields["customer"] = c
    if "p" in present:
        fields["product"] = item.product
    if "m" in present:
        fields["model"] = model
    if "q" in present:
        fields["quantity"] = qty[1]
        fields["unit"] = item.unit
    if "d" in present:
        fields["due_date"] = date_[1]
    if "v" in present:
        fields["unit_price"] = price
    if "set" in flags:
        fields["complete_set"] = True
        fields["notes"] = "整套供货"
    return text, fields


def _compose(rng: random.Random, templates, items, customers, dates, qtys, maker, count: int):
    out = []
    for i in range(count):
        template, slots = templates[i % len(templates)]
        item = rng.choice(items)
        model = rng.choice(item.models)
        price = rng.choice(item.prices)
        text, fields = _fill(template, slots, rng.choice(customers), item, model,
                             rng.choice(qtys), rng.choice(dates), _price_text(price, rng), price)
        out.append(maker(text, **fields))
    return out


# --- changes, cancels, questions, chatter from parts ----------------------------------------

def _changes(rng: random.Random, items, customers, dates, count: int) -> list[Case]:
    out: list[Case] = []
    for i in range(count):
        c, item = rng.choice(customers), rng.choice(items)
        d = rng.choice(dates)
        order_no = f"SO-202611{rng.randint(10, 23)}-{rng.randint(1, 40):03d}"
        n = rng.choice((5, 10, 20, 30))
        shape = i % 10
        if shape == 0:
            out.append(X(f"{c}那个单改到{d[0]}交", {"customer": c}, due_date=d[1]))
        elif shape == 1:
            out.append(X(f"{c}的{item.product}再加{n}{item.unit}",
                         {"customer": c, "product": item.product}))
        elif shape == 2:
            out.append(X(f"{c}的{item.product}推迟两周", {"customer": c, "product": item.product}))
        elif shape == 3:
            out.append(C(f"{order_no} 这单作废", {"order_no": order_no}))
        elif shape == 4:
            out.append(X(f"{order_no} 数量改成{n}{item.unit}，交期不变", {"order_no": order_no},
                         quantity=n, unit=item.unit))
        elif shape == 5:
            price = rng.choice(item.prices)
            out.append(X(f"{c}那单{item.product}单价调到{price}", {"customer": c, "product": item.product},
                         unit_price=price))
        elif shape == 6:
            model = rng.choice(item.models)
            out.append(X(f"{order_no} 型号换成{model}", {"order_no": order_no}, model=model))
        elif shape == 7:
            out.append(X(f"{c}那单{item.product}交期提前到{d[0]}", {"customer": c, "product": item.product},
                         due_date=d[1]))
        elif shape == 8:
            out.append(C(f"{c}{item.product}那单不要了，客户取消了", {"customer": c, "product": item.product}))
        else:
            out.append(X(f"{order_no}交期改{d[0]}，数量不变", {"order_no": order_no}, due_date=d[1]))
    return out


def _queries(rng: random.Random, items, customers, count: int) -> list[Case]:
    out: list[Case] = []
    for i in range(count):
        c, item = rng.choice(customers), rng.choice(items)
        order_no = f"SO-202611{rng.randint(10, 23)}-{rng.randint(1, 40):03d}"
        shape = i % 6
        if shape == 0:
            out.append(Q(f"{c}那批{item.product}到哪了", {"customer": c, "product": item.product}))
        elif shape == 1:
            out.append(Q(f"{c}的{item.product}发货没", {"customer": c, "product": item.product}))
        elif shape == 2:
            out.append(Q(f"{order_no} 现在什么进度", {"order_no": order_no}))
        elif shape == 3:
            out.append(Q(f"{c}{item.product}那单什么时候能出厂？", {"customer": c, "product": item.product}))
        elif shape == 4:
            out.append(Q(f"问下{order_no}排产了没有", {"order_no": order_no}))
        else:
            out.append(Q(f"{c}的单子做到哪一步了", {"customer": c}))
    return out


CHATTER_MAIN = [
    "{p}的报价单发我一份，{c}想问问{n}{u}多少钱",
    "{c}问{p}{n}{u}能不能便宜点",
    "{c}问{p}{n}{u}最快什么时候能交",
    "明天下午开会讨论{c}的{p}项目",
    "{p}{m}还有库存吗？{c}可能要{n}{u}",
    "{c}的{p}上个月发了{n}{u}，客户反馈不错",
    "{c}那个项目可能要{n}{u}{p}，还在谈",
    "谁手上有{c}采购的联系方式",
    "{c}{p}的图纸发群里了，技术部看一下",
    "{c}付了{p}的预付款",
    "今年{p}一共卖了{n}{u}",
    "{c}说{p}{n}{u}的合同下周签",
    "{c}想要{p}的样本和报价，{n}{u}左右，帮忙准备下",
    "{p}{n}{u}的价格帮我核一下，{c}在等回复",
]
CHATTER_DEV = [
    "{c}在比价，{p}{n}{u}别家报得比我们低",
    "下周{c}来厂里看{p}的出厂试验",
    "{p}涨价通知发给{c}了没",
]


def _chatter(rng: random.Random, templates, items, customers, count: int) -> list[Case]:
    out = []
    for i in range(count):
        item = rng.choice(items)
        text = templates[i % len(templates)].format(
            c=rng.choice(customers), p=item.product, m=rng.choice(item.models),
            n=rng.choice((10, 20, 50, 100, 30)), u=item.unit)
        out.append(H(text))
    return out


# --- English ---------------------------------------------------------------------------------

EN_CUSTOMERS_MAIN = ["Delta Motors", "Pacific Valve Co", "Redwood Solar", "Kestrel HVAC",
                     "Orion Steel", "Blue Ridge Pumps", "Harbor Cable Ltd", "Atlas Switchgear"]
EN_CUSTOMERS_DEV = ["Summit Transformers", "Apex Machine Tools", "Granite Power"]
EN_ITEMS_MAIN = [("gearboxes", "K87", 1450), ("induction motors", "Y2-280S-4", 12000),
                 ("centrifugal pumps", "IS80-65-160", 4800), ("gate valves", "Z41H-16C", 2300),
                 ("solar panels", "LR5-72HPH-550M", 850), ("air handling units", "ZK-20", 46000),
                 ("CNC lathes", "CK6150", 168000), ("ring main units", "XGN15-12", 42000)]
EN_ITEMS_DEV = [("inverters", "SUN2000-100KTL", 23500), ("cooling towers", "CDBNL3-150", 38000),
                ("dry-type transformers", "SCB14-1250/10", 185000)]
EN_DATES_MAIN = [("Dec 15", "2026-12-15"), ("Jan 15", "2027-01-15"), ("next Friday", "2026-12-04"),
                 ("end of month", "2026-11-30"), ("December 20", "2026-12-20"),
                 ("Dec 28, 2026", "2026-12-28"), ("tomorrow", "2026-11-25")]
EN_DATES_DEV = [("Jan 8", "2027-01-08"), ("next Wednesday", "2026-12-02"), ("20 Dec", "2026-12-20")]

EN_MAIN = [
    ("{c} wants {n} {p}, model {m}, ${pr} each, by {d}", "cpmqdv$"),
    ("New order from {c}: {n} {p}, model {m}, delivery {d}", "cpmqd"),
    ("{c} ordered {n} {p} ({m}) at {pr} per unit, due {d}", "cpmqdv"),
    ("Please book {n} {p} for {c}, model {m}, deliver by {d}", "cpmqd"),
    ("{c} needs {n} {p} before {d}, {pr} each", "cpqdv"),
    ("order {c} {n} {p} {m} due {d}", "cpmqd"),
]
EN_DEV = [
    ("Got a PO from {c} for {n} {p}, type {m}, {pr} per unit, ship by {d}", "cpmqdv"),
    ("{c} would like {n} {p} ({m}) delivered {d}", "cpmqd"),
]


def _english(rng: random.Random, templates, customers, items, dates, count: int) -> list[Case]:
    out = []
    for i in range(count):
        template, slots = templates[i % len(templates)]
        c, (p, m, pr), d = rng.choice(customers), rng.choice(items), rng.choice(dates)
        n = rng.choice((4, 12, 20, 50, 200))
        pr_text = f"{pr:,}" if "$" in slots else str(pr)
        text = template.format(c=c, n=n, p=p, m=m, pr=pr_text, d=d[0])
        fields: dict = {"customer": c, "product": p, "quantity": n, "due_date": d[1]}
        if "m" in slots:
            fields["model"] = m
        if "v" in slots:
            fields["unit_price"] = pr
        out.append(E(text, **fields))
    return out


EN_OTHER_MAIN = [
    H("Can you send me the price list for 50 motors?"),
    H("Meeting at 3pm tomorrow about the Delta Motors project"),
    H("Did Orion Steel pay the deposit yet?"),
    H("How much would 20 gate valves cost us?"),
    H("Kestrel HVAC might need 40 air handling units next year, still negotiating"),
    H("thanks, got it"),
    E("Please push SO-20261120-012 delivery to Dec 30", intent="change",
      target={"order_no": "SO-20261120-012"}, due_date="2026-12-30"),
    E("Delta Motors order: change quantity to 25", intent="change",
      target={"customer": "Delta Motors"}, quantity=25),
    E("Cancel order SO-20261118-007", intent=CANCEL, target={"order_no": "SO-20261118-007"}),
    E("where is order SO-20261115-009?", intent="query", target={"order_no": "SO-20261115-009"}),
    E("/order customer: Redwood Solar product: solar panels model: LR5-72HPH-550M qty: 2000 pcs due: Jan 15",
      customer="Redwood Solar", product="solar panels", model="LR5-72HPH-550M", quantity=2000,
      unit="个", due_date="2027-01-15"),
    E("Customer: Orion Steel\nProduct: steel angles\nSpec: L50x5\nQuantity: 30 tons\nPrice: 4100\nDelivery: Dec 10",
      customer="Orion Steel", product="steel angles", model="L50x5", quantity=30, unit="吨",
      unit_price=4100, due_date="2026-12-10"),
]
EN_OTHER_DEV = [
    H("who is visiting Granite Power on Friday?"),
    E("Granite Power needs 6 dry-type transformers SCB14-1250/10 by Jan 8",
      customer="Granite Power", product="dry-type transformers", model="SCB14-1250/10",
      quantity=6, due_date="2027-01-08"),
]


# --- hand-written: what composition cannot produce -------------------------------------------

HAND_MAIN: list[Case] = [
    # Chinese numeral glued to a model, units outside the old list, date first.
    R("常州天合要变频器ACS580-01二十台，月底前交", customer="常州天合", product="变频器",
      model="ACS580-01", quantity=20, unit="台", due_date="2026-11-30"),
    R("明天给沙钢集团送25吨槽钢，价格4250一吨", customer="沙钢集团", product="槽钢", quantity=25,
      unit="吨", unit_price=4250, due_date="2026-11-25"),
    R("阿特斯订光伏组件3000块 JKM560N-72HL4 12月20号前到", customer="阿特斯", product="光伏组件",
      model="JKM560N-72HL4", quantity=3000, unit="块", due_date="2026-12-20"),
    R("中国一冶要钢屋架12榀，下月底交", customer="中国一冶", product="钢屋架", quantity=12,
      unit="榀", due_date="2026-12-31"),
    R("上海建工订防火卷帘门40樘，年底前装完", customer="上海建工", product="防火卷帘门",
      quantity=40, unit="樘", due_date="2026-12-31"),
    R("远东电缆要控制电缆20卷 KVVP 10×1.5 下周五", customer="远东电缆", product="控制电缆",
      model="KVVP 10×1.5", quantity=20, unit="卷", due_date="2026-12-04"),
    R("宝钢订焊管300根，DN80，12月15号交", customer="宝钢", product="焊管", model="DN80",
      quantity=300, unit="根", due_date="2026-12-15"),
    # Numbers said the long way, and corrections inside the message.
    R("杭州制氧机集团要6台离心泵 九千五一台 12月底交", customer="杭州制氧机集团", product="离心泵",
      quantity=6, unit="台", unit_price=9500, due_date="2026-12-31"),
    R("美的暖通风机盘管不是6台是16台，FP-102，下周五前", customer="美的暖通", product="风机盘管",
      model="FP-102", quantity=16, unit="台", due_date="2026-12-04"),
    R("双良节能冷却塔两千三百五一台 要4台 1月15号", customer="双良节能", product="冷却塔",
      quantity=4, unit="台", unit_price=2350, due_date="2027-01-15"),
    R("盾安环境大概要二三十台新风机组，12月中旬", customer="盾安环境", product="新风机组",
      due_date="2026-12-20"),
    R("卧龙电驱要约50台变频器，下月初", customer="卧龙电驱", product="变频器", due_date="2026-12-10"),
    # Customer boundaries: a verb or particle glued on, a site after the company.
    R("杭州老板电器要风机盘管80台，12月20号交", customer="杭州老板电器", product="风机盘管",
      quantity=80, unit="台", due_date="2026-12-20"),
    R("华新水泥阳新厂订离心泵4台IS100-80-125 月底要", customer="华新水泥阳新厂", product="离心泵",
      model="IS100-80-125", quantity=4, unit="台", due_date="2026-11-30"),
    R("万华化学的蝶阀 D371X-16 DN200 要30只 下周五", customer="万华化学", product="蝶阀",
      model="D371X-16 DN200", quantity=30, unit="只", due_date="2026-12-04"),
    # A building, hall or line is where it goes, not a model.
    R("中铁十四局5号线要环网柜8台，XGN15-12，12月中旬", customer="中铁十四局", product="环网柜",
      model="XGN15-12", quantity=8, unit="台", due_date="2026-12-20"),
    R("宁德时代B2车间要干式变压器2台，下下周一前", customer="宁德时代", product="干式变压器",
      quantity=2, unit="台", due_date="2026-12-07"),
    # Phone typing: no punctuation, full-width, voice run-ons, typos.
    R("江苏神马电力要１２面高压开关柜ＫＹＮ２８Ａ－１２下周五前", customer="江苏神马电力",
      product="高压开关柜", model="KYN28A-12", quantity=12, unit="面", due_date="2026-12-04"),
    R("嗯那个特变电工呢要那个干式变压器两台然后型号是SCB14-1250/10然后下个月十号之前要",
      customer="特变电工", product="干式变压器", model="SCB14-1250/10", quantity=2, unit="台",
      due_date="2026-12-10"),
    R("许继电气 开关柜 20面 12月20", customer="许继电气", product="开关柜", quantity=20, unit="面",
      due_date="2026-12-20"),
    R("平高集团订GIS设备3套，ZF12-126，明年3月底，成套供货", customer="平高集团", product="GIS设备",
      model="ZF12-126", quantity=3, unit="套", due_date="2027-03-31", complete_set=True),
    R("晶科能源组串式逆变器SG110CX 50台 每台2.18万 元旦前", customer="晶科能源",
      product="组串式逆变器", model="SG110CX", quantity=50, unit="台", unit_price=21800,
      due_date="2026-12-31"),
    R("沈阳机床要立式加工中心VMC850两台加急，下周五前必须到，晚了扣款", customer="沈阳机床",
      product="立式加工中心", model="VMC850", quantity=2, unit="台", due_date="2026-12-04",
      order_class=NR, reasons=["urgent_penalty"]),
    R("大连重工门式起重机1台MH10t-20m非标设计，春节前", customer="大连重工", product="门式起重机",
      model="MH10t-20m", quantity=1, unit="台", due_date="2027-02-05", order_class=NR,
      reasons=["custom_design"]),
    R("首钢京唐订球阀 Q947F-25 DN300 共6台，单价1.85万，12月25号", customer="首钢京唐",
      product="球阀", model="Q947F-25 DN300", quantity=6, unit="台", unit_price=18500,
      due_date="2026-12-25"),
    R("亨通光电要YJV 4×185+1×95电力电缆800米，520一米，12月18号交", customer="亨通光电",
      product="电力电缆", model="YJV 4×185+1×95", quantity=800, unit="米", unit_price=520,
      due_date="2026-12-18"),
    R("中天科技矿用电缆MYPTJ-8.7/10kV 3×95要1500米，下月中", customer="中天科技",
      product="矿用电缆", model="MYPTJ-8.7/10kV 3×95", quantity=1500, unit="米",
      due_date="2026-12-15"),
    # Forms with units and scales in the keys, dates that are not the due date.
    F("订货日期：2026年11月23日\n客户名称：江苏华鹏变压器\n产品名称：油浸式变压器\n型号：S13-M-1000/10\n数量(台)：3\n单价（万）：13.6\n金额(元)：408000\n交货期：2027年1月10日",
      customer="江苏华鹏变压器", product="油浸式变压器", model="S13-M-1000/10", quantity=3,
      unit="台", unit_price=136000, amount=408000, due_date="2027-01-10"),
    F("签约日期：11月22日\n客户：浙江三花智控\n产品：新风机组\n数量(套)：4\n单价(元)：23500\n交货：12月30日前\n备注：整套供货，含安装",
      customer="浙江三花智控", product="新风机组", quantity=4, unit="套", unit_price=23500,
      due_date="2026-12-30", complete_set=True, notes="整套供货，含安装"),
    F("📋新订单\n客户：⭐广州白云电器⭐\n产品：🔧低压抽出式开关柜\n数量：15面\n交期：12月20日",
      customer="广州白云电器", product="低压抽出式开关柜", quantity=15, unit="面",
      due_date="2026-12-20"),
    F("供方：本公司\n需方：苏州纽威阀门\n货物名称：闸阀\n规格型号：Z41H-16C DN150\n数量：40台\n交货日期：2026-12-28",
      customer="苏州纽威阀门", product="闸阀", model="Z41H-16C DN150", quantity=40, unit="台",
      due_date="2026-12-28"),
    S("/order 客户:上海凯泉泵业 产品:潜水排污泵 型号:WQ100-15-7.5 数量:10台 单价:7800 交期:下下周一",
      customer="上海凯泉泵业", product="潜水排污泵", model="WQ100-15-7.5", quantity=10, unit="台",
      unit_price=7800, due_date="2026-12-07"),
    S("/order 客户:亨通光电 产品:电力电缆 型号:YJV22-8.7/15kV 3×240 数量:2000米 交期:12月底",
      customer="亨通光电", product="电力电缆", model="YJV22-8.7/15kV 3×240", quantity=2000,
      unit="米", due_date="2026-12-31"),
    # Changes said loosely.
    X("东方日升那个单交期不变，数量改成600块", {"customer": "东方日升"}, quantity=600, unit="块"),
    X("阳光电源的逆变器数量不是30台是35台", {"customer": "阳光电源", "product": "逆变器"},
      quantity=35, unit="台"),
    C("SO-20261119-021 客户说这单作废，麻烦确认", {"order_no": "SO-20261119-021"}),
    C("取消SO-20261118-004这个订单", {"order_no": "SO-20261118-004"}),
    X("SO-20261120-007 取消成套，只要主机", {"order_no": "SO-20261120-007"}, complete_set=False),
    # Chatter that looks like an order.
    H("把变频器的报价表发我，客户想看看40台的价"),
    H("30台电机什么价？客户在问"),
    H("下午三点会议室讨论宝钢200吨角钢的事"),
    Q("特变电工的干式变压器发货了吗", {"customer": "特变电工", "product": "干式变压器"}),
    H("货到了吗"),
    H("今天谁去宝钢送货？"),
    H("客户说要12台，我先问问技术能不能做"),
    H("报价：离心泵IS80-65-160 4800一台，有效期到月底"),
    H("你好，请问你们的开关柜最小起订量是多少"),
]
HAND_DEV: list[Case] = [
    R("合肥通用机械要不锈钢储罐6个，下月20号前交，单价4.6万", customer="合肥通用机械",
      product="不锈钢储罐", quantity=6, unit="个", unit_price=46000, due_date="2026-12-20"),
    R("湘电股份订牵引电机八台YQ-365 下下周三", customer="湘电股份", product="牵引电机",
      model="YQ-365", quantity=8, unit="台", due_date="2026-12-09"),
    R("后天给鞍钢股份发角钢40吨，4180一吨", customer="鞍钢股份", product="角钢", quantity=40,
      unit="吨", unit_price=4180, due_date="2026-11-26"),
    F("签约日期：2026-11-21\n客户：大连冰山集团\n产品：螺杆式冷水机组\n数量(台)：2\n单价（万）：36.8\n交期：2027年1月20日",
      customer="大连冰山集团", product="螺杆式冷水机组", quantity=2, unit="台",
      unit_price=368000, due_date="2027-01-20"),
    X("金风科技那单推迟一周，其他不变", {"customer": "金风科技"}),
    C("SO-20261116-013 作废", {"order_no": "SO-20261116-013"}),
    H("固德威的逆变器报价多少来着"),
    H("中建八局的项目明天开协调会"),
]


def _build(seed: int, dev: bool) -> list[Case]:
    rng = random.Random(seed)
    items = ITEMS_DEV if dev else ITEMS_MAIN
    customers = CUSTOMERS_DEV if dev else CUSTOMERS_MAIN
    dates = DATES_DEV if dev else DATES_MAIN
    qtys = QTY_DEV if dev else QTY_MAIN
    scale = 1 if not dev else 0
    cases: list[Case] = []
    cases += _compose(rng, STRUCT_DEV if dev else STRUCT_MAIN, items, customers, dates, qtys, S,
                      70 if scale else 15)
    cases += _compose(rng, FORM_DEV if dev else FORM_MAIN, items, customers, dates, qtys, F,
                      80 if scale else 15)
    cases += _compose(rng, FREE_DEV if dev else FREE_MAIN, items, customers, dates, qtys, R,
                      170 if scale else 30)
    cases += _changes(rng, items, customers, dates, 80 if scale else 20)
    cases += _queries(rng, items, customers, 36 if scale else 8)
    cases += _chatter(rng, CHATTER_DEV if dev else CHATTER_MAIN, items, customers,
                      84 if scale else 15)
    cases += _english(rng, EN_DEV if dev else EN_MAIN, EN_CUSTOMERS_DEV if dev else EN_CUSTOMERS_MAIN,
                      EN_ITEMS_DEV if dev else EN_ITEMS_MAIN, EN_DATES_DEV if dev else EN_DATES_MAIN,
                      56 if scale else 12)
    cases += EN_OTHER_DEV if dev else EN_OTHER_MAIN
    cases += HAND_DEV if dev else HAND_MAIN
    # A template can meet the same parts twice; one copy of each message is enough.
    seen: set[str] = set()
    unique = []
    for case in cases:
        if case.text not in seen:
            seen.add(case.text)
            unique.append(case)
    return unique


MAIN: list[Case] = _build(13, dev=False)
DEV: list[Case] = _build(1313, dev=True)
__all__ = ["CANCEL", "DEV", "MAIN", "N1", "N2"]
