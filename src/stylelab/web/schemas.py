"""Request and response bodies of the JSON API, and the records → JSON views."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from stylelab.experiments.store import ID_PATTERN, ExperimentRecord, ImageRecord, JobRecord
from stylelab.gatys.config import MAX_ITERATIONS, MIN_SIZE
from stylelab.web.settings import LARGEST_SIZE

GALLERY_REF_PATTERN = r"^gallery:(photos|styles)/[a-z0-9_]{1,64}$"
IMAGE_REF_PATTERN = rf"({GALLERY_REF_PATTERN})|({ID_PATTERN})"

ObjectId = Annotated[str, PathParam(pattern=ID_PATTERN, description="a 16-hex-digit id")]


# requests -------------------------------------------------------------------------------------------


class ExperimentCreate(BaseModel):
    """Start an experiment: both methods are queued at once."""

    model_config = ConfigDict(extra="forbid")  # a misspelt setting is an error, not the default

    photo: str = Field(
        pattern=IMAGE_REF_PATTERN,
        max_length=80,
        description="gallery:photos/NAME or the id of an uploaded image",
    )
    painting: str = Field(
        pattern=IMAGE_REF_PATTERN,
        max_length=80,
        description="gallery:styles/NAME or the id of an uploaded image",
    )
    gatys_size: int | None = Field(
        default=None, ge=MIN_SIZE, le=LARGEST_SIZE, strict=True, description="long side of the Gatys result"
    )
    gatys_iterations: int | None = Field(
        default=None, ge=1, le=MAX_ITERATIONS, strict=True, description="Gatys iterations per scale"
    )


class FinishRequest(BaseModel):
    """Attach the person's drawing (an uploaded image) and ask for grades."""

    model_config = ConfigDict(extra="forbid")

    drawing: str = Field(pattern=ID_PATTERN, description="id of the uploaded drawing")
    source: Literal["canvas", "upload"] = Field(
        default="canvas", description="painted on the canvas, or an uploaded attempt"
    )


# responses ------------------------------------------------------------------------------------------


class ImageOut(BaseModel):
    id: str
    role: str
    label: str
    width: int
    height: int
    url: str
    thumb_url: str
    download_url: str


class ProgressOut(BaseModel):
    iteration: int
    total: int
    scale_index: int
    scale_count: int
    width: int
    height: int
    losses: dict[str, float]
    elapsed: float
    eta: float | None


class JobOut(BaseModel):
    id: str
    experiment_id: str
    kind: str
    state: str
    queue_position: int | None
    options: dict[str, int]
    progress: ProgressOut | None
    preview_url: str | None
    result: ImageOut | None
    error: str | None
    created: float
    started: float | None
    ended: float | None


class GradeOut(BaseModel):
    score: float
    similarity: float
    components: dict[str, float]


class ExperimentOut(BaseModel):
    id: str
    created: float
    photo: ImageOut
    painting: ImageOut
    drawing: ImageOut | None
    drawing_source: str | None
    has_draft: bool  # a canvas saved, not finished yet
    finished: float | None
    jobs: dict[str, JobOut]
    grades: dict[str, GradeOut | None] | None
    active: bool
    sheet_url: str
    palette_url: str
    events_url: str


class HistoryOut(BaseModel):
    items: list[ExperimentOut]
    total: int
    limit: int
    offset: int


class GalleryItem(BaseModel):
    ref: str
    name: str
    label: str
    url: str


class GalleryOut(BaseModel):
    photos: list[GalleryItem]
    paintings: list[GalleryItem]


class RandomPick(BaseModel):
    photo: GalleryItem
    painting: GalleryItem


class PaletteOut(BaseModel):
    colors: list[str]


class ConfigOut(BaseModel):
    max_upload_bytes: int
    min_side: int
    max_pixels: int
    max_aspect: float
    gatys_size: int
    gatys_iterations: int
    gatys_min_size: int
    gatys_max_size: int
    gatys_max_iterations: int
    fast_size: int | None  # None: each experiment's fast result has its Gatys result's size
    gatys_workers: int
    canvas_long_side: int  # the drawing canvas: the photo's shape with this long side


class HealthOut(BaseModel):
    ok: bool
    workers: list[dict[str, object]]


# views ----------------------------------------------------------------------------------------------


def image_out(record: ImageRecord) -> ImageOut:
    base = f"/api/images/{record.id}"
    return ImageOut(
        id=record.id,
        role=record.role,
        label=record.label,
        width=record.width,
        height=record.height,
        url=base,
        thumb_url=f"{base}/thumb",
        download_url=f"{base}/download",
    )


def job_out(job: JobRecord, positions: dict[str, int], images: dict[str, ImageRecord]) -> JobOut:
    preview = None
    if job.preview_version is not None:
        preview = f"/api/jobs/{job.id}/preview?v={job.preview_version}"
    result = images.get(job.result_id) if job.result_id else None
    return JobOut(
        id=job.id,
        experiment_id=job.experiment_id,
        kind=job.kind,
        state=job.state,
        queue_position=positions.get(job.id),
        options=job.options,
        progress=ProgressOut(**job.progress) if job.progress else None,
        preview_url=preview,
        result=image_out(result) if result else None,
        error=job.error,
        created=job.created,
        started=job.started,
        ended=job.ended,
    )


def experiment_out(
    experiment: ExperimentRecord,
    jobs: list[JobRecord],
    positions: dict[str, int],
    images: dict[str, ImageRecord],
    has_draft: bool,
) -> ExperimentOut:
    base = f"/api/experiments/{experiment.id}"
    latest = {job.kind: job for job in jobs}  # jobs come in seq order; a second grade job waits behind a first
    drawing = images.get(experiment.drawing_id) if experiment.drawing_id else None
    grades = None
    if experiment.grades is not None:
        grades = {pair: GradeOut(**value) if value else None for pair, value in experiment.grades.items()}
    return ExperimentOut(
        id=experiment.id,
        created=experiment.created,
        photo=image_out(images[experiment.photo_id]),
        painting=image_out(images[experiment.painting_id]),
        drawing=image_out(drawing) if drawing else None,
        drawing_source=experiment.drawing_source,
        has_draft=has_draft,
        finished=experiment.finished,
        jobs={kind: job_out(job, positions, images) for kind, job in latest.items()},
        grades=grades,
        active=any(job.active for job in jobs),
        sheet_url=f"{base}/sheet",
        palette_url=f"{base}/palette",
        events_url=f"{base}/events",
    )
