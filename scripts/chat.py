"""Chat with the running bot in the terminal over the REST channel (standard library only).

  python scripts/chat.py [--url http://127.0.0.1:5005] [--sender demo_kid_01]
Type a message and press Enter (or the number of a button: [1], [2]...);
/now 2026-11-23T12:30 sets the request time,
/where 37.5404 127.0693 sets your position, /quit leaves.
Against a server outside dev mode, NAVIYAM_REST_TOKEN is sent as the bearer token
(/now is then ignored by the server: docs/SECURITY.md).
"""
from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request


def send(url: str, sender: str, text: str, metadata: dict) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text, "metadata": metadata}).encode()
    headers = {"Content-Type": "application/json"}
    if os.environ.get("NAVIYAM_REST_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["NAVIYAM_REST_TOKEN"]
    request = urllib.request.Request(url + "/webhooks/rest/webhook", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def show(messages: list[dict]) -> list[dict]:
    """Print the bot's messages; return the buttons of the answer, numbered from 1."""
    buttons: list[dict] = []
    for message in messages:
        if message.get("text"):
            print("🤖 " + message["text"])
        for button in message.get("buttons") or []:
            buttons.append(button)
            print(f"   [{len(buttons)}] {button.get('title')}")
    return buttons


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default="demo_kid_01")
    args = parser.parse_args()
    metadata: dict = {}
    buttons: list[dict] = []
    print(f"나비얌 챗봇과 대화해요 (보내는 사람: {args.sender}). /quit 으로 끝내요.")
    while True:
        try:
            text = input("🙂 ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text in {"/quit", "/exit"}:
            return 0
        if text.startswith("/now "):
            metadata["now"] = text[5:].strip()
            print(f"   (요청 시각: {metadata['now']})")
            continue
        if text.startswith("/where "):
            lat, lng = (float(v) for v in text[7:].split()[:2])
            metadata["location"] = {"lat": lat, "lng": lng}
            print(f"   (위치: {lat}, {lng})")
            continue
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1].get("payload") or buttons[int(text) - 1].get("title", text)
        try:
            buttons = show(send(args.url, args.sender, text, metadata))
        except (urllib.error.URLError, TimeoutError) as exc:
            print(f"   (서버에 연결할 수 없어요: {exc})")


if __name__ == "__main__":
    raise SystemExit(main())
