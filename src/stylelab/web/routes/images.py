"""Stored pictures by id: full size, thumbnail, and as a download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse

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


@router.get("/{image_id}")
def image(image_id: ObjectId, state: State) -> FileResponse:
    _record(state, image_id)
    return FileResponse(state.files.image_path(image_id), media_type="image/png", headers=IMMUTABLE)


@router.get("/{image_id}/thumb")
def thumbnail(image_id: ObjectId, state: State) -> FileResponse:
    _record(state, image_id)
    return FileResponse(state.files.thumb_path(image_id), media_type="image/jpeg", headers=IMMUTABLE)


@router.get("/{image_id}/download")
def download(
    image_id: ObjectId,
    state: State,
    name: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")] = None,
) -> FileResponse:
    """The picture as a file ``stylelab-NAME.png`` (the page names it after its experiment and role)."""
    record = _record(state, image_id)
    return FileResponse(
        state.files.image_path(image_id),
        media_type="image/png",
        filename=f"stylelab-{name or f'{record.role}-{record.id}'}.png",
    )
