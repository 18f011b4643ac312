"""Safe defaults: local binding, limits, no remote assets, JSON errors, a usable `stylelab serve`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from stylelab.cli import build_parser, main
from stylelab.cli.serve import build_settings
from stylelab.errors import ConfigError
from stylelab.gatys.config import GatysConfig
from stylelab.web.app import create_app, static_dir
from stylelab.web.settings import WebSettings, default_data_dir
from tests.web.conftest import app_client, make_settings, png_bytes, upload


def test_defaults_bind_locally_with_a_20_mb_limit(tmp_path):
    settings = WebSettings(data_dir=tmp_path)
    assert settings.host == "127.0.0.1"
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.runner.gatys_workers == 1
    assert settings.image_limits.max_pixels <= 64_000_000


def test_serve_options_default_to_the_settings(tmp_path):
    args = build_parser().parse_args(["serve", "--data-dir", str(tmp_path)])
    settings = build_settings(args)
    defaults = WebSettings(data_dir=tmp_path)
    assert (settings.host, settings.port, settings.data_dir) == (defaults.host, defaults.port, tmp_path)
    assert settings.runner == defaults.runner
    assert settings.max_upload_bytes == defaults.max_upload_bytes
    assert settings.methods.device == "auto"
    options = ["--gatys-jobs", "2", "--max-upload-mb", "5", "--worker-threads", "3"]
    args = build_parser().parse_args(["serve", "--data-dir", str(tmp_path), *options])
    settings = build_settings(args)
    assert (settings.runner.gatys_workers, settings.runner.threads) == (2, 3)
    assert settings.max_upload_bytes == 5 * 1024 * 1024
    assert build_parser().parse_args(["serve"]).data_dir == str(default_data_dir())
    assert default_data_dir().name.lower() == "stylelab"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"port": 70000}, "port: must be at most 65535"),
        ({"host": ""}, "host: must not be empty"),
        ({"gatys_size": 2000}, "gatys_size: must be at most 768"),
    ],
)
def test_bad_settings_are_config_errors(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message):
        WebSettings(data_dir=tmp_path, **changes)


def test_serve_with_an_unusable_data_dir_is_a_user_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["serve", "--data-dir", str(blocker / "data"), "--port", "0"]) == 2  # 8000 may be taken
    assert capsys.readouterr().err.startswith("error: data dir")
    assert main(["serve", "--data-dir", str(tmp_path), "--port", "99999"]) == 2
    assert "--port: must be at most 65535" in capsys.readouterr().err


@pytest.mark.parametrize("options, message", [
    (["--device", "gpu"], "error: --device: unknown device 'gpu'"),
    (["--gatys-jobs", "0"], "error: --gatys-jobs: must be at least 1, got 0"),
    (["--host", "no-such-host.invalid"], "error: --host no-such-host.invalid: no such address"),
])
def test_serve_refuses_what_would_fail_later_before_it_says_open(tmp_path, capsys, options, message):
    assert main(["serve", "--data-dir", str(tmp_path), *options]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(message) and "Traceback" not in err and "open http" not in out


def test_serve_on_a_port_in_use_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--data-dir", str(tmp_path), "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"error: --port {port}: cannot listen on 127.0.0.1:{port}") and "open http" not in out


def test_nothing_is_built_at_import_time(tmp_path):
    import importlib

    import stylelab.web.app as module

    importlib.reload(module)
    assert not any(isinstance(value, WebSettings) for value in vars(module).values())
    assert list(tmp_path.iterdir()) == []
    create_app(WebSettings(data_dir=tmp_path / "data"))
    assert (tmp_path / "data" / "stylelab.sqlite3").is_file()


def test_pages_use_only_local_assets():
    for path in Path(static_dir()).iterdir():
        text = path.read_text()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path.name
        names = text.replace("http://www.w3.org/2000/svg", "")  # an SVG's namespace: a name, never fetched
        assert "http://" not in names and "https://" not in names, path.name


def test_page_and_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert client.head("/").status_code == 200  # what uptime checks and curl -I send
    for asset in ("/static/app.js", "/static/paint.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert client.get("/static/../settings.py").status_code == 404
    assert client.get("/api/docs").status_code == 404  # the interactive docs would load a CDN


def test_json_bodies_have_their_own_small_limit(client):
    response = client.post(
        "/api/experiments", content=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is larger than the limit of 64 KB"


def test_config_tells_the_page_the_limits(client, settings):
    config = client.get("/api/config").json()
    assert config["max_upload_bytes"] == settings.max_upload_bytes
    assert config["gatys_max_size"] == settings.gatys_max_size and config["gatys_workers"] == 1
    smallest = config["gatys_min_size"]  # the page's size field starts here: the engine's own limit
    GatysConfig(size=smallest)
    with pytest.raises(ConfigError, match="size: must be at least"):
        GatysConfig(size=smallest - 1)
    refused = client.post("/api/experiments", json={"photo": "gallery:photos/chelsea",
                                                    "painting": "gallery:styles/udnie", "gatys_size": smallest - 1})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("gatys_size:")
    health = client.get("/api/health").json()
    assert health["ok"] and sorted(worker["lane"] for worker in health["workers"]) == ["gatys", "light"]


def test_serve_on_a_data_dir_in_use_is_a_user_error(tmp_path, capsys):
    from stylelab.locks import data_dir_lock

    running = data_dir_lock(tmp_path)
    running.acquire()
    try:
        assert main(["serve", "--data-dir", str(tmp_path), "--port", "0"]) == 2
    finally:
        running.release()
    err = capsys.readouterr().err
    expected = f"error: data dir {tmp_path} is in use by another Style Lab server (pid {os.getpid()})"
    assert err.startswith(expected) and "choose another --data-dir" in err  # the library's `data_dir`
    assert "Traceback" not in err


def test_other_sites_cannot_reach_a_server_bound_to_this_machine(client):
    """DNS rebinding (a foreign Host) and cross-site writes are 403 JSON; same-origin pages and scripts pass."""
    evil_host = client.get("/api/experiments", headers={"Host": "evil.example:8000"})
    assert evil_host.status_code == 403 and "127.0.0.1" in evil_host.json()["detail"]
    for host in ("localhost:8000", "app.localhost:8000", "LOCALHOST:8000", "127.0.0.2:8000", "[::1]:8000"):
        assert client.get("/api/experiments", headers={"Host": host}).status_code == 200, host
    for host in ("localhost.evil.example:8000", "evillocalhost:8000", "127.0.0.1.evil.example"):
        assert client.get("/api/experiments", headers={"Host": host}).status_code == 403, host
    picture = png_bytes()
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://127.0.0.1:9999"}):  # another port is another origin
        answer = upload(client, picture, headers={"Content-Type": "text/plain", **headers})
        assert answer.status_code == 403 and "another site" in answer.json()["detail"], headers
    same_origin = {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}
    assert upload(client, picture, headers=same_origin).status_code == 201
    assert upload(client, picture).status_code == 201  # no Origin: curl or a script, not a page elsewhere
    assert client.get("/api/health").status_code == 200


def test_a_server_bound_for_other_machines_answers_any_host_but_not_cross_site_writes(tmp_path):
    with app_client(make_settings(tmp_path / "data", host="0.0.0.0")) as client:
        assert client.get("/api/experiments", headers={"Host": "studio.lan:8000"}).status_code == 200
        headers = {"Host": "studio.lan:8000", "Origin": "http://evil.example"}
        assert upload(client, png_bytes(), headers=headers).status_code == 403
        headers = {"Host": "studio.lan:8000", "Origin": "http://studio.lan:8000"}
        assert upload(client, png_bytes(), headers=headers).status_code == 201


def test_serve_on_port_0_names_the_port_it_listens_on(tmp_path, capsys, monkeypatch):
    from stylelab.web.server import StylelabServer

    ports = []
    monkeypatch.setattr(StylelabServer, "run", lambda self: ports.append(self.config.port))
    assert main(["serve", "--data-dir", str(tmp_path), "--port", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert ports[0] != 0 and f"open http://127.0.0.1:{ports[0]}/" in out, out  # it said http://127.0.0.1:0/
