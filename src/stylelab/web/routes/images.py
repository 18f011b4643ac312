"""Stored pictures by id: full size, thumbnail, and as a download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from stylelab.experiments.store import ImageRecord
from stylelab.web.schemas import ObjectId
from stylelab.web.state import AppState, State

router = APIRouter(prefix="/api/images", tags=["images"])
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}  # ids are never reused


def _record(state: AppState, image_id: str) -> ImageRecord:
    record = state.store.image(image_id)
    if record is None or not state.files.image_path(image_id).is_file():
        raise HTTPException(404, f"no image with id {image_id}")
    return record


def whole_file(path: Path, media_type: str, headers: dict[str, str], missing: str) -> Response:
    """The file at ``path``, read whole in one open; 404 with ``missing`` if it is not there.

    Not a FileResponse: a file deleted since it was looked up (a picture with its experiment) made that a
    500, and one replaced atomically while it was sent (a Gatys preview) was cut short. Not streamed:
    stored pictures are at most a few MB, and a stream that a leaving page drops would hold its file open
    until garbage collection.
    """
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise HTTPException(404, missing) from None
    return Response(content, media_type=media_type, headers=headers)


@router.get("/{image_id}")
def image(image_id: ObjectId, state: State) -> Response:
    _record(state, image_id)
    return whole_file(state.files.image_path(image_id), "image/png", IMMUTABLE, f"no image with id {image_id}")


@router.get("/{image_id}/thumb")
def thumbnail(image_id: ObjectId, state: State) -> Response:
    _record(state, image_id)
    return whole_file(state.files.thumb_path(image_id), "image/jpeg", IMMUTABLE, f"no image with id {image_id}")


@router.get("/{image_id}/download")
def download(
    image_id: ObjectId,
    state: State,
    name: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = None,
) -> Response:
    """The picture as a file ``stylelab-NAME.png`` (the page names it after its experiment and role)."""
    record = _record(state, image_id)
    filename = f"stylelab-{name or f'{record.role}-{record.id}'}.png"  # letters, digits, - and _ only
    return whole_file(state.files.image_path(image_id), "image/png",
                      {"Content-Disposition": f'attachment; filename="{filename}"'}, f"no image with id {image_id}")
