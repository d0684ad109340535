"""Departments and roles of the order policy."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A department's role key; values are stored, never renamed."""

    MARKET = "market"
    TECH = "tech"
    MANUFACTURING = "manufacturing"
    PROCUREMENT = "procurement"
    QUALITY = "quality"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    GM = "gm"
    OEM = "oem"
    SERVICE = "service"


# The names people use in chat; the first is the department's official name, the English ones
# are those the English catalog shows.
ROLE_ALIASES: dict[Role, tuple[str, ...]] = {
    Role.MARKET: ("市场部", "市场", "销售", "销售部", "Marketing Department", "Marketing"),
    Role.TECH: ("技术中心", "技术部", "技术", "Technical Center", "Technical"),
    Role.MANUFACTURING: ("制造中心", "制造", "生产", "生产部", "Manufacturing Center"),
    Role.PROCUREMENT: ("物资管理部", "采购", "采购部", "物资部", "Materials Department", "Materials"),
    Role.QUALITY: ("质量管理部", "质量部", "质量", "质检", "Quality Department"),
    Role.WAREHOUSE: ("成品库/储运", "成品库", "储运", "仓库", "Warehouse & Logistics", "Warehouse"),
    Role.FINANCE: ("财务部", "财务", "Finance Department"),
    Role.GM: ("总经理", "总经办", "总经理办公室", "General Manager"),
    Role.OEM: ("OEM代工厂", "代工厂", "OEM", "OEM Plant"),
    Role.SERVICE: ("售后", "售后服务", "售后部", "After-sales Service", "After-sales"),
}


def parse_role(text: str) -> Role | None:
    """Read a role from its key or any of its names (Chinese or English, any case)."""
    word = " ".join(text.split())
    lowered = word.lower()
    for role in Role:
        if lowered == role.value:
            return role
    for role, aliases in ROLE_ALIASES.items():
        if word in aliases or lowered in (alias.lower() for alias in aliases):
            return role
    return None
