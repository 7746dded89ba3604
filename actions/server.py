"""The action server: rasa-sdk's HTTP endpoint, with the recommendation engine warmed up.

Start it with ``python -m actions.server --actions actions --port 5055`` (scripts/serve.sh);
it takes rasa-sdk's own command-line options. rasa-sdk has no start-up hook, so this
module builds the same Sanic app as ``rasa_sdk.endpoint.run`` and adds a listener and a
middleware: once each worker process serves, it loads the gazetteer, the catalog, Kiwi, the
encoder, the index and the ranker (``naviyam.usecases.warm_up``, on a thread so the loop
stays free); until that is done ``/health`` answers 503 ("warming up") and an action call
waits for it, so the server reports ready only once the first request is as fast as the
rest (issue 11). The warm-up starts after the worker is up, not in ``before_server_start``:
Sanic gives a worker 30 s to acknowledge its start and kills the process group otherwise,
and under load the warm-up took longer than that. Warm-up is best effort: a failure is
logged, ``/health`` turns ready and the first request loads lazily.
``NAVIYAM_WARMUP=0`` turns it off; ``python -m rasa_sdk --actions actions`` still serves
the same actions, without the warm-up and without the thread pool below.

rasa-sdk awaits each action's ``run`` on the server's one event loop, and our actions call
synchronous use cases (database, numpy, the card operator over HTTP): run there, one slow turn
would stall every other conversation. ``ThreadedActionExecutor`` runs each action on a worker
thread (``NAVIYAM_ACTION_THREADS``, default 8) with its own short-lived event loop, so the
server's loop only parses requests and writes answers.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.__main__ import main_from_args
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response
from sanic.worker.loader import AppLoader

from naviyam.config import ConfigurationError, get_recommend_settings, get_settings
from naviyam.usecases.startup import check_keys
from naviyam.usecases.warm_up import warm_up

log = logging.getLogger(__name__)
_POOL: ThreadPoolExecutor | None = None


def action_pool() -> ThreadPoolExecutor:
    """This process's pool of action threads (created on first use, after Sanic forked the worker)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=get_settings().action_threads, thread_name_prefix="naviyam-action")
    return _POOL


_THREAD = threading.local()


def thread_loop() -> asyncio.AbstractEventLoop:
    """The calling action thread's own event loop, made once and kept for the thread's life.

    ``asyncio.run`` per action call made, and closed, a new loop (selector, self-pipe) every
    time: about 4 % of the action server's CPU in a recommendation turn (docs/PERFORMANCE.md).
    An action's coroutine runs to completion on it; the loop stays idle between calls.
    """
    loop = getattr(_THREAD, "loop", None)
    if loop is None or loop.is_closed():
        loop = _THREAD.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    return loop


class ThreadedActionExecutor(ActionExecutor):
    """rasa-sdk's executor, running each action on a worker thread with its own event loop."""

    async def run(self, action_call: dict[str, Any], sink: asyncio.Queue | None = None,
                  dispatcher: Any = None) -> Any:
        if sink is not None:  # streaming transports hand chunks to this loop's queue: run here
            return await super().run(action_call, sink, dispatcher)
        run_here = super().run

        def on_worker_thread() -> Any:
            return thread_loop().run_until_complete(run_here(action_call, None, dispatcher))

        return await asyncio.get_running_loop().run_in_executor(action_pool(), on_worker_thread)


async def start_warm_up(app: Sanic) -> None:
    """Listener (each worker, once it serves): warm the engine up on a thread, in the background."""
    app.ctx.warming = asyncio.get_running_loop().run_in_executor(None, warm_up)


async def wait_until_warm(request: Request) -> HTTPResponse | None:
    """Middleware: ``/health`` is 503 while this worker warms up; an action call waits for it."""
    warming = getattr(request.app.ctx, "warming", None)
    if warming is None or warming.done():
        return None
    if request.path.rstrip("/") == "/health":
        return response.json({"status": "warming up"}, status=503)
    await asyncio.wait({warming})   # never raises; a failed warm-up leaves lazy loading
    return None


def create_app(action_executor: ActionExecutor, **options: Any) -> Sanic:
    """rasa-sdk's app for the primary process and each worker, plus the warm-up.

    Module-level so Sanic's ``AppLoader`` can pickle it for the worker processes.
    """
    app = create_app_for_serve(action_executor, **options)
    if get_recommend_settings().warm_up:
        app.register_listener(start_warm_up, "after_server_start")
        app.register_middleware(wait_until_warm, "request")
    return app


def serve(args: argparse.Namespace) -> None:
    """What ``rasa_sdk.__main__.main_from_args`` and ``rasa_sdk.endpoint.run`` do, with ``create_app``."""
    if args.grpc:  # the gRPC server has no app to extend: served as rasa-sdk does, no warm-up
        main_from_args(args)
        return
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    executor = ThreadedActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_app, executor, cors_origins=args.cors,
                                       auto_reload=args.auto_reload, endpoints=args.endpoints))
    app = loader.load()
    # SANIC_HOST is rasa-sdk's own variable (default here: 127.0.0.1, not rasa-sdk's 0.0.0.0);
    # SANIC_WORKERS is read by rasa-sdk itself.
    app.prepare(host=get_settings().action_host, port=args.port,
                ssl=create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password),
                workers=utils.number_of_sanic_workers())
    log.info("Action endpoint is up and running on port %s", args.port)
    Sanic.serve(primary=app, app_loader=loader)


def main(argv: list[str] | None = None) -> None:
    args = create_argument_parser().parse_args(argv)
    try:
        check_keys()  # refuse to start without the keys children's data needs
    except ConfigurationError as error:
        raise SystemExit(f"naviyam action server not started: {error}") from None
    serve(args)


if __name__ == "__main__":
    main()
