"""Stored pictures by id: full size, thumbnail, and as a download."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from stylelab.experiments.store import ImageRecord
from stylelab.web.schemas import ObjectId
from stylelab.web.state import AppState, State

router = APIRouter(prefix="/api/images", tags=["images"])
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}  # ids are never reused
CHUNK = 64 * 1024


def _record(state: AppState, image_id: str) -> ImageRecord:
    record = state.store.image(image_id)
    if record is None or not state.files.image_path(image_id).is_file():
        raise HTTPException(404, f"no image with id {image_id}")
    return record


def _file(path: Path, image_id: str, media_type: str, headers: dict[str, str]) -> StreamingResponse:
    """The file at ``path``, opened here: a picture deleted with its experiment since ``_record`` found it
    is a 404 (not a response that fails to open it, a 500), and one deleted while it is sent stays readable."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        raise HTTPException(404, f"no image with id {image_id}") from None
    size = os.fstat(file.fileno()).st_size
    return StreamingResponse(_chunks(file), media_type=media_type, headers={**headers, "Content-Length": str(size)})


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    with file:
        while chunk := file.read(CHUNK):
            yield chunk


@router.get("/{image_id}")
def image(image_id: ObjectId, state: State) -> StreamingResponse:
    _record(state, image_id)
    return _file(state.files.image_path(image_id), image_id, "image/png", IMMUTABLE)


@router.get("/{image_id}/thumb")
def thumbnail(image_id: ObjectId, state: State) -> StreamingResponse:
    _record(state, image_id)
    return _file(state.files.thumb_path(image_id), image_id, "image/jpeg", IMMUTABLE)


@router.get("/{image_id}/download")
def download(
    image_id: ObjectId,
    state: State,
    name: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = None,
) -> StreamingResponse:
    """The picture as a file ``stylelab-NAME.png`` (the page names it after its experiment and role)."""
    record = _record(state, image_id)
    filename = f"stylelab-{name or f'{record.role}-{record.id}'}.png"  # letters, digits, - and _ only
    return _file(state.files.image_path(image_id), image_id, "image/png",
                 {"Content-Disposition": f'attachment; filename="{filename}"'})
