"""Server-Sent Events: a snapshot, live progress with preview URLs, job states, then an end."""

from __future__ import annotations

import json

from tests.experiments.fakes import FakeMethods
from tests.web.conftest import app_client, make_settings, start_experiment, wait_for


def _events(client, experiment_id: str) -> list[dict]:
    events = []
    with client.stream("GET", f"/api/experiments/{experiment_id}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    return events


def test_the_stream_follows_both_jobs_to_the_end(tmp_path):
    settings = make_settings(
        tmp_path, methods=FakeMethods(step_seconds=0.01), gatys_iterations=6, preview_every=2
    )
    with app_client(settings) as client:
        experiment = start_experiment(client)
        events = _events(client, experiment["id"])
    assert events[0]["type"] == "snapshot" and events[0]["experiment"]["id"] == experiment["id"]
    assert events[-1] == {"type": "end"}
    progress = [event for event in events if event["type"] == "progress"]
    assert progress, "no progress events"
    assert all(event["kind"] == "gatys" for event in progress)
    last = progress[-1]["progress"]
    assert last["iteration"] == last["total"] == 12 and last["eta"] == 0
    assert {"style", "content", "total"} <= set(last["losses"])
    previews = [event["preview_url"] for event in progress if event["preview_url"]]
    assert previews and all(
        url.startswith(f"/api/jobs/{progress[0]['job_id']}/preview?v=") for url in previews
    )
    assert len(json.dumps(progress[-1])) < 600  # small events; pictures are fetched by URL
    jobs = [event for event in events if event["type"] == "jobs"]
    assert jobs[-1]["active"] is False
    assert {kind: job["state"] for kind, job in jobs[-1]["jobs"].items()} == {"fast": "done", "gatys": "done"}


def test_a_queued_job_is_told_its_place(tmp_path):
    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.02), gatys_iterations=15)
    with app_client(settings) as client:
        first = start_experiment(client)
        second = start_experiment(client)
        events = _events(client, second["id"])
        first_state = client.get(f"/api/experiments/{first['id']}").json()["jobs"]["gatys"]["state"]
    gatys_states = [
        (e["jobs"]["gatys"]["state"], e["jobs"]["gatys"]["queue_position"])
        for e in events
        if e["type"] == "jobs"
    ]
    snapshot = events[0]["experiment"]["jobs"]["gatys"]
    assert (snapshot["state"], snapshot["queue_position"]) == ("queued", 1)
    assert ("running", None) in gatys_states and gatys_states[-1] == ("done", None)
    assert first_state == "done"


def test_a_finished_experiment_gives_a_snapshot_and_ends(client):
    experiment = start_experiment(client)
    wait_for(lambda: not client.get(f"/api/experiments/{experiment['id']}").json()["active"])
    events = _events(client, experiment["id"])
    assert [event["type"] for event in events] == ["snapshot", "end"]


def test_events_of_an_unknown_experiment_are_404(client):
    assert client.get("/api/experiments/0123456789abcdef/events").status_code == 404


def test_stopping_the_server_ends_the_streams_of_running_experiments(tmp_path):
    import signal
    import threading
    import time
    import urllib.request

    from tests.web.conftest import LiveServer

    settings = make_settings(tmp_path, methods=FakeMethods(step_seconds=0.2), gatys_iterations=500)
    with LiveServer(settings) as live:
        request = urllib.request.Request(
            f"{live.url}/api/experiments", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"photo": "gallery:photos/chelsea", "painting": "gallery:styles/udnie"}).encode())
        experiment = json.loads(urllib.request.urlopen(request, timeout=10).read())
        lines = []

        def follow() -> None:  # a page following the Gatys job, which would run for minutes
            with urllib.request.urlopen(f"{live.url}/api/experiments/{experiment['id']}/events", timeout=30) as r:
                lines.extend(line.decode() for line in r)

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        wait_for(lambda: any("snapshot" in line for line in lines), timeout=10)
        started = time.monotonic()
        live.server.handle_exit(signal.SIGINT, None)  # what Ctrl-C does
        live.thread.join(15)
        reader.join(5)
        assert not live.thread.is_alive() and not reader.is_alive()
        assert time.monotonic() - started < 4  # not after the job, nor after the 5 s graceful timeout
        assert not any('"type":"end"' in line for line in lines)  # the page reconnects; the job is not over


def test_a_stream_that_falls_behind_loses_its_oldest_events_not_the_latest():
    """The latest events are the ones that matter (the last ``jobs`` event ends the stream): a full queue
    drops from its front."""
    import asyncio

    from stylelab.web.events import QUEUE_LIMIT, EventBroker

    async def scenario() -> list[int]:
        broker = EventBroker()
        subscription = broker.subscribe("experiment")
        for number in range(QUEUE_LIMIT + 5):
            broker.publish("experiment", {"type": "progress", "number": number})
        await asyncio.sleep(0)  # let the loop run the offers that publish scheduled
        queued = []
        while not subscription.queue.empty():
            queued.append(subscription.queue.get_nowait()["number"])
        return queued

    queued = asyncio.run(scenario())
    assert queued == list(range(5, QUEUE_LIMIT + 5))
