"""Uploads: good pictures are stored under random ids; every bad one is a JSON 4xx and harms nothing."""

from __future__ import annotations

import concurrent.futures
import io
import struct
import threading
import time
import zlib

import pytest
from PIL import Image

from stylelab.imageio import ImageLimits
from stylelab.web.state import DECODE_SLOTS
from tests.web.conftest import app_client, make_settings, png_bytes, start_experiment, upload, wait_for

MB = 1024 * 1024


def _jpeg(size=(120, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width``×``height`` (a decompression bomb's signature)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


BAD_UPLOADS = {
    "zero-byte file": (b"", "empty.jpg", 422, "file is empty"),
    "text renamed .jpg": (
        b"just some notes, not a picture\n" * 20,
        "notes.jpg",
        422,
        "not a supported image",
    ),
    "truncated JPEG": (_jpeg()[:700], "cut.jpg", 422, "damaged or truncated"),
    "SVG as .png": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="99" height="99"><rect width="9"/></svg>',
        "vector.png",
        422,
        "not a supported image",
    ),
    "HTML as .jpg": (
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        "page.jpg",
        422,
        "not a supported image",
    ),
    "image under 16 px": (png_bytes((12, 40)), "tiny.png", 422, "at least 16 px"),
    "header over the pixel limit": (
        _png_claiming(9000, 9000),
        "big.png",
        422,
        "over the limit of 40,000,000 px",
    ),
    "decompression bomb": (_png_claiming(30000, 30000), "bomb.png", 422, "image is too large"),
    "extreme aspect ratio": (png_bytes((400, 20)), "strip.png", 422, "aspect ratio 20.0:1 is too extreme"),
}


def test_a_good_upload_is_decoded_stored_as_png_under_a_random_id(client, settings):
    response = upload(client, _jpeg((120, 90)), name="holiday.jpg")
    assert response.status_code == 201
    body = response.json()
    assert (body["role"], body["label"], body["width"], body["height"]) == ("photo", "holiday.jpg", 120, 90)
    assert len(body["id"]) == 16 and "holiday" not in body["id"]
    stored = settings.data_dir / "images" / f"{body['id']}.png"
    with Image.open(stored) as image:
        assert image.format == "PNG" and image.size == (120, 90)
    picture = client.get(body["url"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert client.get(body["thumb_url"]).headers["content-type"] == "image/jpeg"
    download = client.get(body["download_url"])
    assert f'filename="stylelab-photo-{body["id"]}.png"' in download.headers["content-disposition"]
    named = client.get(body["download_url"], params={"name": "0123456789abcdef-fast-method"})
    assert 'filename="stylelab-0123456789abcdef-fast-method.png"' in named.headers["content-disposition"]
    assert client.get(body["download_url"], params={"name": "../x"}).status_code == 422
    assert list((settings.data_dir / "tmp").iterdir()) == []


def test_large_pictures_are_stored_at_the_stored_size(client):
    body = upload(client, png_bytes((2400, 1200)), role="painting").json()
    assert (body["width"], body["height"]) == (1024, 512)
    with Image.open(io.BytesIO(client.get(body["thumb_url"]).content)) as thumb:  # the thumbnail, not the picture
        assert thumb.format == "JPEG" and thumb.size == (256, 128)


def test_the_label_is_only_a_label(client, settings):
    body = upload(client, png_bytes(), name="../../etc/pass\x07wd.png").json()
    assert body["label"] == "passwd.png"
    assert not (settings.data_dir.parent / "etc").exists()
    windows = upload(client, png_bytes(), name="C:\\Users\\me\\Pictures\\cat.png").json()
    assert windows["label"] == "cat.png"  # old browsers send the whole Windows path
    long_name = "a very long holiday photo name " * 10 + ".png"  # 314 characters: still a good picture
    assert upload(client, png_bytes(), name=long_name).json()["label"] == long_name[:80]


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_uploads_are_json_4xx_with_a_clear_detail(client, settings, case):
    data, name, status, message = BAD_UPLOADS[case]
    response = upload(client, data, name=name)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["detail"]
    assert list((settings.data_dir / "images").iterdir()) == []
    assert list((settings.data_dir / "tmp").iterdir()) == []


def test_over_the_pixel_limit_of_the_settings(tmp_path):
    limits = ImageLimits(min_side=16, max_pixels=100_000, max_aspect=8.0)
    with app_client(make_settings(tmp_path, image_limits=limits)) as client:
        response = upload(client, png_bytes((400, 300)))
    assert response.status_code == 422
    assert "400×300 = 120,000 px, over the limit of 100,000 px" in response.json()["detail"]


def test_over_20_mb_is_refused_with_413_before_and_while_reading(client):
    too_big = b"\xff" * (20 * MB + 1)
    response = upload(client, too_big, name="huge.jpg")
    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is larger than the limit of 20 MB"

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(21):
            yield b"\0" * MB

    response = upload(client, chunks(), name="stream.jpg")
    assert response.status_code == 413
    assert "limit of 20 MB" in response.json()["detail"]


def test_exactly_at_the_limit_is_read_and_then_judged_by_decoding(tmp_path):
    with app_client(make_settings(tmp_path, max_upload_bytes=4096)) as client:
        assert upload(client, b"\0" * 4096).status_code == 422
        assert upload(client, b"\0" * 4097).status_code == 413
        # streamed without a Content-Length, the body is counted as it arrives, at the same boundary
        assert upload(client, iter([b"\0" * 4000, b"\0" * 96])).status_code == 422
        response = upload(client, iter([b"\0" * 4000, b"\0" * 96, b"\0"]))
        assert response.status_code == 413 and "limit of" in response.json()["detail"]


def test_forms_and_bad_roles_are_refused(client):
    response = client.post("/api/uploads", params={"role": "photo"}, files={"file": ("a.png", png_bytes())})
    assert response.status_code == 415
    assert "not a multipart form" in response.json()["detail"]
    response = upload(client, png_bytes(), role="result")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("query.role:")


def test_bad_uploads_do_not_stop_the_server_or_a_running_job(tmp_path):
    from tests.experiments.fakes import FakeMethods

    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.03), gatys_iterations=20)
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(
            lambda: (
                client.get(f"/api/experiments/{experiment['id']}").json()["jobs"]["gatys"]["state"]
                == "running"
            )
        )
        for data, name, status, _ in BAD_UPLOADS.values():
            assert upload(client, data, name=name).status_code == status
        assert upload(client, b"\0" * (20 * MB + 1)).status_code == 413
        assert client.get("/api/health").json()["ok"]
        done = wait_for(
            lambda: (
                (job := client.get(f"/api/experiments/{experiment['id']}").json()["jobs"]["gatys"])["state"]
                in ("done", "failed")
                and job
            )
        )
        assert done["state"] == "done"
        assert upload(client, png_bytes()).status_code == 201


def test_an_upload_no_experiment_took_is_forgotten_at_a_later_start(settings):
    import sqlite3

    from tests.web.conftest import app_client

    with app_client(settings) as client:
        kept = upload(client, png_bytes()).json()
        dropped = upload(client, png_bytes(colour=(1, 2, 3))).json()
        client.post("/api/experiments", json={"photo": kept["id"], "painting": "gallery:styles/udnie"})
    with sqlite3.connect(settings.data_dir / "stylelab.sqlite3") as connection:  # two days later
        connection.execute("UPDATE images SET created = created - 172800")
    with app_client(settings) as client:
        assert client.get(kept["url"]).status_code == 200  # used by an experiment
        assert client.get(dropped["url"]).status_code == 404
    assert not (settings.data_dir / "images" / f"{dropped['id']}.png").exists()


def test_an_upload_no_experiment_took_is_forgotten_while_the_server_runs(settings, monkeypatch):
    """A server left running for days used to keep every upload that was chosen and then replaced
    (or never started), until it was restarted."""
    import sqlite3

    import stylelab.web.app as web_app

    monkeypatch.setattr(web_app, "UNUSED_SWEEP_SECONDS", 0.05, raising=False)
    with app_client(settings) as client:
        kept = upload(client, png_bytes()).json()
        dropped = upload(client, png_bytes(colour=(1, 2, 3))).json()
        start_experiment(client, photo=kept["id"])
        with sqlite3.connect(settings.data_dir / "stylelab.sqlite3") as connection:  # two days later
            connection.execute("UPDATE images SET created = created - 172800")
        wait_for(lambda: client.get(dropped["url"]).status_code == 404, timeout=5)
        assert client.get(kept["url"]).status_code == 200  # used by an experiment
        assert not (settings.data_dir / "images" / f"{dropped['id']}.png").exists()
        assert not (settings.data_dir / "images" / f"{dropped['id']}.thumb.jpg").exists()


def test_uploads_are_decoded_two_at_a_time(client, monkeypatch):
    """A small file may decode to 400 MB: parallel uploads wait for a slot instead of adding up."""
    import stylelab.web.routes.uploads as routes

    running, most = 0, 0
    lock = threading.Lock()
    store = routes.store_picture

    def counted(*args):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.3)
        try:
            return store(*args)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(routes, "store_picture", counted)
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: upload(client, png_bytes()), range(5)))
    assert [answer.status_code for answer in answers] == [201] * 5
    assert most == DECODE_SLOTS == 2


