"""HTTP model server for the LLM NLU component (app environment: torch, transformers, peft).

Endpoints:
- ``GET /health`` → ``{"status": "ok", "model": ..., "intents": [...]}`` once loaded.
- ``POST /v1/nlu/parse`` with ``{"text": str, "intents": [str]?, "context": {}?,
  "entities": bool?}`` → ``{"intents": [{"name", "confidence"}...], "entities":
  [{"entity", "value", "start", "end"}...], "model": str, "latency_ms": float}``.
  ``intents`` defaults to the adapter's trained intents; the ranking covers every
  candidate and the confidences sum to 1 (softmax of label log-likelihoods).

Configuration (CLI option, else environment variable through ``naviyam.config.LLMSettings``, else default):
- ``--base-model`` / ``NAVIYAM_LLM_BASE_MODEL`` (default ``models/llm/tiny-base``)
- ``--adapter`` / ``NAVIYAM_LLM_ADAPTER`` (default ``models/llm/adapter`` if it exists; ``none`` to serve the base)
- ``--host`` / ``NAVIYAM_LLM_HOST`` (127.0.0.1), ``--port`` / ``NAVIYAM_LLM_PORT`` (8800; 0 picks a free port)
- ``--threads`` / ``NAVIYAM_LLM_TORCH_THREADS`` (torch intra-op threads, default 1)
- ``--device`` / ``NAVIYAM_LLM_DEVICE`` (cpu; cuda on a GPU box), ``--dtype`` / ``NAVIYAM_LLM_DTYPE`` (float32)
- ``--max-text-chars`` / ``NAVIYAM_LLM_MAX_TEXT_CHARS`` (500)

    python -m ml.llm.model_server --port 8800

On start it prints ``NAVIYAM_LLM_SERVER_LISTENING <port>`` (useful with ``--port 0``).
Inference runs in one worker thread, one request at a time (the model is not
re-entrant); requests queue in aiohttp.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from naviyam.config import LLMSettings, get_llm_settings

logger = logging.getLogger("naviyam.llm.server")

SCORER_KEY = web.AppKey("scorer", object)
EXECUTOR_KEY = web.AppKey("executor", ThreadPoolExecutor)
LIMITS_KEY = web.AppKey("limits", dict)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def health(request: web.Request) -> web.Response:
    scorer = request.app[SCORER_KEY]
    return web.json_response({"status": "ok", "model": scorer.name, "intents": scorer.default_intents})


async def parse(request: web.Request) -> web.Response:
    started = time.perf_counter()
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any malformed body is the client's error
        return _error(400, "body must be JSON")
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return _error(400, "'text' must be a non-empty string")
    if len(text) > request.app[LIMITS_KEY]["max_text_chars"]:
        return _error(413, "'text' is too long")
    intents = body.get("intents") or None
    if intents is not None and (not isinstance(intents, list) or not all(isinstance(i, str) and i for i in intents)):
        return _error(400, "'intents' must be a list of intent names")
    context = body.get("context") or None
    if context is not None and not isinstance(context, dict):
        return _error(400, "'context' must be an object")
    with_entities = bool(body.get("entities", True))
    scorer = request.app[SCORER_KEY]
    if not intents and not scorer.default_intents:
        return _error(400, "no 'intents' given and the served adapter lists none")
    loop = asyncio.get_running_loop()
    try:
        result = await loop.run_in_executor(
            request.app[EXECUTOR_KEY], lambda: scorer.parse(text, intents, context, with_entities)
        )
    except Exception:  # noqa: BLE001 - report, keep serving
        logger.exception("parse failed for a %d-character text", len(text))
        return _error(500, "inference failed")
    return web.json_response(dumps=_dumps, data={
        "intents": result.intents,
        "entities": result.entities,
        "model": scorer.name,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    })


def create_app(scorer, *, max_text_chars: int = 500) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SCORER_KEY] = scorer
    app[EXECUTOR_KEY] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-infer")
    app[LIMITS_KEY] = {"max_text_chars": max_text_chars}

    async def shutdown(app: web.Application) -> None:
        app[EXECUTOR_KEY].shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(shutdown)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/nlu/parse", parse)
    return app


def _default_adapter(settings: LLMSettings) -> str:
    if settings.adapter:
        return settings.adapter
    default = settings.default_adapter_dir
    return str(default) if default.exists() else "none"


def parse_args(argv=None) -> argparse.Namespace:
    settings = get_llm_settings()
    parser = argparse.ArgumentParser(description="Naviyam LLM NLU model server")
    parser.add_argument("--base-model", default=settings.base_model, help="local path or hub id of the causal LM")
    parser.add_argument("--adapter", default=_default_adapter(settings), help="LoRA adapter dir, or 'none'")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port, help="0: a free port")
    parser.add_argument("--threads", type=int, default=settings.server_threads)
    parser.add_argument("--max-text-chars", type=int, default=settings.max_text_chars)
    parser.add_argument("--device", default=settings.device, help="cpu, cuda, cuda:1...")
    parser.add_argument("--dtype", default=settings.dtype, choices=("float32", "bfloat16", "float16"))
    parser.add_argument("--no-merge", action="store_true", help="keep the adapter unmerged (slower)")
    parser.add_argument("--log-level", default=settings.log_level)
    return parser.parse_args(argv)


async def _serve(app: web.Application, host: str, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the real port for --port 0
    print(f"NAVIYAM_LLM_SERVER_LISTENING {bound}", flush=True)
    logger.info("LLM model server listening on http://%s:%d", host, bound)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(max(1, args.threads))
    torch.set_num_interop_threads(1)
    from ml.llm.inference import load_scorer

    adapter = None if args.adapter.lower() in {"", "none"} else args.adapter
    try:
        scorer = load_scorer(args.base_model, adapter, merge=not args.no_merge, device=args.device,
                             dtype=args.dtype)
    except (OSError, ValueError) as exc:
        print(f"Cannot load the LLM (base {args.base_model}, adapter {adapter}): {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    app = create_app(scorer, max_text_chars=args.max_text_chars)
    try:
        asyncio.run(_serve(app, args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
