"""Rasa-environment helper of tests/test_event_brokers.py: publish events through Rasa's own
pika broker, or delete a test queue. Run with the Rasa environment's python.

    python tests/pika_tool.py publish HOST QUEUE < events.jsonl
    python tests/pika_tool.py delete HOST QUEUE
"""
from __future__ import annotations

import asyncio
import json
import sys

import aio_pika
import rasa.shared.core.events  # noqa: F401 - the broker uses it without importing it (the server does)
from rasa.core.brokers.pika import PikaEventBroker


async def publish(host: str, queue: str) -> None:
    broker = PikaEventBroker(host, "guest", "guest", port=5672, queues=[queue], raise_on_failure=True,
                             event_loop=asyncio.get_running_loop())
    await broker.connect()
    for line in sys.stdin:
        if line.strip():
            broker.publish(json.loads(line))
    while broker._background_tasks:  # the broker publishes in background tasks
        await asyncio.gather(*list(broker._background_tasks))
    await broker.close()


async def delete(host: str, queue: str) -> None:
    connection = await aio_pika.connect_robust(f"amqp://guest:guest@{host}:5672/")
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)


if __name__ == "__main__":
    action, host, queue = sys.argv[1:4]
    asyncio.run(publish(host, queue) if action == "publish" else delete(host, queue))
