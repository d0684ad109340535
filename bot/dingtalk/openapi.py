"""The DingTalk OpenAPI calls the bot makes: its access token, robot messages (to a group and
to people), interactive cards (send and update) and files."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientTimeout, FormData

API_URL = "https://api.dingtalk.com"
OAPI_URL = "https://oapi.dingtalk.com"
# DingTalk's general markdown-and-buttons card, which the SDK's MarkdownButtonCardInstance
# uses; a company may build its own in the card platform with the same two variables.
CARD_TEMPLATE = "1366a1eb-bc54-4859-ac88-517c56a9acb1.schema"
# The old API's codes for a token that is not (or no longer) valid.
_OAPI_BAD_TOKEN = (40001, 40014, 42001)


@dataclass
class DingTalkError(Exception):
    """DingTalk refused a call: its HTTP status, code and message (``status`` 0: no answer)."""

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class OpenApi:
    def __init__(self, client_id: str, client_secret: str, *, api_url: str = API_URL,
                 oapi_url: str = OAPI_URL, card_template: str = CARD_TEMPLATE,
                 timeout: float = 20.0) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.api_url, self.oapi_url = api_url.rstrip("/"), oapi_url.rstrip("/")
        self.card_template = card_template
        self.timeout = timeout
        self._session: ClientSession | None = None
        self._token: tuple[str, float] | None = None  # token, good until (monotonic)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> ClientSession:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))
        return self._session

    async def token(self) -> str:
        if self._token is None or time.monotonic() >= self._token[1]:
            answer = await self._call("POST", "/v1.0/oauth2/accessToken",
                                      {"appKey": self.client_id, "appSecret": self.client_secret},
                                      token=False)
            # Five minutes early, as the SDK does, so a token never expires on its way.
            self._token = (answer["accessToken"], time.monotonic() + answer["expireIn"] - 300)
        return self._token[0]

    async def _call(self, method: str, path: str, body: dict[str, Any], *,
                    token: bool = True) -> dict[str, Any]:
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["x-acs-dingtalk-access-token"] = await self.token()
            async with self._client().request(method, self.api_url + path, headers=headers,
                                              data=json.dumps(body)) as response:
                text = await response.text()
                status = response.status
            answer = json.loads(text) if text.strip().startswith("{") else {}
            if status == 200:
                return answer
            code = answer.get("code", "")
            # A token DingTalk revoked before its time: fetch a new one, once.
            if status == 401 and token and attempt == 1:
                self._token = None
                continue
            raise DingTalkError(status, code or str(status), answer.get("message", text[:200]))
        raise AssertionError("unreachable")

    async def send_text(self, space: tuple[str, str], text: str) -> None:
        """A plain text to a group (``("group", openConversationId)``) or a person: the bot's
        texts are not markdown, whose line breaks and ``*`` would change them."""
        await self._robot_send(space, "sampleText",
                               json.dumps({"content": text}, ensure_ascii=False))

    async def _robot_send(self, space: tuple[str, str], key: str, param: str) -> None:
        kind, external = space
        if kind == "group":
            await self._call("POST", "/v1.0/robot/groupMessages/send", {
                "robotCode": self.client_id, "openConversationId": external,
                "msgKey": key, "msgParam": param})
            return
        answer = await self._call("POST", "/v1.0/robot/oToMessages/batchSend", {
            "robotCode": self.client_id, "userIds": [external], "msgKey": key,
            "msgParam": param})
        if external in (answer.get("invalidStaffIdList") or []):
            raise DingTalkError(200, "staffId.notExisted", external)
        if external in (answer.get("flowControlledStaffIdList") or []):
            raise DingTalkError(200, "flowControlled", external)

    @staticmethod
    def _card_data(text: str, buttons: list[dict[str, str]]) -> dict[str, Any]:
        return {"cardParamMap": {"markdown": text,
                                 "buttons": json.dumps(buttons, ensure_ascii=False)}}

    async def send_card(self, space: tuple[str, str], out_track_id: str, text: str,
                        buttons: list[dict[str, str]]) -> None:
        kind, external = space
        body: dict[str, Any] = {
            "cardTemplateId": self.card_template, "outTrackId": out_track_id,
            "cardData": self._card_data(text, buttons),
            # Presses come over the Stream connection, as messages do.
            "callbackType": "STREAM",
            "imGroupOpenSpaceModel": {"supportForward": False},
            "imRobotOpenSpaceModel": {"supportForward": False},
        }
        if kind == "group":
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{external}"
            body["imGroupOpenDeliverModel"] = {"robotCode": self.client_id}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{external}"
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT",
                                               "robotCode": self.client_id}
        await self._call("POST", "/v1.0/card/instances/createAndDeliver", body)

    async def update_card(self, out_track_id: str, text: str | None,
                          buttons: list[dict[str, str]]) -> None:
        data = self._card_data(text or "", buttons)
        if text is None:
            del data["cardParamMap"]["markdown"]
        await self._call("PUT", "/v1.0/card/instances", {
            "outTrackId": out_track_id, "cardData": data,
            "cardUpdateOptions": {"updateCardDataByKey": True}})

    async def send_file(self, space: tuple[str, str], filename: str, content: bytes) -> None:
        """Upload to the old media API (the only one robots send files from), then send."""
        for attempt in (1, 2):
            form = FormData()
            form.add_field("type", "file")
            form.add_field("media", content, filename=filename)
            url = f"{self.oapi_url}/media/upload?access_token={await self.token()}"
            async with self._client().post(url, data=form) as response:
                answer = json.loads(await response.text())
            if answer.get("errcode") in _OAPI_BAD_TOKEN and attempt == 1:
                self._token = None
                continue
            if answer.get("errcode"):
                code = answer["errcode"]
                raise DingTalkError(401 if code in _OAPI_BAD_TOKEN else response.status,
                                    str(code), answer.get("errmsg", ""))
            break
        kind = filename.rsplit(".", 1)[-1] if "." in filename else "file"
        await self._robot_send(space, "sampleFile", json.dumps(
            {"mediaId": answer["media_id"], "fileName": filename, "fileType": kind},
            ensure_ascii=False))
