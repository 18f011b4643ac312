"""uvicorn's server, made to stop promptly while pages follow running jobs.

On Ctrl-C uvicorn waits for open responses to end, and an event stream of an
experiment with queued jobs never ends by itself: the server kept running (and
the page kept getting progress) until every tab was closed. This server first
asks the app's event streams to close, then stops as uvicorn does.
"""

from __future__ import annotations

from types import FrameType

import uvicorn
from fastapi import FastAPI

# for any other response still open when stopping (a slow upload): wait this long, then cancel it
GRACEFUL_SHUTDOWN_SECONDS = 5


class StylelabServer(uvicorn.Server):
    """A uvicorn server for a Style Lab app that ends its event streams when asked to stop."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        super().__init__(uvicorn.Config(app, host=host, port=port, log_level="warning", ws="none",
                                        lifespan="on", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS))
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.app.state.stylelab.broker.close_all()
        super().handle_exit(sig, frame)
