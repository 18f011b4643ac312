"""Fan events out from the job monitor's thread to Server-Sent-Event streams.

Each stream subscribes to one experiment and gets an :class:`asyncio.Queue` fed
through its event loop's ``call_soon_threadsafe``; publishing never blocks.
A stream that falls far behind loses its oldest events rather than letting the
queue grow without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import Any

QUEUE_LIMIT = 256
CLOSE = {"type": "close"}  # internal: the server is stopping; streams end without an "end" event


class Subscription:
    """One listener on one experiment."""

    def __init__(self, key: str, loop: asyncio.AbstractEventLoop) -> None:
        self.key = key
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)

    def offer(self, event: dict[str, Any]) -> None:
        """Queue ``event`` (runs on the subscriber's loop); drop the oldest one when full."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(event)


class EventBroker:
    """Thread-safe publish/subscribe keyed by experiment id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[str, set[Subscription]] = {}
        self.closed = False

    def subscribe(self, key: str) -> Subscription:
        """Listen to ``key``; call from the event loop that will read the queue."""
        subscription = Subscription(key, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.setdefault(key, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            listeners = self._subscriptions.get(subscription.key, set())
            listeners.discard(subscription)
            if not listeners:
                self._subscriptions.pop(subscription.key, None)

    def publish(self, key: str, event: dict[str, Any]) -> None:
        """Deliver ``event`` to every listener of ``key``; safe from any thread."""
        with self._lock:
            listeners = list(self._subscriptions.get(key, ()))
        for subscription in listeners:
            with contextlib.suppress(RuntimeError):  # the listener's loop has closed
                subscription.loop.call_soon_threadsafe(subscription.offer, event)

    def close_all(self) -> None:
        """Ask every stream to end (the server is stopping); safe from any thread or a signal handler."""
        self.closed = True
        with self._lock:
            listeners = [s for subscriptions in self._subscriptions.values() for s in subscriptions]
        for subscription in listeners:
            with contextlib.suppress(RuntimeError):
                subscription.loop.call_soon_threadsafe(subscription.offer, CLOSE)

    def listeners(self, key: str) -> int:
        with self._lock:
            return len(self._subscriptions.get(key, ()))


def format_event(event: dict[str, Any]) -> str:
    """One Server-Sent Event carrying ``event`` as JSON (``data:`` line, blank line)."""
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n"
