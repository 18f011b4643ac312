"""What one app instance holds, and the Annotated dependencies that hand it to routes."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from stylelab.bundled import IMAGES
from stylelab.experiments.runner import JobRunner
from stylelab.experiments.store import DataDir, ExperimentRecord, Store
from stylelab.web.events import EventBroker
from stylelab.web.schemas import ExperimentOut, GalleryItem, ObjectId, experiment_out, job_out
from stylelab.web.settings import WebSettings

GALLERY_FOLDERS = ("photos", "styles")
# Pictures decoded at once: a 100 KB PNG may hold 40 megapixels, about 400 MB while it is decoded.
DECODE_SLOTS = 2


class Gallery:
    """The bundled photos and paintings (``stylelab/assets/images``), by folder and name."""

    def __init__(self, root: Path) -> None:
        self._paths = {
            folder: {path.stem: path for path in sorted((root / folder).glob("*.jpg"))}
            for folder in GALLERY_FOLDERS
        }

    def items(self, folder: str) -> list[GalleryItem]:
        return [self.item(folder, name) for name in self._paths[folder]]

    def item(self, folder: str, name: str) -> GalleryItem:
        return GalleryItem(
            ref=f"gallery:{folder}/{name}",
            name=name,
            label=name.replace("_", " ").capitalize(),
            url=f"/api/gallery/{folder}/{name}.jpg",
        )

    def path(self, folder: str, name: str) -> Path | None:
        return self._paths.get(folder, {}).get(name)


def bundled_gallery() -> Gallery:
    return Gallery(IMAGES)


@dataclass
class AppState:
    """Everything the routes share; made by ``create_app``, started by its lifespan."""

    settings: WebSettings
    store: Store
    files: DataDir
    broker: EventBroker
    gallery: Gallery
    runner: JobRunner | None = None
    draft_lock: threading.Lock = field(default_factory=threading.Lock)  # a draft's version and file together
    decode_slots: asyncio.Semaphore | None = None  # made by the lifespan, in the server's event loop

    def job_runner(self) -> JobRunner:
        if self.runner is None:
            raise HTTPException(503, "the job runner is not running")
        return self.runner

    def decoding(self) -> asyncio.Semaphore:
        """Hold one of the ``DECODE_SLOTS`` while decoding an upload (others wait their turn)."""
        if self.decode_slots is None:
            raise HTTPException(503, "the server is not running")
        return self.decode_slots

    def experiment_view(self, experiment: ExperimentRecord) -> ExperimentOut:
        """The view of ``experiment`` as stored now; 404 if it has been deleted since it was read."""
        views = self.experiment_views([experiment])
        if not views:
            raise HTTPException(404, f"no experiment with id {experiment.id}")
        return views[0]

    def experiment_views(self, experiments: list[ExperimentRecord]) -> list[ExperimentOut]:
        """Views of ``experiments`` as stored now (re-read with their jobs in one snapshot), without those
        deleted since they were read (their pictures may be gone with them)."""
        current = self.store.snapshot([experiment.id for experiment in experiments])
        pairs = [current[experiment.id] for experiment in experiments if experiment.id in current]
        image_ids = [
            image_id
            for experiment, jobs in pairs
            for image_id in (experiment.photo_id, experiment.painting_id, experiment.drawing_id)
            + tuple(job.result_id for job in jobs)
        ]
        images = self.store.images(image_ids)
        positions = self.store.queue_positions()
        return [experiment_out(experiment, jobs, positions, images, self.files.draft_path(experiment.id).is_file())
                for experiment, jobs in pairs]

    def event_json(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Turn a runner event (records inside) into the JSON sent to browsers."""
        if event["type"] == "jobs":
            jobs = event["jobs"]
            images = self.store.images([job.result_id for job in jobs])
            positions = self.store.queue_positions()
            return {
                "type": "jobs",
                "active": any(job.active for job in jobs),
                "jobs": {job.kind: job_out(job, positions, images).model_dump(mode="json") for job in jobs},
            }
        if event["type"] == "progress":
            version = event["preview_version"]
            return {
                "type": "progress",
                "job_id": event["job_id"],
                "kind": event["kind"],
                "progress": event["progress"],
                "preview_url": f"/api/jobs/{event['job_id']}/preview?v={version}" if version else None,
            }
        experiment = self.store.experiment(event["experiment_id"])
        if experiment is None:
            return None
        return {"type": "experiment", "experiment": self.experiment_view(experiment).model_dump(mode="json")}

    def publish(self, experiment_id: str, event: dict[str, Any]) -> None:
        """The runner's ``publish`` callback: convert only if someone listens."""
        if self.broker.listeners(experiment_id) == 0:
            return
        payload = self.event_json(event)
        if payload is not None:
            self.broker.publish(experiment_id, payload)


def get_state(request: Request) -> AppState:
    return request.app.state.stylelab


State = Annotated[AppState, Depends(get_state)]


def get_experiment(experiment_id: ObjectId, state: State) -> ExperimentRecord:
    experiment = state.store.experiment(experiment_id)
    if experiment is None:
        raise HTTPException(404, f"no experiment with id {experiment_id}")
    return experiment
