"""HTTP model server for the LLM NLU component (app environment: torch, transformers, peft).

Endpoints:
- ``GET /health`` → ``{"status": "ok", "model": ..., "intents": [...]}`` once loaded.
- ``POST /v1/nlu/parse`` with ``{"text": str, "intents": [str]?, "context": {}?,
  "entities": bool?}`` → ``{"intents": [{"name", "confidence"}...], "entities":
  [{"entity", "value", "start", "end"}...], "model": str, "latency_ms": float}``.
  ``intents`` defaults to the adapter's trained intents; the ranking covers every
  candidate and the confidences sum to 1 (softmax of label log-likelihoods). An optional
  ``"adapter": version`` picks one of the registry's serving adapters (unknown: production);
  ``model`` names the version that answered.
- ``GET /v1/nlu/adapters`` → ``{"production": {"version"}, "canary": {"version", "percent"} | null}``:
  what the Rasa component routes by (``naviyam.shared.canary.serves_canary``).

Adapters: with ``--adapter`` (or ``NAVIYAM_LLM_ADAPTER``) that one adapter serves everyone. Otherwise,
with ``NAVIYAM_LLM_REGISTRY`` auto (default) or on, the model registry's production and canary
NLU adapters serve side by side (``ml.llm.adapter_pool``; re-read every NAVIYAM_REGISTRY_REFRESH_S);
``python -m ml.llm.finetune_lora --register`` adds them. With an empty registry (auto) the default
adapter dir serves, as before.

Configuration (CLI option, else environment variable through ``naviyam.config.LLMSettings``, else default):
- ``--base-model`` / ``NAVIYAM_LLM_BASE_MODEL`` (default ``models/llm/tiny-base``)
- ``--adapter`` / ``NAVIYAM_LLM_ADAPTER`` (a pin; default: the registry's, else ``models/llm/adapter`` if it
  exists; ``none`` to serve the base)
- ``--registry`` / ``NAVIYAM_LLM_REGISTRY`` (auto, on, off)
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

from ml.llm.adapter_pool import AdapterPool, FixedScorer
from naviyam.shared.canary import ADAPTER_KIND
from naviyam.config import LLMSettings, get_learning_settings, get_llm_settings

logger = logging.getLogger("naviyam.llm.server")

SCORER_KEY = web.AppKey("scorer", object)
EXECUTOR_KEY = web.AppKey("executor", ThreadPoolExecutor)
LIMITS_KEY = web.AppKey("limits", dict)
REFRESH_KEY = web.AppKey("refresh", asyncio.Task)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def health(request: web.Request) -> web.Response:
    scorer = request.app[SCORER_KEY]
    return web.json_response({"status": "ok", "model": scorer.name, "intents": scorer.default_intents})


async def adapters(request: web.Request) -> web.Response:
    return web.json_response(request.app[SCORER_KEY].serving())


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
    adapter = body.get("adapter")
    if adapter is not None and (not isinstance(adapter, str) or not 0 < len(adapter) <= 80):
        return _error(400, "'adapter' must be a version name")
    scorer = request.app[SCORER_KEY]
    if not intents and not scorer.default_intents:
        return _error(400, "no 'intents' given and the served adapter lists none")
    loop = asyncio.get_running_loop()
    try:
        result, model = await loop.run_in_executor(
            request.app[EXECUTOR_KEY], lambda: scorer.parse(text, intents, context, with_entities, adapter)
        )
    except Exception:  # noqa: BLE001 - report, keep serving
        logger.exception("parse failed for a %d-character text", len(text))
        return _error(500, "inference failed")
    return web.json_response(dumps=_dumps, data={
        "intents": result.intents,
        "entities": result.entities,
        "model": model,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    })


def create_app(scorer, *, max_text_chars: int = 500, refresh_s: float = 0.0) -> web.Application:
    """``scorer``: an ``AdapterPool`` or a ``FixedScorer`` (ml.llm.adapter_pool); with
    ``refresh_s`` > 0 the registry is re-read that often, in the inference thread."""
    app = web.Application(client_max_size=64 * 1024)
    app[SCORER_KEY] = scorer
    app[EXECUTOR_KEY] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-infer")
    app[LIMITS_KEY] = {"max_text_chars": max_text_chars}

    async def refresh_forever() -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(refresh_s)
            try:
                if await loop.run_in_executor(app[EXECUTOR_KEY], scorer.refresh):
                    logger.info("NLU adapters now served: %s", scorer.serving())
            except Exception:  # noqa: BLE001 - keep serving what is loaded; retry next time
                logger.exception("Could not re-read the model registry")

    async def start_refresh(app: web.Application) -> None:
        if refresh_s > 0:
            app[REFRESH_KEY] = asyncio.get_running_loop().create_task(refresh_forever())

    async def shutdown(app: web.Application) -> None:
        task = app.get(REFRESH_KEY)
        if task is not None:
            task.cancel()
        app[EXECUTOR_KEY].shutdown(wait=False, cancel_futures=True)

    app.on_startup.append(start_refresh)
    app.on_cleanup.append(shutdown)
    app.router.add_get("/health", health)
    app.router.add_get("/v1/nlu/adapters", adapters)
    app.router.add_post("/v1/nlu/parse", parse)
    return app


def _registry_pool(args: argparse.Namespace) -> AdapterPool | None:
    """The registry's adapters on the base model, or None when it serves none (or is unreachable)."""
    from naviyam.usecases.learning.serving import read_snapshot

    def read_registry() -> dict:
        return read_snapshot(ADAPTER_KIND)

    try:
        if not read_registry().get("production"):
            logger.info("The model registry serves no NLU adapter")
            return None
    except Exception as exc:  # noqa: BLE001 - no database: the pinned or default adapter serves
        logger.warning("Model registry unreadable (%s: %s)", type(exc).__name__, exc)
        return None
    pool = AdapterPool(args.base_model, read_registry, device=args.device, dtype=args.dtype)
    pool.refresh()
    if pool.production is None:
        return None
    logger.info("Serving the registry's NLU adapters: %s", pool.serving())
    return pool


