"""The kinds of timer the domain schedules. Stored by value in the timers table: never renamed."""

from __future__ import annotations

from enum import StrEnum


class TimerKind(StrEnum):
    REMIND = "remind"  # an hour (escalation.remind_before) before a task's deadline
    ESCALATE = "escalate"  # a step of a task's escalation chain
    PACKAGING_NOTICE = "packaging_notice"  # “提前N天通知” before packaging
    OEM_REMINDER = "oem_reminder"  # the OEM's preparation, before assembly
    DRAFT_EXPIRY = "draft_expiry"  # an order draft nobody answered
    FOLLOW_UP = "follow_up"  # market's follow-up before delivery, which drafts the 催促单
    QUALITY_ALERT = "quality_alert"  # an inspection's alert held by quiet hours
    DIGEST = "digest"  # a morning digest held by quiet hours
