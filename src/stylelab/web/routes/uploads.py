"""Uploads of photos, paintings and drawings.

The file itself is the request body (not a form), read in chunks and written
to ``tmp/`` so that the size limit holds without ever holding the whole body;
its type is decided by decoding it, never by its name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from stylelab.errors import InputError, OutputError
from stylelab.experiments.store import store_picture
from stylelab.web.schemas import ImageOut, image_out
from stylelab.web.state import State

router = APIRouter(prefix="/api/uploads", tags=["uploads"])
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
LABEL_LENGTH = 80


def display_label(name: str, fallback: str) -> str:
    """A short, printable label from a file name the browser sent (shown, never used as a path)."""
    base = re.split(r"[\\/]", name)[-1]
    base = _UNPRINTABLE.sub("", base).strip()
    return base[:LABEL_LENGTH] or fallback


async def receive_to_file(request: Request, path: Path) -> int:
    """Write the request body to ``path`` chunk by chunk; return its size.

    The app's :class:`~stylelab.web.limits.BodyLimit` middleware has already refused a body
    declared over the upload limit, and stops one that passes it while streaming (413).

    Raises:
        InputError: the client went away before the whole body arrived (a closed tab).
        OutputError: the data dir cannot take the file (a full or read-only disk).
    """
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as out:  # each write in a worker thread, off the event loop
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    await out.write(chunk)
            except ClientDisconnect:
                raise InputError("the upload was cut off: the connection closed before the whole file "
                                 "arrived") from None
    except OSError as exc:
        raise OutputError(f"the upload cannot be stored in {path.parent} ({exc.strerror or exc})") from None
    return size


@router.post("", status_code=201)
async def upload(
    request: Request,
    state: State,
    role: Annotated[Literal["photo", "painting", "drawing"], Query()],
    name: Annotated[str, Query(max_length=4096)] = "",
) -> ImageOut:
    """Store an image sent as the raw request body; ``name`` is only a label.

    Errors: 413 too large, 415 a form instead of a file, 422 empty, not an image,
    damaged, too small, too many pixels or too extreme an aspect ratio.
    """
    settings = state.settings
    if request.headers.get("content-type", "").startswith("multipart/"):
        raise HTTPException(415, "send the image file itself as the request body, not a multipart form")
    label = display_label(name, role)
    temp = state.files.temp_path()
    try:
        size = await receive_to_file(request, temp)
        if size == 0:
            raise HTTPException(422, f"{label}: file is empty")
        async with state.decoding():
            record = await run_in_threadpool(
                store_picture,
                state.store,
                state.files,
                temp,
                role,
                label,
                settings.image_limits,
                settings.stored_size,
            )
    finally:
        await run_in_threadpool(temp.unlink, missing_ok=True)
    return image_out(record)
