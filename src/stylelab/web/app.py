"""The FastAPI app: ``create_app(settings)`` builds it; its lifespan runs the jobs.

Nothing is created at import time. ``create_app`` makes the data dir, takes its
lock (one server per data dir) and makes the database, so a bad or busy
``--data-dir`` fails before the server starts; the worker processes start with
the app's lifespan and stop with it, marking running jobs interrupted (queued
ones run after the next start), and the lock is given up with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import logging
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from stylelab import __version__
from stylelab.errors import ConfigError, InputError, JobError, ModelError, OutputError, StylelabError, plain_message
from stylelab.experiments.methods import NeuralMethods
from stylelab.experiments.runner import JobRunner
from stylelab.experiments.store import ID_PATTERN, DataDir, Store
from stylelab.locks import FolderLock, data_dir_lock
from stylelab.web.events import EventBroker
from stylelab.web.guard import SameMachineOnly, is_loopback
from stylelab.web.limits import BodyLimit
from stylelab.web.routes import ROUTERS
from stylelab.web.schemas import IMAGE_REF_PATTERN
from stylelab.web.settings import WebSettings
from stylelab.web.state import DECODE_SLOTS, AppState, bundled_gallery

LOG = logging.getLogger(__name__)
ERROR_STATUS = ((InputError, 422), (ConfigError, 422), (JobError, 409), (ModelError, 503), (OutputError, 500))
JSON_BODY_LIMIT = 64 * 1024
UNUSED_IMAGE_SECONDS = 24 * 3600  # an upload no experiment took for a day is forgotten,
UNUSED_SWEEP_SECONDS = 3600.0  # at each start and then every hour while the server runs
PATTERN_HINTS = {
    IMAGE_REF_PATTERN: "expected gallery:photos/NAME or gallery:styles/NAME (NAME as /api/gallery lists it, "
    "without .jpg) or the id of an upload",
    ID_PATTERN: "expected a 16-hex-digit id",
}


def static_dir() -> Path:
    return Path(str(importlib.resources.files("stylelab.web") / "static"))


def create_app(settings: WebSettings) -> FastAPI:
    """Build the web app for ``settings``.

    Raises:
        OutputError: the data dir or its database cannot be created.
        ConfigError: another server uses the data dir.
    """
    files, lock, store = _open_data_dir(settings)
    state = AppState(settings, store, files, EventBroker(), bundled_gallery())
    app = FastAPI(
        title="Style Lab",
        version=__version__,
        lifespan=_lifespan(state, lock),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.stylelab = state
    weakref.finalize(app, lock.release)  # an app dropped without running its lifespan frees the data dir
    app.add_middleware(
        BodyLimit,
        limit_for=lambda path: (
            settings.max_upload_bytes
            if path.startswith("/api/uploads") or path.endswith("/draft")
            else JSON_BODY_LIMIT
        ),
    )
    app.add_middleware(SameMachineOnly, loopback_only=is_loopback(settings.host))  # outermost: first to judge
    _add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    _add_page(app)
    return app


def _open_data_dir(settings: WebSettings) -> tuple[DataDir, FolderLock, Store]:
    """Lock the data dir, make its folders and database, forget uploads nothing has used for a day, and
    remove files that no record owns (left by a cancelled job, a deletion during a save, or a crash)."""
    files = DataDir(settings.data_dir)
    lock = data_dir_lock(files.root)
    files.make_root()
    lock.acquire()  # before create(): it empties tmp/, which a running server writes to
    try:
        files.create()
        store = Store(files.database)
        store.create()
        forget_unused_images(store, files)
        files.remove_orphans(store.known_ids())
    except BaseException:
        lock.release()
        raise
    return files, lock, store


def forget_unused_images(store: Store, files: DataDir) -> None:
    """Forget the uploads that no experiment took within ``UNUSED_IMAGE_SECONDS``, files and all."""
    files.remove_image_files(store.remove_unused_images(UNUSED_IMAGE_SECONDS))


async def _forget_unused_images_hourly(state: AppState) -> None:
    """A server left running for days forgets unused uploads too, not only at its next start."""
    while True:
        await asyncio.sleep(UNUSED_SWEEP_SECONDS)
        try:
            await run_in_threadpool(forget_unused_images, state.store, state.files)
        except Exception:  # a busy or full disk now must not end the sweeps to come
            LOG.exception("forgetting unused uploads")


def _lifespan(state: AppState, lock: FolderLock):
    """The job runner's life: started with the server, stopped (its workers too) when it stops."""
    settings = state.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock.acquire()  # again, if an earlier lifespan of this app gave it up
        runner = JobRunner(state.store, state.files, settings.methods or NeuralMethods(), settings.runner,
                           state.publish)
        await run_in_threadpool(runner.start)
        state.runner = runner
        state.decode_slots = asyncio.Semaphore(DECODE_SLOTS)
        sweeps = asyncio.create_task(_forget_unused_images_hourly(state))
        try:
            yield
        finally:
            sweeps.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeps
            state.runner = None
            await run_in_threadpool(runner.stop)
            lock.release()

    return lifespan


def _add_page(app: FastAPI) -> None:
    index = static_dir() / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)  # HEAD: uptime checks
    def home() -> FileResponse:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")


def _problem(error: dict) -> str:
    """``field: message``; a body that is not JSON, or not an object, is said in plain words."""
    if error["type"] == "json_invalid":
        return "the request body is not valid JSON"
    field = ".".join(str(part) for part in error["loc"] if part != "body")
    if not field:  # the body itself: an array, a number, null or nothing
        return "the request body must be a JSON object"
    return f"{field}: {_readable(error)}"


def _readable(error: dict) -> str:
    """Pydantic's message, except a pattern's regular expression: what the value should look like."""
    if error["type"] == "string_pattern_mismatch":
        return PATTERN_HINTS.get(error.get("ctx", {}).get("pattern"), error["msg"])
    return error["msg"]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StylelabError)
    async def stylelab_error(request: Request, exc: StylelabError) -> JSONResponse:
        status = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": plain_message(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_problem(error) for error in exc.errors()]
        # without each error's "input": it may be large, or NaN/Infinity, which JSON cannot carry
        errors = [{key: error[key] for key in ("loc", "msg", "type") if key in error} for error in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems), "errors": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        LOG.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)
