"""Experiments: start one, follow it live (SSE), keep the canvas draft, finish it, list the history."""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from PIL import Image

from stylelab.errors import ConfigError, JobError
from stylelab.experiments.drafts import (
    NO_DRAFT,
    canvas_size,
    check_draft,
    draft_version,
    keep_draft,
    remove_draft,
)
from stylelab.experiments.palette import PALETTE_SIZE, extract_palette
from stylelab.experiments.sheet import make_sheet
from stylelab.experiments.store import (
    DecodedPicture,
    ExperimentRecord,
    ImageGone,
    ImageRecord,
    decode_picture,
    record_picture,
)
from stylelab.gatys.config import MIN_SIZE
from stylelab.imageio import DEFAULT_LIMITS
from stylelab.validate import integer
from stylelab.web.events import CLOSE, format_event
from stylelab.web.routes.uploads import receive_to_file
from stylelab.web.schemas import ExperimentCreate, ExperimentOut, FinishRequest, HistoryOut, ObjectId, PaletteOut
from stylelab.web.state import AppState, State, get_experiment

router = APIRouter(prefix="/api/experiments", tags=["experiments"])
Experiment = Annotated[ExperimentRecord, Depends(get_experiment)]
KEEPALIVE_SECONDS = 15.0
MIN_SIDE = DEFAULT_LIMITS.min_side  # what both methods need on the photo's short side
PAIR_LABELS = {
    "drawing_fast": "Drawing vs fast",
    "drawing_gatys": "Drawing vs Gatys",
    "fast_gatys": "Fast vs Gatys",
}


def _check_short_side(photo: ImageRecord | DecodedPicture, size: int, fast_size: int) -> None:
    """Both methods need MIN_SIDE px on the photo's short side, the Gatys method at ``size`` and the fast one
    at ``fast_size`` (the server's, which may be smaller): say so before starting either."""
    long, short = max(photo.width, photo.height), min(photo.width, photo.height)
    if round(short * size / long) < MIN_SIDE:
        smallest = math.ceil((MIN_SIDE - 0.5) * long / short)
        raise ConfigError(f"gatys_size: at {size} px this photo's short side would be {round(short * size / long)} "
                          f"px, under {MIN_SIDE} px; choose a size of at least {smallest}")
    if round(short * fast_size / long) < MIN_SIDE:
        raise ConfigError(f"photo: at this server's fast size ({fast_size} px) its short side would be "
                          f"{round(short * fast_size / long)} px, under {MIN_SIDE} px; choose a photo closer to square")


def _resolve(state: AppState, ref: str, role: str) -> ImageRecord | DecodedPicture:
    """An id must name an uploaded photo or painting; a gallery ref is decoded (at its stored size, so that
    its size can be checked), not stored: only an accepted request stores it."""
    if ref.startswith("gallery:"):
        folder, name = ref.removeprefix("gallery:").split("/")
        path = state.gallery.path(folder, name)
        if path is None:
            raise HTTPException(404, f"{role}: no bundled image {folder}/{name}")
        label = state.gallery.item(folder, name).label
        return decode_picture(path, label, state.settings.image_limits, state.settings.stored_size)
    record = state.store.image(ref)
    if record is None or record.role not in ("photo", "painting"):
        raise HTTPException(404, f"{role}: no uploaded photo or painting with id {ref}")
    return record


def _stored(state: AppState, picture: ImageRecord | DecodedPicture, role: str) -> ImageRecord:
    if isinstance(picture, ImageRecord):
        return picture
    return record_picture(state.store, state.files, picture, role)


@router.post("", status_code=201)
def create(body: ExperimentCreate, state: State) -> ExperimentOut:
    """Check everything, then store the two pictures and queue the fast and the Gatys job at once.

    A refused request stores nothing, not even the gallery pictures it names.
    """
    settings = state.settings
    size = integer(
        "gatys_size", body.gatys_size or settings.gatys_size, minimum=MIN_SIZE, maximum=settings.gatys_max_size
    )
    iterations = integer(
        "gatys_iterations",
        body.gatys_iterations or settings.gatys_iterations,
        minimum=1,
        maximum=settings.gatys_max_iterations,
    )
    runner = state.job_runner()
    photo = _resolve(state, body.photo, "photo")
    painting = _resolve(state, body.painting, "painting")
    fast_size = settings.fast_size or size
    _check_short_side(photo, size, fast_size)
    photo, painting = _stored(state, photo, "photo"), _stored(state, painting, "painting")
    gatys = {
        "size": size,
        "iterations": iterations,
        "seed": random.randrange(2**31),
        "preview_every": settings.preview_every,
    }
    try:
        experiment = state.store.create_experiment(
            photo.id, painting.id, [("fast", {"size": fast_size}), ("gatys", gatys)]
        )
    except ImageGone as gone:  # deleted since it was looked up, with the last experiment that used it
        role = "photo" if gone.image_id == photo.id else "painting"
        raise HTTPException(404, f"{role}: no uploaded photo or painting with id {gone.image_id}") from None
    runner.wake()
    return state.experiment_view(experiment)


