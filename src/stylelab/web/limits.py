"""An ASGI middleware that refuses request bodies over a size limit with 413 JSON.

A declared ``Content-Length`` over the limit is refused before any of the body
is read; a body without one (chunked) is counted as it arrives and refused as
soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stylelab.web.settings import MEBIBYTE


def too_large_message(limit: int) -> str:
    """``the request body is larger than the limit of 20 MB`` (or KB for small limits)."""
    size = f"{limit / MEBIBYTE:g} MB" if limit >= MEBIBYTE else f"{limit / 1024:g} KB"
    return f"the request body is larger than the limit of {size}"


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Wraps ``app``; ``limit_for(path)`` gives the largest body allowed for a path, in bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if started:
                raise
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": too_large_message(limit)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
