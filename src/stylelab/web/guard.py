"""An ASGI middleware that keeps other web sites out of a server meant for this machine.

* DNS rebinding: a site can point its own name at 127.0.0.1 and then read the
  API as if it were its own origin. A server bound to a loopback address
  therefore answers only requests whose ``Host`` is a loopback name.
* Cross-site writes: a page elsewhere may send "simple" POSTs (an upload as
  ``text/plain``) that no CORS preflight stops. A request that changes
  something is refused when its ``Origin`` is another site's, or when the
  browser marks it ``Sec-Fetch-Site: cross-site``. Requests without those
  headers (curl, scripts) are not from a browser page and pass.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` (and its subdomains), 127.0.0.0/8 and ``::1``, with or without brackets."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class SameMachineOnly:
    """Wraps ``app``; ``loopback_only``: the server listens on a loopback address (the Host check)."""

    def __init__(self, app: ASGIApp, loopback_only: bool) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
            refusal = self.refusal(scope["method"], headers)
            if refusal is not None:
                await _forbid(send, refusal)
                return
        await self.app(scope, receive, send)

    def refusal(self, method: str, headers: dict[str, str]) -> str | None:
        """Why the request is refused, or None."""
        host = headers.get("host", "")
        hostname = urlsplit(f"//{host}").hostname or ""
        if self.loopback_only and not is_loopback(hostname):
            return (f"this server answers only as localhost or 127.0.0.1, not as {host or '(no host)'}; "
                    "open it at http://127.0.0.1")
        if method in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return f"refused: the request was sent by another site ({origin})"
        if headers.get("sec-fetch-site") == "cross-site":
            return "refused: the request was sent by another site"
        return None


async def _forbid(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
