"""The canvas draft: saved while painting, given back after a reload, refused when bad, gone when finished."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from stylelab.experiments.drafts import CANVAS_LONG_SIDE, canvas_size
from tests.conftest import _png_header_only
from tests.web.conftest import png_bytes, start_experiment, upload, wait_for

CANVAS = canvas_size(451, 300)  # the page's canvas for gallery:photos/chelsea, start_experiment's photo


def _layer(size=CANVAS, colour=(200, 40, 40, 128)) -> bytes:
    """A paint layer as the browser sends it: transparent paper with one half-transparent stroke."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste(colour, (10, 10, 60, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _put(client, experiment_id: str, data: bytes, base: str | None = None):
    headers = {"Content-Type": "image/png"} | ({"X-Draft-Base": base} if base is not None else {})
    return client.put(f"/api/experiments/{experiment_id}/draft", content=data, headers=headers)


def test_a_save_based_on_an_older_version_is_refused_not_lost(client):
    experiment = start_experiment(client)
    url = f"/api/experiments/{experiment['id']}/draft"
    assert client.get(url).headers["x-draft-version"] == "none"
    first = _put(client, experiment["id"], _layer(), base="none")  # tab A: the first strokes
    assert first.status_code == 204
    stale = _put(client, experiment["id"], _layer(colour=(20, 40, 200, 200)), base="none")  # tab B, opened before them
    assert stale.status_code == 412 and "changed in another tab" in stale.json()["detail"]
    assert client.get(url).content == _layer()  # tab A's strokes are kept
    assert client.get(url).headers["x-draft-version"] == first.headers["x-draft-version"]
    second = _put(client, experiment["id"], _layer(colour=(20, 40, 200, 200)), base=first.headers["x-draft-version"])
    assert second.status_code == 204 and second.headers["x-draft-version"] != first.headers["x-draft-version"]
    assert _put(client, experiment["id"], _layer(), base=first.headers["x-draft-version"]).status_code == 412
    assert _put(client, experiment["id"], _layer()).status_code == 204  # no base: an unconditional save


def test_the_experiment_says_whether_a_canvas_is_saved(client):
    experiment = start_experiment(client)
    assert experiment["has_draft"] is False
    _put(client, experiment["id"], _layer())
    assert client.get(f"/api/experiments/{experiment['id']}").json()["has_draft"] is True
    assert client.get("/api/experiments").json()["items"][0]["has_draft"] is True  # the History shows it


def test_a_draft_comes_back_as_it_was_saved(client):
    experiment = start_experiment(client)
    nothing = client.get(f"/api/experiments/{experiment['id']}/draft")
    assert (nothing.status_code, nothing.content) == (204, b"")  # nothing painted yet: not an error
    assert nothing.headers["cache-control"] == "no-store"  # else a cached "nothing" could hide the next save
    assert _put(client, experiment["id"], _layer()).status_code == 204
    assert _put(client, experiment["id"], _layer(colour=(20, 40, 200, 200))).status_code == 204  # replaced
    response = client.get(f"/api/experiments/{experiment['id']}/draft")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.content == _layer(colour=(20, 40, 200, 200))  # kept byte for byte
    saved = Image.open(io.BytesIO(response.content))
    assert (saved.mode, saved.size) == ("RGBA", CANVAS)
    assert saved.getpixel((30, 15)) == (20, 40, 200, 200) and saved.getpixel((80, 60))[3] == 0


