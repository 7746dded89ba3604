"""Kakao side of the tests: SkillPayload builder and a fake AI-chatbot callback endpoint.

The payload follows the documented SkillPayload (intent, userRequest with utterance,
user id/type/properties, optional callbackUrl, bot, action with params/clientExtra);
the callback endpoint behaves like Kakao's: each URL accepts one POST (valid once).
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

TEST_BOT_ID = "naviyam-test-bot"
TEST_SKILL_SECRET = "test-skill-secret-5f1b0a2c"  # KAKAO_SKILL_SECRET of the test servers
SKILL_SECRET_HEADER = "X-Naviyam-Skill-Secret"


def skill_payload(utterance: str, user_id: str = "kakao-user-1", *, bot_id: str = TEST_BOT_ID,
                  callback_url: str | None = None, client_extra: dict[str, Any] | None = None,
                  params: dict[str, Any] | None = None) -> dict[str, Any]:
    block = {"id": "5f1b0a2c3d4e5f6a7b8c9d0e", "name": "나비얌 폴백 블록"}
    user_request: dict[str, Any] = {
        "timezone": "Asia/Seoul",
        "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
        "block": block,
        "utterance": utterance,
        "lang": "ko",
        "user": {
            "id": user_id,
            "type": "botUserKey",
            "properties": {"botUserKey": user_id, "isFriend": True, "plusfriendUserKey": "pf-" + user_id},
        },
    }
    if callback_url:
        user_request["callbackUrl"] = callback_url
    return {
        "intent": {"id": block["id"], "name": block["name"]},
        "userRequest": user_request,
        "bot": {"id": bot_id, "name": "나비얌"},
        "action": {
            "name": "naviyam_skill",
            "clientExtra": client_extra or {},
            "params": params or {},
            "id": "6a1b2c3d4e5f6a7b8c9d0e1f",
            "detailParams": {},
        },
        "contexts": [],
    }


class FakeKakaoCallback(FakeServer):
    """POST /callback/<token>: 200 once per token, then 400 (as Kakao's one-time URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def new_callback_url(self) -> str:
        return f"{self.url}/callback/{uuid.uuid4().hex}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/callback/{token}", self._callback)

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        first = token not in self.used
        self.used.add(token)
        self.record(token=token, body=body, first=first,
                    content_type=request.headers.get("Content-Type", ""))
        if not first:
            return web.json_response({"taskId": token, "status": "FAIL",
                                      "message": "callback url already used"}, status=400)
        return web.json_response({"taskId": token, "status": "SUCCESS", "message": None,
                                  "timestamp": int(time.time() * 1000)})