def _default_adapter(settings: LLMSettings) -> str:
    if settings.adapter:
        return settings.adapter
    default = settings.default_adapter_dir
    return str(default) if default.exists() else "none"


def parse_args(argv=None) -> argparse.Namespace:
    settings = get_llm_settings()
    parser = argparse.ArgumentParser(description="Naviyam LLM NLU model server")
    parser.add_argument("--base-model", default=settings.base_model, help="local path or hub id of the causal LM")
    parser.add_argument("--adapter", default=None,
                        help="LoRA adapter dir (a pin), or 'none'; default: the registry's, else models/llm/adapter")
    parser.add_argument("--registry", default=settings.registry, choices=("auto", "on", "off"),
                        help="serve the model registry's NLU adapters (production + canary)")
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

    settings = get_llm_settings()
    pinned = args.adapter is not None or bool(settings.adapter)
    scorer = _registry_pool(args) if args.registry == "on" or (args.registry == "auto" and not pinned) else None
    if scorer is None and args.registry == "on":
        print("NAVIYAM_LLM_REGISTRY=on but the registry serves no loadable NLU adapter", file=sys.stderr)
        raise SystemExit(2)
    if scorer is None:
        choice = args.adapter if args.adapter is not None else _default_adapter(settings)
        adapter = None if choice.lower() in {"", "none"} else choice
        try:
            scorer = FixedScorer(load_scorer(args.base_model, adapter, merge=not args.no_merge, device=args.device,
                                             dtype=args.dtype))
        except (OSError, ValueError) as exc:
            print(f"Cannot load the LLM (base {args.base_model}, adapter {adapter}): {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
    refresh_s = get_learning_settings().registry_refresh_s if isinstance(scorer, AdapterPool) else 0.0
    app = create_app(scorer, max_text_chars=args.max_text_chars, refresh_s=refresh_s)
    try:
        asyncio.run(_serve(app, args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
