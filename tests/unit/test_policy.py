"""The policy loads from its defaults, merges company files and overrides, and names bad keys."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, time, timedelta

import pytest

from workflow.policy import (
    DEFAULT_POLICY_PATH,
    LEADER,
    Counting,
    DeadlineName,
    NonRegularReason,
    NoticeKind,
    PolicyError,
    WorkingDays,
    format_duration,
    load_policy,
    parse_clock,
    parse_duration,
)
from workflow.roles import Role


def problems_of(overrides=None, path=None) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy(path, overrides)
    return str(caught.value)


# -- the defaults -----------------------------------------------------------------------------

# (rule, duration, counts_in, before, opens) as the seed 订单管理办法 states them.
SEED_RULES = [
    ("production_order", timedelta(hours=4), "working", False, None),
    ("planning_complete_set", WorkingDays(1), "working", False, None),
    ("planning_other", timedelta(hours=4), "working", False, None),
    ("objection", WorkingDays(1), "working", False, None),
    ("change_answer", timedelta(minutes=30), "working", False, None),
    ("tech_change_answer", timedelta(minutes=30), "working", False, None),
    ("quality_response", timedelta(minutes=20), "working", False, None),
    ("quality_coordination", timedelta(minutes=30), "working", False, None),
    ("supplier_contact", WorkingDays(5), "working", True, None),
    ("dispatch_confirmation", WorkingDays(1), "working", False, None),
    ("procurement_delay_report", timedelta(minutes=30), "working", False, None),
    ("oem_reminder", WorkingDays(1), "working", True, WorkingDays(2)),
    ("packaging_notice_complete_set", WorkingDays(3), "working", True, None),
    ("packaging_notice_other", WorkingDays(1), "working", True, None),
    ("shipping_notice", WorkingDays(1), "working", True, None),
    ("market_follow_up", WorkingDays(2), "working", True, WorkingDays(3)),
    ("feasibility_review", WorkingDays(1), "working", False, None),
    ("quote", WorkingDays(1), "working", False, None),
    # The policy names no limit for these; ours keep any step from waiting unseen.
    ("decision", WorkingDays(1), "working", False, None),
    ("payment_check", WorkingDays(1), "working", False, None),
    ("missing_parts", WorkingDays(5), "working", False, None),
    ("after_sales_response", WorkingDays(1), "working", False, None),
    ("contact_slip", WorkingDays(1), "working", False, None),
    ("credit_review", WorkingDays(1), "working", False, None),
]


@pytest.mark.parametrize(("name", "duration", "counts_in", "before", "opens"), SEED_RULES)
def test_default_policy_has_every_seed_rule(name, duration, counts_in, before, opens):
    rule = load_policy().deadline(name)
    assert (rule.duration, rule.counts_in, rule.before, rule.opens) == (
        duration,
        counts_in,
        before,
        opens,
    )
    assert rule.name == name


def test_default_policy_lists_exactly_the_known_rules():
    policy = load_policy()
    assert set(policy.deadlines) == {name.value for name in DeadlineName}
    assert {name for name, *_ in SEED_RULES} == set(policy.deadlines)


def test_default_policy_other_settings():
    policy = load_policy()
    assert policy.timezone == "Asia/Shanghai"
    assert str(policy.tz) == "Asia/Shanghai"
    hours = policy.working_hours
    assert (hours.start, hours.end, hours.lunch) == (
        time(8, 30),
        time(17, 30),
        (time(12), time(13)),
    )
    assert hours.weekdays == frozenset(range(5))
    assert hours.day_length == timedelta(hours=8)
    quiet = policy.quiet_hours
    assert (quiet.enabled, quiet.start, quiet.end, quiet.rest_days) == (
        True,
        time(21),
        time(8),
        True,
    )
    assert {k for k, v in quiet.pass_through.items() if v} == {
        "quality_alert",
        "gm_escalation",
    }
    assert set(quiet.pass_through) == {kind.value for kind in NoticeKind}
    assert policy.quality_pass_rate_threshold == 0.95
    assert policy.escalation.chain_for(Role.QUALITY) == (LEADER, Role.GM)
    assert policy.escalation.chain_for(Role.OEM) == (LEADER, Role.MANUFACTURING, Role.GM)
    assert policy.escalation.chain_for(Role.GM) == ()
    assert set(policy.escalation.chains) == set(Role)
    assert policy.escalation.step_wait == timedelta(hours=2)
    assert policy.escalation.counts_in is Counting.WORKING
    assert policy.escalation.max_repeats == 3
    assert policy.escalation.snooze_max == timedelta(hours=4)
    assert policy.escalation.snooze_step == timedelta(hours=1)
    assert (policy.digest.time, policy.digest.working_days_only) == (time(9), True)
    assert (policy.escalation.daily_cap, policy.digest.max_lines) == (5, 15)
    assert policy.escalation.stale_after == timedelta(minutes=30)
    assert policy.escalation.hold_recheck == timedelta(hours=1)
    assert set(policy.non_regular.keywords) == set(NonRegularReason)
    assert "非标" in policy.non_regular.keywords[NonRegularReason.CUSTOM_DESIGN]
    assert policy.duplicate_order_window == timedelta(minutes=10)
    assert policy.holidays.extra_holidays == frozenset()


def test_every_deadline_in_the_default_file_cites_the_policy():
    lines = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith("[deadlines."):
            comment = lines[number + 1]
            assert comment.startswith("#") and re.search(r"[\u4e00-\u9fff]", comment), line


def test_policy_is_frozen():
    policy = load_policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.timezone = "UTC"
    with pytest.raises(TypeError):
        policy.deadlines["quote"] = policy.deadlines["objection"]


def test_unknown_deadline_name_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no deadline rule 'qoute'"):
        load_policy().deadline("qoute")


# -- parsing helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2H ", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1d 2h", timedelta(days=1, hours=2)),
        ("5wd", WorkingDays(5)),
        ("0m", timedelta()),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["4 hours", "", "1.5h", "-1h", "h", "wd", "4", "2m1h", "5 wd x", 4]
)
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="write e.g. 4h, 30m, 1d or 5wd"):
        parse_duration(text)


def test_format_duration_round_trips():
    for text in ["4h", "30m", "1h30m", "1d2h", "5wd"]:
        assert format_duration(parse_duration(text)) == text


def test_parse_clock():
    assert parse_clock("08:30") == time(8, 30)
    assert parse_clock("8:05") == time(8, 5)
    for bad in ["24:00", "8.30", "0830", "12:60", ""]:
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)


# -- merging ----------------------------------------------------------------------------------


def test_company_file_is_merged_and_overrides_win(tmp_path):
    company = tmp_path / "policy.toml"
    company.write_text(
        '[working_hours]\nstart = "08:00"\nlunch = []\n'
        '[deadlines.production_order]\nduration = "2h"\n'
        '[holidays]\nextra_holidays = [2030-10-01, "2030-10-02"]\n',
        encoding="utf-8",
    )
    policy = load_policy(company, {"deadlines.production_order.duration": "1h"})
    assert policy.working_hours.start == time(8)
    assert policy.working_hours.end == time(17, 30)  # untouched default
    assert policy.working_hours.lunch is None
    assert policy.working_hours.day_length == timedelta(hours=9, minutes=30)
    assert policy.deadline("production_order").duration == timedelta(hours=1)
    assert policy.deadline("production_order").counts_in is Counting.WORKING
    assert policy.holidays.extra_holidays == {date(2030, 10, 1), date(2030, 10, 2)}


def test_nested_and_dotted_overrides_mix():
    policy = load_policy(
        overrides={
            "deadlines": {"quote.duration": "2h", "objection": {"duration": "2wd"}},
            "quiet_hours.pass_through.reminder": True,
            "escalation.chains": {"market": ["gm"]},
        }
    )
    assert policy.deadline("quote").duration == timedelta(hours=2)
    assert policy.deadline("objection").duration == WorkingDays(2)
    assert policy.quiet_hours.lets_through("reminder")
    assert policy.escalation.chain_for(Role.MARKET) == (Role.GM,)


def test_override_conflicting_value_and_table():
    assert "deadlines.quote: given both as a value and as a table" in problems_of(
        {"deadlines.quote": "2h", "deadlines.quote.duration": "2h"}
    )


def test_missing_company_file(tmp_path):
    assert "policy file not found" in problems_of(path=tmp_path / "nope.toml")


def test_broken_toml_names_the_file(tmp_path):
    company = tmp_path / "policy.toml"
    company.write_text("[working_hours\nstart = 8", encoding="utf-8")
    assert f"{company}: not valid TOML" in problems_of(path=company)


# -- validation names the key -----------------------------------------------------------------


def test_bad_duration_names_the_key():
    message = problems_of({"deadlines.production_order.duration": "4 hours"})
    assert message == (
        "deadlines.production_order.duration: cannot read '4 hours' as a duration; "
        "write e.g. 4h, 30m, 1d or 5wd"
    )


def test_unknown_top_level_key_suggests_the_right_one():
    assert "deadline: unknown key; did you mean 'deadlines'?" in problems_of({"deadline": {}})


def test_unknown_nested_key_from_dotted_override():
    message = problems_of({"deadlines.production_order.durration": "2h"})
    assert "deadlines.production_order.durration: unknown key; did you mean 'duration'?" in message


def test_unknown_rule_name():
    assert "deadlines.production_orders: unknown key" in problems_of(
        {"deadlines.production_orders.duration": "2h"}
    )


def test_unknown_key_in_company_file(tmp_path):
    company = tmp_path / "policy.toml"
    company.write_text('[working_hours]\nlunch_break = "12:00"\n', encoding="utf-8")
    assert "working_hours.lunch_break: unknown key" in problems_of(path=company)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"working_hours.start": "8.30"},
            "working_hours.start: cannot read '8.30' as a time of day",
        ),
        ({"working_hours.end": "08:00"}, "working_hours.end: 08:00 is not after start 08:30"),
        (
            {"working_hours.lunch": ["11:00", "18:00"]},
            "working_hours.lunch: 11:00-18:00 must lie inside",
        ),
        ({"working_hours.lunch": ["12:00"]}, "working_hours.lunch: expected two times"),
        (
            {"working_hours.weekdays": ["mon", "Tue"]},
            "working_hours.weekdays: 'Tue' is not a day name",
        ),
        ({"working_hours.weekdays": []}, "working_hours.weekdays: at least one"),
        ({"working_hours": "9-5"}, "working_hours: expected a table, got '9-5' (text)"),
        ({"quiet_hours.end": "21:00"}, "quiet_hours.end: equals start"),
        ({"quiet_hours.pass_through.urgent": True}, "quiet_hours.pass_through.urgent: unknown key"),
        ({"quiet_hours.rest_days": "yes"}, "quiet_hours.rest_days: expected true or false"),
        ({"timezone": "Asia/Shang_hai"}, "timezone: unknown time zone 'Asia/Shang_hai'"),
        ({"quality.pass_rate_threshold": 95}, "quality.pass_rate_threshold: 95.0 must be above 0"),
        ({"quality.pass_rate_threshold": "95%"}, "quality.pass_rate_threshold: expected a number"),
        (
            {"escalation.max_repeats": "3"},
            "escalation.max_repeats: expected a whole number, got '3'",
        ),
        ({"escalation.max_repeats": True}, "escalation.max_repeats: expected a whole number"),
        ({"escalation.max_repeats": -1}, "escalation.max_repeats: -1 is out of range"),
        ({"escalation.step_wait": "1wd"}, "escalation.step_wait: 1wd counts working days"),
        ({"escalation.step_wait": "0m"}, "escalation.step_wait: must be longer than zero"),
        ({"escalation.snooze_step": "0m"}, "escalation.snooze_step: must be longer than zero"),
        ({"escalation.snooze_step": "1wd"}, "escalation.snooze_step: 1wd counts working days"),
        (
            {"escalation.snooze_step": "5h"},
            "escalation.snooze_step: 5h is longer than snooze_max 4h",
        ),
        (
            {"escalation.counts_in": "work"},
            "escalation.counts_in: 'work' is not one of: working, calendar",
        ),
        (
            {"escalation.chains.market": ["leader", "boss"]},
            "escalation.chains.market: 'boss' is not a step",
        ),
        (
            {"escalation.chains.market": ["gm", "gm"]},
            "escalation.chains.market: lists a step twice",
        ),
        ({"escalation.chains.sales": ["gm"]}, "escalation.chains.sales: unknown key"),
        ({"digest.time": "9am"}, "digest.time: cannot read '9am' as a time of day"),
        (
            {"non_regular.keywords.custom_design": "非标"},
            "non_regular.keywords.custom_design: expected a list",
        ),
        ({"non_regular.keywords.cheap": ["便宜"]}, "non_regular.keywords.cheap: unknown key"),
        ({"orders.duplicate_window": "ten minutes"}, "orders.duplicate_window: cannot read"),
        (
            {"holidays.extra_holidays": ["2030-02-30"]},
            "holidays.extra_holidays: cannot read '2030-02-30' as a date",
        ),
        (
            {
                "holidays.extra_holidays": ["2030-10-01"],
                "holidays.extra_workdays": [date(2030, 10, 1)],
            },
            "holidays.extra_workdays: 2030-10-01 is also listed in extra_holidays",
        ),
        (
            {"holidays.covered_years": ["2027"]},
            "holidays.covered_years: expected years such as 2027",
        ),
        ({"deadlines.quote.duration": "0h"}, "deadlines.quote.duration: must be longer than zero"),
        (
            {"deadlines.quote.counts_in": "calendar"},
            "deadlines.quote.duration: 1wd counts working days",
        ),
        (
            {"deadlines.quote.duration": "1d"},
            "deadlines.quote.duration: '1d' would count every day as 24 working hours",
        ),
        (
            {"deadlines.quote.opens": "2wd"},
            "deadlines.quote.opens: only a rule counted back from a planned date",
        ),
        (
            {"deadlines.oem_reminder.opens": "1wd"},
            "deadlines.oem_reminder.opens: 1wd must be further ahead",
        ),
        ({"deadlines.oem_reminder.opens": "4h"}, "deadlines.oem_reminder.opens: 4h"),
        ({"deadlines.quote.before": True}, "deadlines.quote.before: no longer a setting"),
        (
            {"deadlines.change_relay.duration": "30m"},
            "deadlines.change_relay: no longer a setting: the bot passes a change on",
        ),
        (
            {"quiet_hours.pass_through.shipping_day": True},
            "quiet_hours.pass_through.shipping_day: no longer a setting: the bot sends nothing",
        ),
    ],
)
def test_validation_names_the_key(overrides, expected):
    assert expected in problems_of(overrides)


def test_calendar_counted_days_are_allowed():
    policy = load_policy(
        overrides={"deadlines.planning_complete_set": {"duration": "24h", "counts_in": "calendar"}}
    )
    rule = policy.deadline("planning_complete_set")
    assert (rule.duration, rule.counts_in) == (timedelta(hours=24), Counting.CALENDAR)
    assert load_policy(overrides={"deadlines.quote": {"duration": "1d", "counts_in": "calendar"}})


def test_every_problem_is_reported_at_once():
    with pytest.raises(PolicyError) as caught:
        load_policy(
            overrides={"working_hours.start": "x", "deadlines.quote.duration": "y", "typo": 1}
        )
    keys = [problem.split(":")[0] for problem in caught.value.problems]
    assert keys == ["working_hours.start", "deadlines.quote.duration", "typo"]


def test_none_in_overrides_leaves_the_key_out():
    # Overrides come from Python or a scenario's YAML, where None (null) may be written for
    # "not given": no rule may be built from it, so a required key reads as missing and an
    # optional one takes its default.
    problems = problems_of({"timezone": None, "escalation.max_repeats": None})
    assert "timezone: missing" in problems
    assert "escalation.max_repeats: missing" in problems
    policy = load_policy(
        overrides={"deadlines.quote.counts_in": None, "escalation.chains.market": None}
    )
    assert policy.deadline("quote").counts_in == Counting.WORKING
    assert policy.escalation.chain_for(Role.MARKET) == ()
