"""The trial web chat (issue 13): a page that talks to the Rasa server like a messenger would.

On only with NAVIYAM_WEB_CHAT=1 (scripts/run.sh turns it on for local trials): anyone who
reaches the page may talk as a demo user, so production deployments leave it off. Messages
go through the server (``POST /chat/send`` → Rasa's REST webhook), so the page needs no
CORS opening on the Rasa server. Only ``demo_...``/``web_...`` senders are accepted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from naviyam.config import get_settings
from naviyam.usecases import web_chat

router = APIRouter(prefix="/chat", tags=["web chat"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

PLACES = [  # the sample data's neighbourhoods (devtools/sampledata/catalog/places.py)
    {"name": "건대입구", "lat": 37.5404, "lng": 127.0693},
    {"name": "신촌", "lat": 37.5559, "lng": 126.9368},
    {"name": "노량진", "lat": 37.5133, "lng": 126.9426},
]


def _enabled() -> None:
    if not get_settings().web_chat:
        raise HTTPException(404, "web chat is off (NAVIYAM_WEB_CHAT=1 turns it on)")


class ChatMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=48, pattern=r"^(demo|web)_[a-z0-9_]{1,40}$")
    message: str = Field(min_length=1, max_length=1000)
    now: str | None = Field(None, max_length=40, description="dev mode: ISO 8601 time the bot should assume")
    lat: float | None = Field(None, ge=33.0, le=39.0)
    lng: float | None = Field(None, ge=124.0, le=132.0)


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request) -> Response:
    _enabled()
    return templates.TemplateResponse(request, "chat.html", {"places": PLACES})


@router.get("/users")
def users() -> list[str]:
    _enabled()
    return web_chat.demo_users()


@router.post("/send")
def send(body: ChatMessage) -> list[dict[str, Any]]:
    """One message to the bot; the answer is Rasa's list of messages (text, buttons, image, custom)."""
    _enabled()
    metadata: dict[str, Any] = {"platform": "web"}
    if body.now:
        metadata["now"] = body.now
    if body.lat is not None and body.lng is not None:
        metadata["location"] = {"lat": body.lat, "lng": body.lng}
    try:
        return web_chat.send(body.sender, body.message, metadata)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    except web_chat.RasaUnavailable as exc:
        raise HTTPException(503, "챗봇 서버가 지금 대답하지 않아요. 잠시 뒤에 다시 해 주세요.") from exc
