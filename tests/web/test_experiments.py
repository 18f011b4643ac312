"""Starting experiments, the job lifecycle through the API, finishing with grades, downloads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from stylelab.experiments.drafts import canvas_size
from tests.experiments.fakes import FakeMethods
from tests.web.conftest import (
    app_client,
    job_state,
    make_settings,
    png_bytes,
    start_experiment,
    upload,
    wait_for,
)


def _done(client, experiment_id: str, kinds=("fast", "gatys")) -> dict:
    def finished():
        body = client.get(f"/api/experiments/{experiment_id}").json()
        return body if all(body["jobs"][kind]["state"] == "done" for kind in kinds) else None

    return wait_for(finished)


def _finish(client, experiment_id: str, source="canvas") -> dict:
    drawing = upload(client, png_bytes((80, 60), (90, 90, 200)), role="drawing", name="drawing.png").json()
    response = client.post(
        f"/api/experiments/{experiment_id}/finish", json={"drawing": drawing["id"], "source": source}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_starting_queues_both_jobs_at_once_and_both_finish(client):
    experiment = start_experiment(client, gatys_size=48, gatys_iterations=3)
    assert set(experiment["jobs"]) == {"fast", "gatys"}
    assert {job["state"] for job in experiment["jobs"].values()} <= {"queued", "running"}
    assert experiment["jobs"]["gatys"]["options"]["size"] == 48
    assert experiment["photo"]["label"] == "Chelsea" and experiment["painting"]["label"] == "Udnie"
    body = _done(client, experiment["id"])
    fast, gatys = body["jobs"]["fast"], body["jobs"]["gatys"]
    assert max(fast["result"]["width"], fast["result"]["height"]) == 64  # settings.fast_size in tests
    assert max(gatys["result"]["width"], gatys["result"]["height"]) == 48
    assert gatys["progress"]["iteration"] == gatys["progress"]["total"] == 6
    with Image.open(io.BytesIO(client.get(gatys["result"]["url"]).content)) as image:
        assert image.size == (gatys["result"]["width"], gatys["result"]["height"])
    preview = client.get(gatys["preview_url"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert body["active"] is False and body["grades"] is None


def test_a_preview_replaced_while_it_is_sent_is_sent_whole(client, monkeypatch):
    """The worker replaces the preview atomically; a reply must not take its length from one file and its
    bytes from the next (seen: "Too little data for declared Content-Length", a cut JPEG)."""
    import os

    experiment = start_experiment(client, gatys_iterations=2)
    gatys = _done(client, experiment["id"])["jobs"]["gatys"]
    path = client.app.state.stylelab.files.preview_path(gatys["id"])
    versions = [png_bytes((16, 16), fmt="JPEG"), png_bytes((300, 200), (10, 20, 30), fmt="JPEG")]
    path.write_bytes(versions[0])
    real_stat = os.stat

    def stat_then_replace(target, *args, **kwargs):  # the worker saves a new preview right after each look
        result = real_stat(target, *args, **kwargs)
        if os.fspath(target) == os.fspath(path):
            versions.reverse()
            path.write_bytes(versions[0])
        return result

    monkeypatch.setattr(os, "stat", stat_then_replace)
    response = client.get(gatys["preview_url"])
    monkeypatch.undo()
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content in versions


def test_by_default_the_fast_result_has_the_gatys_results_size(tmp_path):
    with app_client(make_settings(tmp_path, fast_size=None)) as client:
        experiment = start_experiment(client, gatys_size=48)
        fast = wait_for(lambda: client.get(f"/api/experiments/{experiment['id']}").json()["jobs"]["fast"]["result"])
        assert max(fast["width"], fast["height"]) == 48  # graded on equal terms with the Gatys result


def test_uploaded_pictures_can_be_used(client):
    photo = upload(client, png_bytes((90, 60), (10, 200, 10)), role="photo").json()
    painting = upload(client, png_bytes((50, 50), (200, 10, 10)), role="painting").json()
    experiment = start_experiment(client, photo=photo["id"], painting=painting["id"])
    assert experiment["photo"]["id"] == photo["id"] and experiment["painting"]["id"] == painting["id"]
    _done(client, experiment["id"])


def test_bad_experiment_requests(client):
    drawing = upload(client, png_bytes(), role="drawing").json()
    cases = [
        ({"photo": "gallery:photos/nobody", "painting": "gallery:styles/udnie"}, 404, "no bundled image"),
        ({"photo": "0123456789abcdef", "painting": "gallery:styles/udnie"}, 404, "no uploaded photo"),
        ({"photo": drawing["id"], "painting": "gallery:styles/udnie"}, 404, "no uploaded photo or painting"),
        (
            {"photo": "../../etc/passwd", "painting": "gallery:styles/udnie"},
            422,
            "photo: expected gallery:photos/NAME or gallery:styles/NAME",
        ),
        (
            {"photo": "gallery:photos/chelsea.jpg", "painting": "gallery:styles/udnie"},
            422,  # the grid's bundled: names carry the extension; the API's do not
            "photo: expected gallery:photos/NAME or gallery:styles/NAME (NAME as /api/gallery lists it, without .jpg)",
        ),
        (
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_size": 20},
            422,  # both methods need 16 px on the short side: 20 px gives chelsea 20 × 13
            "gatys_size: at 20 px this photo's short side would be 13 px, under 16 px; choose a size of at least 24",
        ),
        (  # one pixel short of the limit is short too
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_size": 23},
            422,
            "gatys_size: at 23 px this photo's short side would be 15 px, under 16 px; choose a size of at least 24",
        ),
        ({"photo": "gallery:photos/chelsea"}, 422, "painting: Field required"),
        (
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_size": 4000},
            422,  # above this server's setting: as unprocessable as any other bad value
            "gatys_size: must be at most 768",
        ),
        (
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_iterations": 0},
            422,
            "gatys_iterations: Input should be greater than or equal to 1",
        ),
        (  # not read as 1 ("must be at least 16")
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_size": True},
            422,
            "gatys_size: Input should be a valid integer",
        ),
        (
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_iterations": "5"},
            422,
            "gatys_iterations: Input should be a valid integer",
        ),
        (  # misspelt: not silently the default
            {"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_sise": 64},
            422,
            "gatys_sise: Extra inputs are not permitted",
        ),
    ]
    for body, status, message in cases:
        response = client.post("/api/experiments", json=body)
        assert response.status_code == status, (body, response.text)
        assert message in response.json()["detail"], response.json()
    for number in ("1e400", "NaN", "-Infinity"):  # Python's json reads them; JSON cannot echo them back
        text = f'{{"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie", "gatys_size": {number}}}'
        response = client.post("/api/experiments", content=text, headers={"Content-Type": "application/json"})
        assert response.status_code == 422 and "gatys_size" in response.json()["detail"], response.text
    for text, message in (
        ("{bad", "the request body is not valid JSON"),
        ("[1, 2]", "the request body must be a JSON object"),
        ("null", "the request body must be a JSON object"),
    ):
        response = client.post("/api/experiments", content=text, headers={"Content-Type": "application/json"})
        assert response.status_code == 422 and response.json()["detail"] == message, response.text
    assert client.get("/api/experiments").json()["total"] == 0


def test_a_refused_experiment_stores_no_pictures(client):
    """Each refused request used to store copies of its gallery pictures (removed only a day later)."""
    state = client.app.state.stylelab
    painting = upload(client, png_bytes((50, 50), (200, 10, 10)), role="painting").json()
    images_before, files_before = state.store.known_ids().images, _files_of(client)
    refused = [
        ({"photo": "gallery:photos/rocket", "painting": "gallery:styles/shipwreck", "gatys_size": 16}, 422),
        ({"photo": "gallery:photos/chelsea", "painting": "gallery:styles/nobody"}, 404),
        ({"photo": "gallery:photos/chelsea", "painting": "0123456789abcdef"}, 404),
        ({"photo": "gallery:photos/rocket", "painting": painting["id"], "gatys_size": 16}, 422),
    ]
    for body, status in refused:
        response = client.post("/api/experiments", json=body)
        assert response.status_code == status, (body, response.text)
    assert state.store.known_ids().images == images_before
    assert _files_of(client) == files_before


def test_unknown_and_malformed_ids(client):
    assert client.get("/api/experiments/0123456789abcdef").status_code == 404
    assert client.get("/api/experiments/not-an-id").status_code == 422
    assert client.get("/api/jobs/0123456789abcdef").json()["detail"] == "no job with id 0123456789abcdef"
    assert client.get("/api/images/0123456789abcdef").status_code == 404
    assert client.get("/api/images/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    assert client.get("/api/gallery/photos/..%2Fsecret.jpg").status_code in (404, 422)
    assert client.get("/api/nothing-here").json() == {"detail": "Not Found"}
    for action in ("cancel", "rerun"):  # not a 409 "cannot": there is no such job
        response = client.post(f"/api/jobs/0123456789abcdef/{action}")
        assert (response.status_code, response.json()["detail"]) == (404, "no job with id 0123456789abcdef")


def test_out_of_range_query_values_are_refused(client):
    experiment = start_experiment(client)
    for url in ("/api/experiments?offset=-1", "/api/experiments?limit=0", "/api/experiments?limit=101",
                f"/api/experiments/{experiment['id']}/palette?count=1",
                f"/api/experiments/{experiment['id']}/palette?count=17"):
        assert client.get(url).status_code == 422, url
    assert len(client.get(f"/api/experiments/{experiment['id']}/palette?count=16").json()["colors"]) <= 16


def test_health_is_not_ok_without_workers(client, monkeypatch):
    assert client.get("/api/health").json()["ok"] is True
    monkeypatch.setattr(client.app.state.stylelab, "runner", None)
    assert client.get("/api/health").json() == {"ok": False, "workers": []}


def test_finishing_grades_the_three_pairs_and_makes_a_sheet(client):
    experiment = start_experiment(client)
    _done(client, experiment["id"])
    state = client.app.state.stylelab
    read_before_grading = state.store.experiment(experiment["id"])
    finished = _finish(client, experiment["id"])
    assert finished["drawing"]["role"] == "drawing" and finished["drawing_source"] == "canvas"
    graded = wait_for(
        lambda: (body := client.get(f"/api/experiments/{experiment['id']}").json())["grades"] and body
    )
    # a view is built from the store as it is now, never from a record read earlier
    assert state.experiment_view(read_before_grading).grades is not None
    assert set(graded["grades"]) == {"drawing_fast", "drawing_gatys", "fast_gatys"}
    for grade in graded["grades"].values():
        assert 0 <= grade["score"] <= 10
        assert set(grade["components"]) == {"colour", "structure"}
    assert graded["jobs"]["grade"]["state"] == "done"
    sheet = client.get(graded["sheet_url"], params={"download": True})
    assert sheet.headers["content-type"] == "image/png"
    assert "attachment" in sheet.headers["content-disposition"]
    with Image.open(io.BytesIO(sheet.content)) as image:
        assert image.width > 5 * 300
    palette = client.get(graded["palette_url"]).json()["colors"]
    assert 2 <= len(palette) <= 8 and all(colour.startswith("#") for colour in palette)


def test_finishing_needs_an_uploaded_drawing(client):
    experiment = start_experiment(client)
    photo = upload(client, png_bytes()).json()
    response = client.post(f"/api/experiments/{experiment['id']}/finish", json={"drawing": photo["id"]})
    assert response.status_code == 422
    assert "upload the drawing first" in response.json()["detail"]


def test_a_finished_experiment_cannot_be_finished_again(client):
    experiment = start_experiment(client)
    first, second = (upload(client, png_bytes(), role="drawing").json() for _ in range(2))
    url = f"/api/experiments/{experiment['id']}/finish"
    assert client.post(url, json={"drawing": first["id"]}).status_code == 200
    response = client.post(url, json={"drawing": second["id"], "source": "canvas"})  # a stale second tab
    assert response.status_code == 409 and "finished already" in response.json()["detail"]
    assert client.get(f"/api/experiments/{experiment['id']}").json()["drawing"]["id"] == first["id"]


def test_finishing_before_gatys_ends_grades_once_it_is_done(tmp_path):
    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.02), gatys_iterations=25)
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: job_state(client, experiment["id"], "fast") == "done")
        body = _finish(client, experiment["id"], source="upload")
        assert body["jobs"]["gatys"]["state"] in ("queued", "running")
        assert body["jobs"]["grade"]["state"] == "queued" and body["drawing_source"] == "upload"
        graded = wait_for(
            lambda: (b := client.get(f"/api/experiments/{experiment['id']}").json())["grades"] and b
        )
        assert graded["jobs"]["gatys"]["state"] == "done"
        assert graded["grades"]["drawing_gatys"] is not None


def test_cancel_and_rerun_through_the_api(tmp_path):
    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.05), gatys_iterations=200)
    with app_client(settings) as client:
        first = start_experiment(client)
        second = start_experiment(client)
        wait_for(lambda: job_state(client, first["id"], "gatys") == "running")
        queued = client.get(f"/api/experiments/{second['id']}").json()["jobs"]["gatys"]
        assert (queued["state"], queued["queue_position"]) == ("queued", 1)
        cancelled = client.post(f"/api/jobs/{queued['id']}/cancel").json()
        assert cancelled["state"] == "cancelled"
        running = client.get(f"/api/experiments/{first['id']}").json()["jobs"]["gatys"]
        client.post(f"/api/jobs/{running['id']}/cancel")
        wait_for(lambda: job_state(client, first["id"], "gatys") == "cancelled", timeout=5)
        again = client.post(f"/api/jobs/{running['id']}/cancel")
        assert again.status_code == 409 and "already ended" in again.json()["detail"]
        fast = client.get(f"/api/experiments/{first['id']}").json()["jobs"]["fast"]
        refused = client.post(f"/api/jobs/{fast['id']}/rerun")
        assert refused.status_code == 409
        rerun = client.post(f"/api/jobs/{queued['id']}/rerun").json()
        assert rerun["state"] in ("queued", "running")
        wait_for(lambda: job_state(client, second["id"], "gatys") == "running")
        client.post(f"/api/jobs/{queued['id']}/cancel")


def test_a_failing_method_shows_its_message_and_the_rest_goes_on(tmp_path):
    with app_client(make_settings(tmp_path, methods=FakeMethods(fail="gatys"))) as client:
        experiment = start_experiment(client)
        gatys = wait_for(
            lambda: (
                (job := client.get(f"/api/experiments/{experiment['id']}").json()["jobs"]["gatys"])["state"]
                == "failed"
                and job
            )
        )
        assert gatys["error"] == "fake gatys failure"
        wait_for(lambda: job_state(client, experiment["id"], "fast") == "done")


def test_history_lists_experiments_newest_first_with_thumbnails(client):
    made = [start_experiment(client)["id"] for _ in range(3)]
    page = client.get("/api/experiments", params={"limit": 2}).json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == made[::-1][:2]
    rest = client.get("/api/experiments", params={"limit": 2, "offset": 2}).json()
    assert [item["id"] for item in rest["items"]] == made[:1]
    thumb = client.get(page["items"][0]["photo"]["thumb_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert client.get("/api/experiments", params={"limit": 1000}).status_code == 422


def test_gallery_and_random_pick(client):
    gallery = client.get("/api/gallery").json()
    assert {item["name"] for item in gallery["photos"]} == {"astronaut", "chelsea", "coffee", "rocket"}
    assert len(gallery["paintings"]) == 5
    picture = client.get(gallery["paintings"][0]["url"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    picks = {
        tuple(client.get("/api/gallery/random").json()[role]["ref"] for role in ("photo", "painting"))
        for _ in range(30)
    }
    assert len(picks) > 1
    assert all(
        photo.startswith("gallery:photos/") and painting.startswith("gallery:styles/")
        for photo, painting in picks
    )


def _files_of(client) -> set[str]:
    root = client.app.state.stylelab.files.root
    return {str(path.relative_to(root)) for folder in ("images", "previews", "drafts")
            for path in (root / folder).glob("*")}


def test_deleting_an_experiment_removes_its_pictures_but_not_shared_uploads(client):
    photo = upload(client, png_bytes((90, 60), (10, 200, 10)), role="photo").json()
    painting = upload(client, png_bytes((50, 50), (200, 10, 10)), role="painting").json()
    kept = start_experiment(client, photo=photo["id"], painting=painting["id"])
    gone = start_experiment(client, photo=photo["id"], painting=painting["id"])
    _done(client, kept["id"])
    _done(client, gone["id"])
    _finish(client, gone["id"])
    graded = wait_for(lambda: (b := client.get(f"/api/experiments/{gone['id']}").json())["grades"] and b)
    before = _files_of(client)
    own = {graded["drawing"]["id"], graded["jobs"]["fast"]["result"]["id"], graded["jobs"]["gatys"]["result"]["id"]}

    response = client.delete(f"/api/experiments/{gone['id']}")
    assert response.status_code == 204, response.text
    removed = before - _files_of(client)
    assert removed == {f"images/{i}.png" for i in own} | {f"images/{i}.thumb.jpg" for i in own} | {
        f"previews/{graded['jobs']['gatys']['id']}.jpg"}
    assert client.get(f"/api/experiments/{gone['id']}").status_code == 404
    assert client.get(f"/api/images/{graded['drawing']['id']}").status_code == 404
    assert client.get(f"/api/jobs/{graded['jobs']['fast']['id']}").status_code == 404
    history = client.get("/api/experiments").json()
    assert [item["id"] for item in history["items"]] == [kept["id"]] and history["total"] == 1
    # the photo and painting are still used by the other experiment
    assert client.get(f"/api/images/{photo['id']}").status_code == 200
    assert client.get(kept["painting"]["thumb_url"]).status_code == 200

    draft = client.put(f"/api/experiments/{kept['id']}/draft", content=png_bytes(canvas_size(90, 60)),
                       headers={"Content-Type": "image/png"})
    assert draft.status_code == 204 and f"drafts/{kept['id']}.png" in _files_of(client)
    assert client.delete(f"/api/experiments/{kept['id']}").status_code == 204
    assert client.get(f"/api/images/{photo['id']}").status_code == 404  # now no one uses it
    assert _files_of(client) == set()


def test_deleting_is_refused_while_a_job_runs_and_for_unknown_ids(tmp_path):
    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.05), gatys_iterations=200)
    with app_client(settings) as client:
        experiment = start_experiment(client)
        wait_for(lambda: job_state(client, experiment["id"], "gatys") == "running")
        refused = client.delete(f"/api/experiments/{experiment['id']}")
        assert refused.status_code == 409 and "cancel it or let it finish" in refused.json()["detail"]
        assert client.get(f"/api/experiments/{experiment['id']}").status_code == 200
        gatys = client.get(f"/api/experiments/{experiment['id']}").json()["jobs"]["gatys"]
        client.post(f"/api/jobs/{gatys['id']}/cancel")
        wait_for(lambda: job_state(client, experiment["id"], "gatys") == "cancelled", timeout=20)
        assert client.delete(f"/api/experiments/{experiment['id']}").status_code == 204
        assert client.delete(f"/api/experiments/{experiment['id']}").status_code == 404
        assert client.delete("/api/experiments/0123456789abcdef").json()["detail"] == (
            "no experiment with id 0123456789abcdef")
        assert client.delete("/api/experiments/..%2F..%2Fetc").status_code in (404, 422)
        assert client.get("/api/health").status_code == 200


README = Path(__file__).parents[2] / "README.md"
# `GET /api/x`, or several methods for one path: `GET`/`DELETE /api/x/{id}`
README_ROUTE = re.compile(r"`((?:GET|POST|PUT|DELETE)(?:`/`(?:GET|POST|PUT|DELETE))*) (/api/[^`?\[]*)")


def _routes_named_in(text: str) -> set[tuple[str, str]]:
    return {(method, path) for methods, path in README_ROUTE.findall(text) for method in methods.split("`/`")}


def test_the_readme_names_only_routes_that_exist(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    served = {(method.upper(), re.sub(r"\{[a-z_]+\}", "{id}", path)) for path, ops in paths.items() for method in ops}
    named = _routes_named_in(README.read_text(encoding="utf-8"))
    assert len(named) >= 10
    assert named <= served, named - served
    assert not _routes_named_in("`GET`/`DELETE /api/experiments/{id}/nothing`") <= served  # the check can fail


def test_an_upload_deleted_with_its_last_experiment_while_starting_another_is_a_404(client):
    """The photo is looked up, then deleted with the last experiment that used it, then the new experiment
    is inserted: a foreign-key error (500) before; now the same 404 as when it was gone beforehand."""
    state = client.app.state.stylelab
    photo = upload(client, png_bytes((90, 60), (10, 200, 10)), role="photo").json()
    painting = upload(client, png_bytes((50, 50), (200, 10, 10)), role="painting").json()
    last = start_experiment(client, photo=photo["id"], painting=painting["id"])
    _done(client, last["id"])
    real_image = state.store.image

    def image_then_delete(image_id):  # the other request's DELETE lands right after the lookup
        record = real_image(image_id)
        if image_id == painting["id"]:
            state.files.remove_files(state.store.delete_experiment(last["id"]))
        return record

    state.store.image = image_then_delete
    try:
        response = client.post("/api/experiments", json={"photo": photo["id"], "painting": painting["id"]})
    finally:
        del state.store.image
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"photo: no uploaded photo or painting with id {photo['id']}"
    assert client.get("/api/experiments").json()["total"] == 0



@pytest.mark.parametrize(("path", "when"), [("sheet", "found"), ("palette", "found"), ("sheet", "viewed")])
def test_the_sheet_and_palette_of_an_experiment_deleted_while_they_are_made_are_a_404(client, monkeypatch, path,
                                                                                     when):
    """Deleted (records and files) right after the route found the experiment, or after the sheet read
    its records: a missing record or file was a 500."""
    state = client.app.state.stylelab
    experiment = start_experiment(client)
    _done(client, experiment["id"])
    real_experiment, real_view = state.store.experiment, state.experiment_view

    def delete(experiment_id):
        state.files.remove_files(state.store.delete_experiment(experiment_id))

    def found_then_deleted(experiment_id):
        record = real_experiment(experiment_id)
        delete(experiment_id)
        return record

    def viewed_then_deleted(record):
        view = real_view(record)
        delete(record.id)
        return view

    if when == "found":
        monkeypatch.setattr(state.store, "experiment", found_then_deleted)
    else:
        monkeypatch.setattr(state, "experiment_view", viewed_then_deleted)
    response = client.get(f"/api/experiments/{experiment['id']}/{path}")
    monkeypatch.undo()
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"no experiment with id {experiment['id']}"


def test_a_photo_too_narrow_for_the_servers_smaller_fast_size_is_refused_up_front(client):
    """Only the Gatys size was checked: a fast size set smaller on the server left the fast job to fail late."""
    photo = upload(client, png_bytes((600, 100), (10, 200, 10)), role="photo").json()
    body = {"photo": photo["id"], "painting": "gallery:styles/udnie"}
    response = client.post("/api/experiments", json={**body, "gatys_size": 256})  # fast_size is 64 in tests
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "photo: at this server's fast size (64 px) its short side would be 11 px, under 16 px; choose a photo "
        "closer to square")
    assert client.get("/api/experiments").json()["total"] == 0


@pytest.mark.parametrize("path", ["", "/thumb", "/download"])
def test_a_picture_deleted_between_its_lookup_and_its_reading_is_a_404(client, monkeypatch, path):
    """The experiment is deleted (records and files) right after the route found the picture and its file:
    the response then failed to open the file, a 500."""
    from stylelab.web.routes import images

    state = client.app.state.stylelab
    experiment = _done(client, start_experiment(client)["id"])
    result = experiment["jobs"]["fast"]["result"]["id"]
    real_record = images._record

    def found_then_deleted(found_state, image_id):
        record = real_record(found_state, image_id)
        state.files.remove_files(state.store.delete_experiment(experiment["id"]))
        return record

    monkeypatch.setattr(images, "_record", found_then_deleted)
    response = client.get(f"/api/images/{result}{path}")
    monkeypatch.undo()
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"no image with id {result}"
