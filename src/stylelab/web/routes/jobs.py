"""One job: its state, its latest preview, cancel and re-run."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from stylelab.experiments.store import JobRecord
from stylelab.web.routes.images import whole_file
from stylelab.web.schemas import JobOut, ObjectId, job_out
from stylelab.web.state import AppState, State

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


def _view(state: AppState, job: JobRecord) -> JobOut:
    return job_out(job, state.store.queue_positions(), state.store.images([job.result_id]))


def _job(state: AppState, job_id: str) -> JobRecord:
    job = state.store.job(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id}")
    return job


@router.get("/{job_id}")
def job(job_id: ObjectId, state: State) -> JobOut:
    return _view(state, _job(state, job_id))


@router.post("/{job_id}/cancel")
def cancel(job_id: ObjectId, state: State) -> JobOut:
    """Cancel a queued job at once, or ask a running one to stop (it ends as ``cancelled``)."""
    _job(state, job_id)
    return _view(state, state.job_runner().cancel(job_id))


@router.post("/{job_id}/rerun")
def rerun(job_id: ObjectId, state: State) -> JobOut:
    """Queue a failed, cancelled or interrupted job again."""
    _job(state, job_id)
    return _view(state, state.job_runner().rerun(job_id))


@router.get("/{job_id}/preview")
def preview(job_id: ObjectId, state: State) -> Response:
    """The latest preview image of a Gatys job (``?v=`` in its URL only defeats caches); the worker
    replaces the file atomically while the job runs."""
    _job(state, job_id)
    return whole_file(state.files.preview_path(job_id), "image/jpeg", {"Cache-Control": "no-cache"},
                      "this job has no preview yet")
