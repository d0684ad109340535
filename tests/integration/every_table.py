"""Rows in every table, with the values a copy is most likely to bend: aware times with
microseconds, JSON null beside SQL NULL, nested JSON with every kind of value, bytes of every
value, booleans both ways, 64-bit chat ids, floats that are not round in binary, Chinese text
and quotes. `rows` reads a database back in a form two databases can be compared by."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, insert, null, select

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base

T1 = datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=UTC)
T2 = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
NESTED = {"文本": "华东电力 \"引号\" 'single' \\ \n 换行", "int": 2**53, "float": 0.1,
          "list": [1, 2.5, None, True, False, "✅"], "empty": {}, "null": None}
EVERY_BYTE = bytes(range(256)) * 3


ROWS: dict[str, list[dict[str, Any]]] = {
    "people": [
        {"id": 201, "name": "王强", "username": "wangqiang", "locale": "zh_CN",
         "unreachable_since": T1},
        {"id": 9_007_199_254_740_993, "name": "Zoë \"Q\" O'Neil", "username": None,
         "locale": None, "unreachable_since": None},
    ],
    "role_grants": [
        {"id": 7, "person_id": 201, "role": "manufacturing", "leader": True},
        {"id": 42, "person_id": 9_007_199_254_740_993, "role": "tech", "leader": False},
    ],
    "chats": [
        {"id": -1001234567890, "title": "市场部", "department": "market", "locale": "en",
         "active": False, "migrated_to": -1009876543210},
        {"id": -1002, "title": None, "department": None, "locale": None, "active": True,
         "migrated_to": None},
    ],
    "inbox": [
        {"update_id": 9_000_000_001, "digest": "ab" * 32, "payload": NESTED, "status": "done",
         "received_at": T1, "handled_at": T2},
    ],
    "leases": [{"name": "poller", "holder": "h" * 64, "until": T2}],
    "audit_events": [
        # before left out: SQL NULL; after: JSON
        {"id": 3, "at": T1, "actor_id": None, "action": "order.created", "subject_type": "order",
         "subject_id": "SO-20261124-001", "after": NESTED},
        # before: JSON null, after: SQL NULL
        {"id": 11, "at": T2, "actor_id": 201, "action": "task.closed", "subject_type": "task",
         "subject_id": "5", "before": JSON.NULL, "after": null()},
    ],
    "order_drafts": [
        {"id": 5, "chat_id": -1001234567890, "author_id": 201, "fields": NESTED,
         "status": "pending", "asking": None, "created_at": T1},
    ],
    "order_counters": [{"day": date(2026, 11, 24), "last": 3}],
    "orders": [
        {"id": 12, "number": "SO-20261124-001", "status": "in_production", "customer": "华东电力",
         "product": "GGD低压开关柜", "model": None, "quantity": 12.5, "unit": "台",
         "unit_price": 0.1, "amount": None, "due_date": date(2026, 12, 20),
         "complete_set": True, "order_class": "non_regular", "notes": "备注\n第二行",
         "facts": {"signed": "2026-11-24", "nested": NESTED}, "chat_id": -1001234567890,
         "created_by": 201, "created_at": T1, "archived_at": T2},
    ],
    "customer_credit": [
        {"id": 4, "customer": "华东电力", "credit_limit": 500000.1, "terms": "月结30天",
         "risk": "逾期 \"两次\"\n第二行", "updated_by": 401, "updated_at": T1},
        {"id": 5, "customer": "Zoë", "credit_limit": None, "terms": None, "risk": None,
         "updated_by": None, "updated_at": None},
    ],
    "tasks": [
        {"id": 30, "order_id": 12, "kind": "procurement", "role": "procurement", "title": "断路器",
         "status": "open", "due_at": T2, "assignee_id": None, "outcome": None, "note": None,
         "created_at": T1, "closed_by": None, "closed_at": None, "progress": 60,
         "progress_note": "柜体完成", "quantity": 47.0, "photo": "AgADBAAD" + "x" * 100,
         "escalation_chain": ["leader", "gm"], "escalation_step": 1},
    ],
    "escalation_pings": [
        {"id": 5, "person_id": 9_007_199_254_740_993, "order_id": 12, "step": 1,
         "day": date(2026, 11, 25), "task_ids": [30], "folded": True, "at": T1,
         "listed_at": None},
    ],
    "timers": [
        {"id": 100, "kind": "reminder", "subject": "task:30", "due_at": T1,
         "dedupe_key": "reminder:30:1", "status": "leased", "lease_until": T2, "attempts": 2},
    ],
    "outbox": [
        {"id": 900, "chat_id": -1001234567890, "kind": "document", "order_number": None,
         "text_key": "", "params": {"text": "你好 <b>x</b>"}, "buttons": [["确认", "取消"]],
         "status": "sent", "attempts": 1, "not_before": T1, "lease_until": None,
         "created_at": T1, "sent_at": T2, "message_id": 2**40, "last_error": None,
         "edit_message_id": None, "markup_only": True, "document_name": "订单.csv",
         "document": EVERY_BYTE, "parts_sent": 2, "failing_since": None, "origin_id": 201,
         "mention_id": None, "rerouted_from": -1002, "for_role": "market", "task_id": 2**31 - 1},
    ],
    "urge_slips": [
        {"id": 4, "number": "CC-20261124-001", "order_id": 12, "status": "draft",
         "late": ["装配", "包装"], "note": "", "created_by": None, "created_at": T1,
         "sent_at": None},
    ],
    "catalog_entries": [{"id": 8, "kind": "customer", "name": "江苏恒通机械"}],
    "change_notices": [
        {"id": 6, "number": None, "order_id": 12, "status": "open",
         "changes": {"quantity": [12, 15]}, "level": 2, "facts": {}, "chat_id": -1001234567890,
         "created_by": 201, "created_at": T2},
    ],
    "web_tokens": [
        {"id": 3, "kind": "track", "token_hash": "0f" * 32, "order_id": 12, "person_id": None,
         "created_at": T1, "expires_at": T2, "used_at": None, "revoked_at": None},
    ],
    "dingtalk_ids": [
        {"id": -4_503_599_627_370_495, "external": "cidAbC+/dEf==", "kind": "group",
         "name": "市场部 \"一组\""},
        {"id": 9_007_199_254_740_991, "external": "manager4711", "kind": "person",
         "name": None},
    ],
    "dingtalk_messages": [
        {"key": "gendan_-4503599627370495_1764720000123",
         "chat_id": -4_503_599_627_370_495, "message_id": 1_764_720_000_123,
         "text": NESTED["文本"], "markup": NESTED},
    ],
}


async def fill(url: str) -> str:
    """The schema and the rows, in the database at `url`; returns the URL."""
    assert set(ROWS) == set(Base.metadata.tables), "every table gets rows"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                for row in ROWS[table.name]:
                    await connection.execute(insert(table).values(row))
    finally:
        await engine.dispose()
    return url


async def rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every model table by id, with whether each JSON value is SQL NULL."""
    found = {}
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                nulls = [column.is_(None).label(f"{column.name} IS NULL")
                         for column in table.columns if isinstance(column.type, JSON)]
                (key,) = table.primary_key.columns
                result = await connection.execute(select(table, *nulls).order_by(key))
                found[table.name] = [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()
    return found
