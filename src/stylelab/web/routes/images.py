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


def _file(path: Path, image_id: str, media_type: str, headers: dict[str, str]) -> Response:
    """The file at ``path``, read here: a picture deleted with its experiment since ``_record`` found it is
    a 404 (a FileResponse would fail to open it: a 500). Read whole, not streamed: stored pictures are at
    most a few MB, and a stream that a leaving page drops would hold its file open until garbage collection."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise HTTPException(404, f"no image with id {image_id}") from None
    return Response(content, media_type=media_type, headers=headers)


@router.get("/{image_id}")
def image(image_id: ObjectId, state: State) -> Response:
    _record(state, image_id)
    return _file(state.files.image_path(image_id), image_id, "image/png", IMMUTABLE)


@router.get("/{image_id}/thumb")
def thumbnail(image_id: ObjectId, state: State) -> Response:
    _record(state, image_id)
    return _file(state.files.thumb_path(image_id), image_id, "image/jpeg", IMMUTABLE)


@router.get("/{image_id}/download")
def download(
    image_id: ObjectId,
    state: State,
    name: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = None,
) -> Response:
    """The picture as a file ``stylelab-NAME.png`` (the page names it after its experiment and role)."""
    record = _record(state, image_id)
    filename = f"stylelab-{name or f'{record.role}-{record.id}'}.png"  # letters, digits, - and _ only
    return _file(state.files.image_path(image_id), image_id, "image/png",
                 {"Content-Disposition": f'attachment; filename="{filename}"'})
