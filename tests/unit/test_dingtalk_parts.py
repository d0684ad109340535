"""DingTalk's settings, ids and refusals, read as the rest of Gendan needs them."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from bot.dingtalk.ids import message_of, number, out_track_id
from bot.dingtalk.openapi import DingTalkError
from bot.dingtalk.request import _as_telegram
from bot.settings import Settings, SettingsError


def test_dingtalk_settings() -> None:
    settings = Settings.from_env({"GENDAN_TRANSPORT": "DingTalk"})
    assert settings.transport == "dingtalk" and settings.sandbox
    real = Settings.from_env({"GENDAN_TRANSPORT": "dingtalk", "DINGTALK_CLIENT_ID": "ding1",
                              "DINGTALK_CLIENT_SECRET": "s", "DINGTALK_ADMINS": "a1; b2"})
    assert not real.sandbox and real.dingtalk_admins == ("a1", "b2")
    with pytest.raises(SettingsError, match="GENDAN_TRANSPORT"):
        Settings.from_env({"GENDAN_TRANSPORT": "wechat"})
    with pytest.raises(SettingsError, match="DINGTALK_CLIENT_SECRET"):
        Settings.from_env({"GENDAN_TRANSPORT": "dingtalk", "DINGTALK_CLIENT_ID": "ding1"})


def test_ids_are_stable_and_cards_name_their_message() -> None:
    assert number("cidAbC+/dEf==") == number("cidAbC+/dEf==") != number("manager4711")
    assert 0 < number("manager4711") < 2**52
    assert message_of(out_track_id(-123, 1_700_000_000_000)) == (-123, 1_700_000_000_000)
    assert message_of("someone-elses-card") is None


@pytest.mark.parametrize(("status", "code", "edit", "raised"), [
    (401, "InvalidAuthentication", False, InvalidToken),
    (403, "Forbidden.AccessDenied.QpsLimitForApi", False, RetryAfter),
    (200, "flowControlled", False, RetryAfter),
    (400, "invalidParameter.robotCode.empty", False, Forbidden),
    (400, "staffId.notExisted", False, Forbidden),
    (400, "param.cardInstanceNotExist", True, BadRequest),
    (503, "ServiceUnavailable", False, NetworkError),
    (400, "invalidParameter.msgParam.tooLong", False, BadRequest),
])
def test_dingtalk_refusals_become_the_bot_api_errors_the_outbox_knows(
        status: int, code: str, edit: bool, raised: type[Exception]) -> None:
    error = _as_telegram(DingTalkError(status, code, "…"), edit=edit)
    assert type(error) is raised
    if edit:
        assert "message can't be edited" in str(error).lower()
