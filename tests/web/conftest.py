"""Fixtures for the web app: settings on a temporary data dir with fake engines, clients, a live server."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from stylelab.experiments.runner import RunnerSettings
from stylelab.web.settings import WebSettings
from tests.experiments.fakes import FakeMethods


def make_settings(data_dir: Path, methods=None, **changes) -> WebSettings:
    """Settings for tests: fake engines, small sizes, quick cancel grace, workers at normal priority."""
    values = {
        "runner": RunnerSettings(nice=0, threads=1, cancel_grace=2.0),
        "fast_size": 64,
        "gatys_size": 64,
        "gatys_iterations": 5,
        "preview_every": 2,
        **changes,
    }
    return WebSettings(data_dir=data_dir, methods=methods or FakeMethods(), **values)


@contextlib.contextmanager
def app_client(settings: WebSettings) -> Iterator:
    from fastapi.testclient import TestClient

    from stylelab.web.app import create_app

    with TestClient(create_app(settings), base_url=f"http://127.0.0.1:{settings.port}") as client:
        yield client


def png_bytes(size=(64, 48), colour=(200, 120, 40), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client, data: bytes, role: str = "photo", name: str = "picture.png", headers=None, **kwargs):
    return client.post(
        "/api/uploads",
        params={"role": role, "name": name},
        content=data,
        headers={"Content-Type": "application/octet-stream", **(headers or {})},
        **kwargs,
    )


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def job_state(client, experiment_id: str, kind: str) -> str:
    return client.get(f"/api/experiments/{experiment_id}").json()["jobs"][kind]["state"]


def start_experiment(client, **body) -> dict:
    payload = {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", **body}
    response = client.post("/api/experiments", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def settings(tmp_path) -> WebSettings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def client(settings):
    with app_client(settings) as test_client:
        yield test_client


class LiveServer:
    """uvicorn serving a Style Lab app in a background thread, on a free port of 127.0.0.1."""

    def __init__(self, settings: WebSettings) -> None:
        from stylelab.web.app import create_app
        from stylelab.web.server import StylelabServer

        self.server = StylelabServer(create_app(settings), "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=30)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (imported here only when a test asks)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
