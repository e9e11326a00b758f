"""The Dramatiq broker of the distributed mode, chosen by the scheme of ``CANNASYNC_BROKER_URL``.

Two queues per hub, named under ``CANNASYNC_BROKER_NAMESPACE``: ``<ns>.pushes`` (outbox sends: orders into the
POS) and ``<ns>.runs`` (flow runs: catalogue pulls, status polls). Pushes have their own queue, so a backlog of
runs never sits in front of an order at the broker, and the higher priority (a lower number), so a worker that
holds both kinds of message starts the push first. ``cannasync worker --queue pushes`` dedicates a worker to them.
"""

from __future__ import annotations

from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

RUNS = "runs"
PUSHES = "pushes"
#: Dramatiq runs the lowest number first among the messages a worker holds.
PRIORITY = {PUSHES: 0, RUNS: 10}


def queue_name(namespace: str, queue: str) -> str:
    return f"{namespace}.{queue}"


def make_broker(url: str, namespace: str) -> Broker:
    """A RedisBroker for ``redis://``/``rediss://``, a RabbitmqBroker for ``amqp://``/``amqps://``."""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("redis", "rediss"):
        # dramatiq ships py.typed but leaves RedisBroker.__init__ unannotated.
        return RedisBroker(url=url, namespace=namespace)  # type: ignore[no-untyped-call]
    if scheme in ("amqp", "amqps"):
        return RabbitmqBroker(url=url)
    raise ValueError(f"CANNASYNC_BROKER_URL must start with redis://, rediss://, amqp:// or amqps://, not {scheme}://")
