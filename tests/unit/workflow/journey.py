"""A company in memory and an order taken along the policy by the workflow's own functions,
so that a ring test starts at the step it is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.unit.workflow.fakes import NOW, World
from workflow import orders, services
from workflow.context import Actor
from workflow.model import Order, TaskKind
from workflow.parsing.plans import PlanLine
from workflow.roles import Role

DUE = date(2026, 12, 30)  # the delivery date: five weeks of working days after NOW

GROUPS = {Role.MARKET: -1001, Role.TECH: -1002, Role.MANUFACTURING: -1003,
          Role.PROCUREMENT: -1004, Role.QUALITY: -1005, Role.WAREHOUSE: -1006,
          Role.FINANCE: -1007}


@dataclass
class Company:
    """Who works where. The general manager, OEM and after-sales have no group."""

    world: World
    admin: Actor
    rep: Actor  # market, not a leader
    market_lead: Actor
    tech: Actor
    tech_lead: Actor
    maker: Actor  # manufacturing, not a leader
    maker_lead: Actor
    buyer: Actor
    buyer_lead: Actor
    inspector: Actor
    quality_lead: Actor
    keeper: Actor  # warehouse
    finance: Actor
    gm: Actor


def company(world: World | None = None) -> Company:
    w = world or World()
    for role, chat_id in GROUPS.items():
        w.group(chat_id, role)
    return Company(
        world=w,
        admin=w.person(1, "管理员"),
        rep=w.person(11, "李明", Role.MARKET),
        market_lead=w.person(12, "赵敏", leads=(Role.MARKET,)),
        tech=w.person(21, "张伟", Role.TECH),
        tech_lead=w.person(22, "陈静", leads=(Role.TECH,)),
        maker=w.person(31, "刘洋", Role.MANUFACTURING),
        maker_lead=w.person(32, "王强", leads=(Role.MANUFACTURING,)),
        buyer=w.person(41, "孙丽", Role.PROCUREMENT),
        buyer_lead=w.person(42, "周杰", leads=(Role.PROCUREMENT,)),
        inspector=w.person(51, "吴刚", Role.QUALITY),
        quality_lead=w.person(52, "郑芳", leads=(Role.QUALITY,)),
        keeper=w.person(61, "冯军", Role.WAREHOUSE),
        finance=w.person(71, "钱红", Role.FINANCE),
        gm=w.person(81, "黄总", Role.GM),
    )


FIELDS = {"customer": "华东电力", "product": "GGD低压开关柜", "model": "GGD2-15",
          "quantity": 12, "unit": "台", "due_date": DUE.isoformat()}


async def registered(c: Company, **fields: object) -> Order:
    """Confirmed by its rep: in review, tech and manufacturing asked."""
    ctx = c.world.ctx
    draft = await services.open_draft(ctx, c.rep, GROUPS[Role.MARKET], {**FIELDS, **fields})
    # A test may take several alike orders; the duplicate check has its own tests.
    result = await services.confirm_draft(ctx, c.rep, draft.id or 0, despite_duplicate=True)
    assert isinstance(result, services.Registered)
    return result.order


async def reviewed(c: Company, **fields: object) -> Order:
    """Both reviews feasible: waiting for market's quote."""
    order = await registered(c, **fields)
    for task in c.world.tasks(order, open_only=True):
        who = c.tech if task.role is Role.TECH else c.maker
        await orders.answer_review(c.world.ctx, who, task.id or 0, True)
    return c.world.order(order)


async def effective(c: Company, **fields: object) -> Order:
    """Quoted, signed and paid: the production order is due."""
    order = await reviewed(c, **fields)
    await orders.record_quote(c.world.ctx, c.rep, order, 420000)
    await orders.record_contract_fact(c.world.ctx, c.rep, order, "signed")
    await orders.record_contract_fact(c.world.ctx, c.rep, order, "paid")
    return c.world.order(order)


async def planning(c: Company, **fields: object) -> Order:
    order = await effective(c, **fields)
    await orders.issue_production_order(c.world.ctx, c.rep, order)
    return order


def line(kind: TaskKind, role: Role, due_at: datetime, title: str | None = None,
         op: str = "line") -> PlanLine:
    return PlanLine(kind, role, due_at, title, op)


def plan(now: datetime = NOW) -> list[PlanLine]:
    """A purchase and an assembly, each due in working weeks."""
    return [line(TaskKind.PURCHASE, Role.PROCUREMENT, now + timedelta(days=14), "断路器 47个"),
            line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, now + timedelta(days=21))]


async def in_production(c: Company, **fields: object) -> Order:
    order = await planning(c, **fields)
    await orders.submit_plan(c.world.ctx, c.maker_lead, order, plan(c.world.now))
    return order


async def warehoused(c: Company, **fields: object) -> Order:
    order = await in_production(c, **fields)
    # The supplier contact before its purchase: finishing a purchase settles what came after.
    for kind in (TaskKind.SUPPLIER_CONTACT, TaskKind.PURCHASE, TaskKind.ASSEMBLY_FINISH):
        for task in c.world.tasks(order, open_only=True):
            if task.kind is kind:
                owner = c.buyer if task.role is Role.PROCUREMENT else c.maker
                await orders.finish(c.world.ctx, owner, task.id or 0)
    order = c.world.order(order)
    await orders.record_warehoused(c.world.ctx, c.maker, order)
    return order


async def shipping(c: Company, **fields: object) -> Order:
    order = await warehoused(c, **fields)
    await orders.confirm_payment(c.world.ctx, c.finance, order)
    await orders.issue_shipping_notice(c.world.ctx, c.rep, order, DUE)
    return order


async def shipped(c: Company, **fields: object) -> Order:
    order = await shipping(c, **fields)
    await orders.ship(c.world.ctx, c.keeper, order, None)
    return order
