"""Company set-up in chat through the real Application and the emulator."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    STRANGER,
    TECH,
    UNBOUND,
    WANGQIANG,
    set_up_company,
)
from workflow.roles import Role


async def test_admin_binds_groups_and_grants_roles(stack: Stack) -> None:
    await set_up_company(stack)
    assert "本群已绑定为市场部的群" in stack.texts(MARKET)[0]
    assert any("王强 现在是制造中心的负责人" in t for t in stack.texts(MANUFACTURING))

    await stack.say(MANUFACTURING, WANGQIANG, "/whoami")
    answer = stack.texts(MANUFACTURING)[-1]
    assert "制造中心负责人" in answer and "制造中心的群" in answer

    await stack.say(MARKET, LIMING, "/roles")
    roster = stack.texts(MARKET)[-1]
    assert "制造中心：王强（负责人）｜群：制造中心" in roster
    assert "市场部：李明｜群：市场部" in roster


async def test_help_lists_only_what_the_person_may_do(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/help")
    rep_help = stack.texts(MARKET)[-1]
    assert "/order " in rep_help and "/bind" not in rep_help and "/role " not in rep_help

    await stack.say(MARKET, ADMIN, "/help")
    admin_help = stack.texts(MARKET)[-1]
    assert "/bind" in admin_help and "/role" in admin_help and "/order " not in admin_help

    await stack.say(STRANGER, STRANGER, "/help")
    stranger_help = stack.texts(STRANGER)[-1]
    assert "/whoami" in stranger_help and "/order " not in stranger_help


async def test_setup_commands_refuse_non_admins(stack: Stack) -> None:
    await stack.say(MARKET, LIMING, "/bind market")
    assert "只有管理员" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, LIMING, "/role @liming gm")
    assert "只有管理员" in stack.texts(MARKET)[-1]
    await stack.say(LIMING, LIMING, "/whoami")
    assert "暂无角色" in stack.texts(LIMING)[-1]


async def test_bad_arguments_say_what_to_type(stack: Stack) -> None:
    await stack.say(MARKET, ADMIN, "/bind")
    assert "/bind 市场部" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, ADMIN, "/bind 财务科技")
    assert "/bind 市场部" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, ADMIN, "/role @nobody market")
    assert "找不到 @nobody" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, ADMIN, "/role @liming")
    assert "用法：/role @用户 部门 [负责人]" in stack.texts(MARKET)[-1]
    assert "market" not in stack.texts(MARKET)[-1]  # the departments by their names
    await stack.say(MARKET, ADMIN, "/role @liming 市场部 老大")
    assert stack.messages[-1]["kind"] == "error"  # not a word for leader, nor a department
    await stack.say(ADMIN, ADMIN, "/bind market")
    assert "只能在群里用" in stack.texts(ADMIN)[-1]


async def test_role_by_reply_and_revoke(stack: Stack) -> None:
    await stack.say(TECH, ADMIN, "/role @stranger tech")
    assert "找不到 @stranger" in stack.texts(TECH)[-1]
    await stack.say(TECH, STRANGER, "大家好")  # the bot now knows the stranger
    assert stack.texts(TECH)[-1].startswith("找不到")  # chatter in a group gets no answer
    await stack.say(TECH, ADMIN, "/role @stranger tech")
    assert "路人 现在是技术中心的成员" in stack.texts(TECH)[-1]
    await stack.say(TECH, ADMIN, "/unrole @stranger tech")
    assert "已取消 路人 的技术中心角色" in stack.texts(TECH)[-1]
    await stack.say(TECH, ADMIN, "/unrole @stranger tech")
    assert "本来就没有" in stack.texts(TECH)[-1]


async def test_language_per_chat_and_per_person(stack: Stack) -> None:
    await stack.say(MARKET, LIMING, "/lang en")
    assert "只有管理员" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, ADMIN, "/lang en")
    assert stack.texts(MARKET)[-1] == "OK, English from now on."
    await stack.say(MARKET, ADMIN, "/bind market")
    assert stack.texts(MARKET)[-1] == "✅ This group is now the Marketing Department group."
    # The person's own language is separate from the group's.
    await stack.say(LIMING, LIMING, "/whoami")
    assert "角色" in stack.texts(LIMING)[-1]
    await stack.say(LIMING, LIMING, "/lang en")
    await stack.say(LIMING, LIMING, "/whoami")
    assert "Roles:" in stack.texts(LIMING)[-1]
    await stack.say(LIMING, LIMING, "/lang klingon")
    assert "/lang 中文 or /lang English" in stack.texts(LIMING)[-1]


async def test_roles_are_given_by_chinese_and_english_department_names(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MANUFACTURING, ADMIN, "/role @zhangwei 制造中心 负责人")
    await stack.say(MANUFACTURING, ADMIN, "/role @liming Manufacturing Center")
    async with stack.gendan.runtime.unit_of_work() as uow:
        zhangwei = await uow.people.by_username("zhangwei")
        liming = await uow.people.by_username("liming")
    assert zhangwei is not None and zhangwei.roles[Role.MANUFACTURING] is True
    assert liming is not None and liming.roles[Role.MANUFACTURING] is False


async def test_whoami_names_the_language_not_its_code(stack: Stack) -> None:
    await stack.say(LIMING, LIMING, "/whoami")
    assert "语言：中文" in stack.texts(LIMING)[-1]
    await stack.say(LIMING, LIMING, "/lang English")
    await stack.say(LIMING, LIMING, "/whoami")
    assert "Language: English" in stack.texts(LIMING)[-1]


async def test_unknown_command_is_answered(stack: Stack) -> None:
    await stack.say(UNBOUND, LIMING, "/frobnicate now")
    assert "没有 /frobnicate 这个命令" in stack.texts(UNBOUND)[-1]
    assert stack.messages[-1]["kind"] == "error"
