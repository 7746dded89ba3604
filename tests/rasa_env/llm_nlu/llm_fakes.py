"""Local fakes of third-party LLM servers for the component tests (aiohttp, own thread).

- ``/oai``: an OpenAI-compatible server (as vLLM): ``/v1/completions`` with ``echo`` +
  ``logprobs`` gives each intent label a log-probability by keywords of the sentence;
  ``/v1/chat/completions`` answers JSON.
- ``/nologprobs``: like ``/oai`` but ``/v1/completions`` is missing (as Ollama's chat-only setups).
- ``/slow``: a naviyam model server that answers after 2 s.
- ``/broken``: a naviyam model server that fails with HTTP 500.
"""
from __future__ import annotations

import asyncio
import json
import re
import threading

from aiohttp import web

KEYWORDS = {
    "coupon_inquiry": "쿠폰",
    "balance_check": "잔액",
    "greet": "안녕",
    "food_request": "먹",
    "budget_inquiry": "원",
}


def _sentence(prompt: str) -> str:
    """The message of a prompt: its last 문장 line (few-shot examples come before it)."""
    found = re.findall(r"문장: (.*)\n", prompt)
    return found[-1] if found else ""


def best_intent(sentence: str, intents) -> str:
    for intent in intents:
        if KEYWORDS.get(intent, "\0") in sentence:
            return intent
    return intents[0]


class FakeServers:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port: int | None = None
        self.requests: list[tuple[str, dict]] = []

    # ------------------------------------------------------------------ handlers
    async def completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
        choices = []
        for index, text in enumerate(prompts):
            if text.endswith("개체:"):
                sentence = _sentence(text)
                found = re.search(r"\d*[만천]원", sentence)
                generated = f" budget={found.group(0)}" if found else " -"
                choices.append({"index": index, "text": generated, "logprobs": None})
                continue
            prompt, _, label = text.rpartition("의도:")
            prompt += "의도:"
            intent = label.strip()
            score = -0.2 if KEYWORDS.get(intent, "\0") in _sentence(prompt) else -4.0
            # tokens: the whole prompt, the label in two pieces, one generated token
            tokens = [prompt, label[:2], label[2:], "x"]
            offsets = [0, len(prompt), len(prompt) + 2, len(text)]
            choices.append({"index": index, "text": text + "x", "logprobs": {
                "tokens": tokens, "token_logprobs": [None, score / 2, score / 2, -1.0],
                "text_offset": offsets, "top_logprobs": None}})
        return web.json_response({"model": body.get("model"), "choices": choices})

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        intents = re.findall(r"^- (\w+)", system, re.MULTILINE)
        intent = best_intent(user, intents)
        found = re.search(r"\d*[만천]원", user)
        entities = [{"entity": "budget", "value": found.group(0)}] if found else []
        content = "```json\n" + json.dumps({"intent": intent, "confidence": 0.9, "entities": entities},
                                           ensure_ascii=False) + "\n```"
        return web.json_response({"model": body.get("model"),
                                  "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})

    async def missing(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, {}))
        return web.json_response({"error": "not found"}, status=404)

    async def slow(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.path, body))
        await asyncio.sleep(2)  # the fake server is slow; the test itself never sleeps
        return web.json_response({"intents": [{"name": body["intents"][0], "confidence": 1.0}], "entities": []})

    async def broken(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, {}))
        return web.json_response({"error": "boom"}, status=500)

    # ------------------------------------------------------------------ lifecycle
    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/oai/v1/completions", self.completions)
        app.router.add_post("/oai/v1/chat/completions", self.chat)
        app.router.add_post("/nologprobs/v1/completions", self.missing)
        app.router.add_post("/nologprobs/v1/chat/completions", self.chat)
        app.router.add_post("/slow/v1/nlu/parse", self.slow)
        app.router.add_post("/broken/v1/nlu/parse", self.broken)
        return app

    async def _start(self) -> None:
        self.runner = web.AppRunner(self._app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=10)

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.port}/{prefix}"