@pytest.mark.parametrize("body, message", [
    (b"", "not a readable PNG"),
    (b"not an image at all", "not a readable PNG"),
    (_layer()[:-30], "not a readable PNG"),  # cut short
    (png_bytes(fmt="JPEG"), "must be a PNG image, not JPEG"),
    (png_bytes(size=(4097, 16)), "4097×16 px, but this experiment's canvas is 768×511 px"),
    (_png_header_only(30_000, 30_000), "far larger than this experiment's canvas of 768×511 px"),  # a bomb's header
    (_layer((8, 8)), "draft: 8×8 px, but this experiment's canvas is 768×511 px"),  # would be stretched over it
    (_layer((CANVAS[0], CANVAS[1] + 1)), "768×512 px, but this experiment's canvas is 768×511 px"),
])
def test_bad_drafts_are_refused_and_the_saved_one_is_kept(client, body, message):
    experiment = start_experiment(client)
    assert _put(client, experiment["id"], _layer()).status_code == 204
    response = _put(client, experiment["id"], body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    kept = client.get(f"/api/experiments/{experiment['id']}/draft").content
    assert kept == _layer()
    assert list((client.app.state.stylelab.files.tmp).iterdir()) == []  # nothing left of the upload
    assert client.get("/api/health").status_code == 200


def test_a_draft_over_the_upload_limit_is_413(tmp_path):
    from tests.web.conftest import app_client, make_settings

    with app_client(make_settings(tmp_path / "data", max_upload_bytes=4096)) as client:
        experiment = start_experiment(client)
        response = _put(client, experiment["id"], _layer() + b"\0" * 5000)
        assert response.status_code == 413
        assert client.get(f"/api/experiments/{experiment['id']}/draft").status_code == 204


def test_drafts_of_unknown_or_finished_experiments(client):
    assert _put(client, "0" * 16, _layer()).status_code == 404
    assert client.get(f"/api/experiments/{'0' * 16}/draft").status_code == 404
    experiment = start_experiment(client)
    assert _put(client, experiment["id"], _layer()).status_code == 204
    drawing = upload(client, png_bytes(), role="drawing").json()
    client.post(f"/api/experiments/{experiment['id']}/finish", json={"drawing": drawing["id"]})
    assert client.get(f"/api/experiments/{experiment['id']}/draft").status_code == 204  # removed on finish
    response = _put(client, experiment["id"], _layer())
    assert response.status_code == 409
    assert "finished" in response.json()["detail"]


def test_a_draft_arriving_while_its_experiment_is_deleted_is_404_and_leaves_no_file(client, monkeypatch):
    import stylelab.web.routes.experiments as routes

    experiment = start_experiment(client)
    wait_for(lambda: not client.get(f"/api/experiments/{experiment['id']}").json()["active"])
    state = client.app.state.stylelab
    check = routes.check_draft

    def deleted_meanwhile(path, canvas):  # another tab deletes the experiment while this save is checked
        check(path, canvas)
        assert client.delete(f"/api/experiments/{experiment['id']}").status_code == 204

    monkeypatch.setattr(routes, "check_draft", deleted_meanwhile)
    response = _put(client, experiment["id"], _layer())
    assert response.status_code == 404 and "no experiment" in response.json()["detail"]
    assert not state.files.draft_path(experiment["id"]).exists()
    assert list(state.files.tmp.iterdir()) == []


def test_a_draft_arriving_while_its_experiment_is_finished_is_not_kept(client, monkeypatch):
    """Finishing removes the draft; a save checked just before must not bring it back."""
    import stylelab.web.routes.experiments as routes

    experiment = start_experiment(client)
    url = f"/api/experiments/{experiment['id']}"
    wait_for(lambda: not client.get(url).json()["active"])
    drawing = upload(client, png_bytes(), role="drawing").json()
    check = routes.check_draft

    def finished_meanwhile(path, canvas):  # another tab finishes the experiment while this save is checked
        check(path, canvas)
        assert client.post(f"{url}/finish", json={"drawing": drawing["id"]}).status_code == 200

    monkeypatch.setattr(routes, "check_draft", finished_meanwhile)
    _put(client, experiment["id"], _layer())
    assert not client.app.state.stylelab.files.draft_path(experiment["id"]).exists()
    assert client.get(f"{url}/draft").status_code == 204
    assert list(client.app.state.stylelab.files.tmp.iterdir()) == []


def test_a_draft_whose_experiment_is_deleted_while_the_body_uploads_is_404(client, monkeypatch):
    """The photo's record goes with the experiment: working out the canvas used to fail with a 500."""
    from fastapi.concurrency import run_in_threadpool

    import stylelab.web.routes.experiments as routes

    experiment = start_experiment(client)
    url = f"/api/experiments/{experiment['id']}"
    wait_for(lambda: not client.get(url).json()["active"])
    receive = routes.receive_to_file

    async def deleted_while_uploading(request, path):  # another tab deletes it as the last bytes arrive
        size = await receive(request, path)
        assert (await run_in_threadpool(client.delete, url)).status_code == 204
        return size

    monkeypatch.setattr(routes, "receive_to_file", deleted_while_uploading)
    response = _put(client, experiment["id"], _layer())
    assert response.status_code == 404 and "no experiment" in response.json()["detail"]
    assert list(client.app.state.stylelab.files.tmp.iterdir()) == []
    assert client.get("/api/health").status_code == 200


class _SignallingLock:
    """The draft lock, which says when someone starts waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = threading.Event()

    def __enter__(self):
        self.waiting.set()
        self.lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


def test_a_draft_save_waiting_for_the_draft_lock_does_not_stop_other_requests(client):
    """The lock is a thread lock: waited for on the event loop, it would stall every request."""
    experiment = start_experiment(client)
    state = client.app.state.stylelab
    state.draft_lock = _SignallingLock()
    replies = {}

    def request(name, method, url, **kwargs):
        replies[name] = client.request(method, url, **kwargs).status_code

    save = threading.Thread(target=request, args=("save", "PUT", f"/api/experiments/{experiment['id']}/draft"),
                            kwargs={"content": _layer(), "headers": {"Content-Type": "image/png"}})
    health = threading.Thread(target=request, args=("health", "GET", "/api/health"))
    with state.draft_lock.lock:  # held, as by a save or a delete in another thread
        save.start()
        assert state.draft_lock.waiting.wait(10)
        health.start()
        health.join(5)
        answered = not health.is_alive()
    save.join(10)
    health.join(10)
    assert answered, "the health check waited for the draft lock"
    assert replies == {"save": 204, "health": 200}


def test_a_draft_save_does_not_wait_for_a_decode_slot(client):
    """A draft decodes only at the canvas's size (at most 768² px): it need not queue behind uploads."""

    class NoSlots:
        async def __aenter__(self):
            raise AssertionError("a draft save waited for a decode slot")

        async def __aexit__(self, *exc):
            pass

    experiment = start_experiment(client)
    client.app.state.stylelab.decode_slots = NoSlots()
    assert _put(client, experiment["id"], _layer()).status_code == 204


def test_the_page_is_told_the_canvas_size_drafts_must_have(client):
    assert client.get("/api/config").json()["canvas_long_side"] == CANVAS_LONG_SIDE
    portrait = upload(client, png_bytes((30, 47)), role="photo").json()  # 768 × 30/47 = 490.2: rounds down
    experiment = start_experiment(client, photo=portrait["id"], gatys_size=64)
    assert canvas_size(30, 47) == (490, 768)
    assert canvas_size(1536, 1533) == (768, 767)  # 766.5: halves go up, as Math.round does (not to even)
    assert canvas_size(1533, 1536) == (767, 768)
    assert _put(client, experiment["id"], _layer((490, 768))).status_code == 204
    assert _put(client, experiment["id"], _layer((491, 768))).status_code == 422
