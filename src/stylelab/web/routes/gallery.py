"""The bundled photos and paintings, and a random pick of one of each."""

from __future__ import annotations

import random
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from stylelab.web.schemas import GalleryOut, RandomPick
from stylelab.web.state import State

router = APIRouter(prefix="/api/gallery", tags=["gallery"])
CACHE_ONE_DAY = {"Cache-Control": "public, max-age=86400"}


@router.get("")
def gallery(state: State) -> GalleryOut:
    return GalleryOut(photos=state.gallery.items("photos"), paintings=state.gallery.items("styles"))


@router.get("/random")
def random_pick(state: State) -> RandomPick:
    """One bundled photo and one bundled painting, picked at random ("surprise me")."""
    return RandomPick(
        photo=random.choice(state.gallery.items("photos")),
        painting=random.choice(state.gallery.items("styles")),
    )


@router.get("/{folder}/{name}.jpg")
def gallery_image(
    folder: Literal["photos", "styles"],
    name: Annotated[str, PathParam(pattern=r"^[a-z0-9_]{1,64}$")],
    state: State,
) -> FileResponse:
    path = state.gallery.path(folder, name)
    if path is None:
        raise HTTPException(404, f"no bundled image {folder}/{name}")
    return FileResponse(path, media_type="image/jpeg", headers=CACHE_ONE_DAY)