@router.get("")
def history(
    state: State,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HistoryOut:
    """Experiments, newest first."""
    experiments = state.store.experiments(limit, offset)
    return HistoryOut(
        items=state.experiment_views(experiments),
        total=state.store.count_experiments(),
        limit=limit,
        offset=offset,
    )


@router.get("/{experiment_id}")
def experiment(found: Experiment, state: State) -> ExperimentOut:
    return state.experiment_view(found)


@router.delete("/{experiment_id}", status_code=204)
def delete(experiment_id: ObjectId, state: State) -> Response:
    """Delete an experiment whose jobs have all ended, with its pictures (those no other experiment uses)."""
    deleted = state.store.delete_experiment(experiment_id)
    if deleted is None:
        raise HTTPException(404, f"no experiment with id {experiment_id}")
    with state.draft_lock:  # not between a draft save's check and its rename
        state.files.remove_files(deleted)
    return Response(status_code=204)


@router.post("/{experiment_id}/finish")
def finish(body: FinishRequest, found: Experiment, state: State) -> ExperimentOut:
    """Attach the drawing (uploaded with role=drawing) and queue grading."""
    drawing = state.store.image(body.drawing)
    if drawing is None or drawing.role != "drawing":
        raise HTTPException(422, "drawing: upload the drawing first (POST /api/uploads?role=drawing)")
    runner = state.job_runner()
    state.store.set_drawing(found.id, drawing.id, body.source)
    remove_draft(state.files, found.id)
    state.publish(found.id, {"type": "experiment", "experiment_id": found.id})  # other tabs show the results
    runner.request_grades(found.id)
    return state.experiment_view(found)


@router.put("/{experiment_id}/draft", status_code=204)
async def put_draft(request: Request, found: Experiment, state: State) -> Response:
    """Keep the canvas (a PNG with transparency, the raw body) until the experiment is finished.

    With an ``X-Draft-Base`` header (the ``X-Draft-Version`` the page last loaded or saved, or
    ``none``), the save is refused if another tab saved since. The new version comes back in
    ``X-Draft-Version``.

    Errors: 409 finished already, 412 changed in another tab, 413 too large, 422 not a PNG or not the
    size of the page's canvas (the photo's shape at ``canvas_long_side`` of /api/config).
    """
    if found.drawing_id is not None:
        raise JobError("this experiment is finished: its drawing can no longer change")
    temp = state.files.temp_path()
    try:
        await receive_to_file(request, temp)
        canvas = await run_in_threadpool(_canvas_of, state, found.id)
        # No decode slot, unlike uploads: a draft of any size but the canvas's (at most 768² px, 2.4 MB as
        # RGBA) is refused from its header, so the decode is small and need not queue behind uploads.
        await run_in_threadpool(check_draft, temp, canvas)
        version = await run_in_threadpool(_replace_draft, state, found.id, temp, request.headers.get("X-Draft-Base"))
    finally:
        await run_in_threadpool(temp.unlink, missing_ok=True)  # gone already once kept
    return Response(status_code=204, headers={"X-Draft-Version": version})


def _canvas_of(state: AppState, experiment_id: str) -> tuple[int, int]:
    """The page's canvas for the experiment as stored now: it may have been deleted, photo and all,
    while the draft was uploading."""
    experiment = state.store.experiment(experiment_id)
    photo = state.store.image(experiment.photo_id) if experiment is not None else None
    if photo is None:
        raise HTTPException(404, f"no experiment with id {experiment_id}")
    return canvas_size(photo.width, photo.height)


def _replace_draft(state: AppState, experiment_id: str, checked: Path, base: str | None) -> str:
    """Make ``checked`` the draft unless another tab saved since ``base``; return the new version.

    Blocks on ``state.draft_lock``: call it in a worker thread, never on the event loop.
    """
    with state.draft_lock:  # compare and replace as one step; delete() removes files under it too
        if base is not None and base != draft_version(state.files, experiment_id):
            raise HTTPException(412, "draft: the drawing was changed in another tab or window")
        keep_draft(state.files, experiment_id, checked)
        version = draft_version(state.files, experiment_id)
        current = state.store.experiment(experiment_id)
        if current is None or current.drawing_id is not None:  # deleted or finished while this arrived
            remove_draft(state.files, experiment_id)
    if current is None:
        raise HTTPException(404, f"no experiment with id {experiment_id}")
    return version


@router.get("/{experiment_id}/draft", responses={204: {"description": "nothing painted yet, or finished"}})
def get_draft(found: Experiment, state: State) -> Response:
    """The canvas as last saved; 204 (no content) when nothing was painted yet or the experiment is finished.

    Not a 404: the experiment exists, and every first visit to the canvas asks.
    """
    path = state.files.draft_path(found.id)
    with state.draft_lock:
        version = draft_version(state.files, found.id)
        if version == NO_DRAFT:
            return Response(status_code=204, headers={"Cache-Control": "no-store", "X-Draft-Version": NO_DRAFT})
        data = path.read_bytes()  # with its version: a save may replace the file right after
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store", "X-Draft-Version": version})


@router.get("/{experiment_id}/events")
async def events(found: Experiment, state: State) -> StreamingResponse:
    """Server-Sent Events: a ``snapshot``, then ``jobs``, ``progress`` and ``experiment`` events.

    The stream ends with an ``end`` event once no job of the experiment is
    queued or running; open it again after starting something new.
    """
    subscription = state.broker.subscribe(found.id)

    async def stream() -> AsyncIterator[str]:
        try:
            snapshot = await run_in_threadpool(state.experiment_view, found)
            yield format_event({"type": "snapshot", "experiment": snapshot.model_dump(mode="json")})
            active = snapshot.active
            while active:
                if state.broker.closed:
                    return  # the server is stopping: the page reconnects to the next one
                try:
                    event = await asyncio.wait_for(subscription.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event is CLOSE:
                    return
                yield format_event(event)
                if event["type"] == "jobs" and not event["active"]:
                    # events from two threads may arrive out of order: the store has the last word
                    jobs = await run_in_threadpool(state.store.jobs_of, found.id)
                    active = any(job.active for job in jobs)
            yield format_event({"type": "end"})
        finally:
            state.broker.unsubscribe(subscription)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{experiment_id}/palette")
def palette(found: Experiment, state: State, count: Annotated[int, Query(ge=2, le=16)] = PALETTE_SIZE) -> PaletteOut:
    """The painting's main colours, for the canvas's palette."""
    with _gone_if_missing(found), Image.open(state.files.image_path(found.painting_id)) as painting:
        return PaletteOut(colors=extract_palette(painting, count))


@contextlib.contextmanager
def _gone_if_missing(experiment: ExperimentRecord) -> Iterator[None]:
    """A picture file missing while it is read: the experiment was deleted since it was looked up (404)."""
    try:
        yield
    except FileNotFoundError:
        raise HTTPException(404, f"no experiment with id {experiment.id}") from None


@router.get("/{experiment_id}/sheet")
def sheet(found: Experiment, state: State, download: bool = False) -> Response:
    """All five pictures side by side with the grades, as one PNG (made on request)."""
    view = state.experiment_view(found)
    results = {kind: job.result for kind, job in view.jobs.items()}
    tiles = [
        ("Photo", view.photo),
        ("Painting", view.painting),
        ("Your drawing", view.drawing),
        ("Fast", results.get("fast")),
        ("Gatys", results.get("gatys")),
    ]
    lines = [_grade_line(pair, grade) for pair, grade in (view.grades or {}).items()]
    buffer = io.BytesIO()
    with _gone_if_missing(found), contextlib.ExitStack() as opened:
        pictures = [
            (label, opened.enter_context(Image.open(state.files.image_path(image.id))) if image else None)
            for label, image in tiles
        ]
        make_sheet(pictures, lines or ["Not graded yet."]).save(buffer, format="PNG")
    headers = (
        {"Content-Disposition": f'attachment; filename="stylelab-{found.id}-sheet.png"'} if download else {}
    )
    return Response(buffer.getvalue(), media_type="image/png", headers=headers)


def _grade_line(pair: str, grade) -> str:
    if grade is None:
        return f"{PAIR_LABELS[pair]}: not available"
    parts = ", ".join(f"{name} {value:.1f}" for name, value in grade.components.items())
    return f"{PAIR_LABELS[pair]}: {grade.score:.1f}/10  (similarity {grade.similarity:.2f}; {parts})"