def _send_then_hang_up(app, method: str, path: str, query: str = "") -> list[dict]:
    """Call ``app`` as a browser would that closes the tab halfway through a body: the first part
    arrives, then the connection is gone. Returns what the app sent."""
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/octet-stream"),
                         (b"content-length", b"100000")]}
    messages = iter([{"type": "http.request", "body": b"\0" * 5000, "more_body": True}])
    sent = []

    async def receive():
        return next(messages, {"type": "http.disconnect"})

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_that_hangs_up_during_a_body_is_not_an_internal_error(client, settings, caplog):
    experiment = start_experiment(client)
    for method, path, query in [("POST", "/api/uploads", "role=photo&name=a.png"),
                                ("PUT", f"/api/experiments/{experiment['id']}/draft", "")]:
        sent = _send_then_hang_up(client.app, method, path, query)  # used to raise ClientDisconnect
        assert sent[0]["status"] == 422
    assert "unexpected error" not in caplog.text
    assert list((settings.data_dir / "tmp").iterdir()) == []
    assert not (settings.data_dir / "drafts" / f"{experiment['id']}.png").exists()


def _disk_full(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_an_upload_arrives_says_so_and_leaves_nothing(client, settings, monkeypatch):
    """It was a bare "internal error: OSError"."""
    import stylelab.web.routes.uploads as uploads

    monkeypatch.setattr(uploads.anyio, "open_file", _disk_full)
    response = upload(client, png_bytes())
    assert response.status_code == 500
    assert "No space left on device" in response.json()["detail"]
    assert list((settings.data_dir / "tmp").iterdir()) == []
    monkeypatch.undo()
    assert upload(client, png_bytes()).status_code == 201  # the server goes on once there is room


def test_a_disk_that_fills_between_a_picture_and_its_thumbnail_leaves_no_picture(client, settings, monkeypatch):
    """The picture was written and kept, with no thumbnail and no record, until the next start."""
    save = Image.Image.save

    def full_for_jpeg(self, fp, format=None, **params):
        if format == "JPEG":
            _disk_full()
        return save(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", full_for_jpeg)
    response = upload(client, png_bytes())
    assert response.status_code == 500
    assert "No space left on device" in response.json()["detail"]
    assert list((settings.data_dir / "images").iterdir()) == []
