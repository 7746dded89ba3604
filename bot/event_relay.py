"""RabbitMQ → Rasa's SQL broker table: the production half of the event path (docs/LEARNING_LOOP.md).

Rasa's pika broker publishes every conversation event, persistent, to a durable queue
(``event_broker`` in the rendered endpoints). This process consumes that queue with
aio-pika and writes each message through Rasa's own ``SQLEventBroker`` into the ``events``
table that the app's consumer (``python -m naviyam.manage consume-events``) reads. A
message is acknowledged only after it is stored, so nothing is lost while the relay or
the consumer is down; a copy stored twice (a crash between store and ack) is skipped by
the consumer, which keys every event. It runs in the Rasa environment because aio-pika
ships there (the app environment has no AMQP client; see the report of issue 15).

    python -m bot.event_relay --endpoints var/endpoints.yml [--once]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from typing import Any, Dict, Optional, Text

import aio_pika
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import read_endpoint_config

logger = logging.getLogger("naviyam.event_relay")


def _amqp_url(config: Any) -> Text:
    kwargs = config.kwargs
    return (f"amqp://{kwargs.get('username', 'guest')}:{kwargs.get('password', 'guest')}@"
            f"{config.url}:{int(kwargs.get('port', 5672))}/")


async def relay(endpoints: Text, stop: asyncio.Event, *, once: bool = False) -> int:
    """Move messages until ``stop`` is set (``once``: until the queue is empty). Returns how many."""
    pika_config = read_endpoint_config(endpoints, "event_broker")
    sql_config = read_endpoint_config(endpoints, "naviyam_event_relay")
    if pika_config is None or pika_config.type != "pika" or sql_config is None:
        raise SystemExit("the endpoints file has no pika event_broker and naviyam_event_relay sections")
    target = SQLEventBroker(host=sql_config.url, **{k: v for k, v in sql_config.kwargs.items() if k != "type"})
    queue_name = (pika_config.kwargs.get("queues") or ["rasa_core_events"])[0]
    connection = await aio_pika.connect_robust(_amqp_url(pika_config))
    moved = 0
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        queue = await channel.declare_queue(queue_name, durable=True)  # as Rasa declares it
        while not stop.is_set():
            message: Optional[aio_pika.abc.AbstractIncomingMessage] = await queue.get(fail=False)
            if message is None:
                if once:
                    break
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
                except asyncio.TimeoutError:
                    pass
                continue
            try:
                event: Dict[Text, Any] = json.loads(message.body)
                if not isinstance(event, dict):
                    raise ValueError("not an object")
            except ValueError:
                # Store it as is: the consumer dead-letters it with the reason.
                event = {"sender_id": None, "event": None, "_raw": message.body.decode("utf-8", "replace")}
            target.publish(event)
            await message.ack()
            moved += 1
    return moved


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bot.event_relay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", default="var/endpoints.yml")
    parser.add_argument("--once", action="store_true", help="stop when the queue is empty")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    moved = loop.run_until_complete(relay(args.endpoints, stop, once=args.once))
    logger.info("relayed %d event(s)", moved)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
