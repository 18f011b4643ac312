"""``stylelab serve``: what it prints before the server starts."""

from __future__ import annotations

import re

import pytest

from stylelab.cli import main, serve


@pytest.mark.parametrize("host, url", [
    ("127.0.0.1", "http://127.0.0.1:8000/"),
    ("localhost", "http://localhost:8000/"),
    ("::1", "http://[::1]:8000/"),
    ("fe80::1", "http://[fe80::1]:8000/"),
])
def test_the_address_to_open_is_a_valid_url(host, url):
    assert serve.server_url(host, 8000) == url


@pytest.mark.parametrize("host, warned", [
    ("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("localhost", False),
    ("0.0.0.0", True), ("192.168.1.20", True), ("::", True),
])
def test_the_warning_follows_the_loopback_test_the_middleware_uses(host, warned):
    lines = serve.banner(host, 8000, "/data")
    assert any(line.startswith("warning: ") for line in lines) is warned
    assert lines[-1].startswith("Style Lab: open http://")


def test_serving_on_another_loopback_address_does_not_warn(tmp_path, capsys, monkeypatch):
    from stylelab.web.server import StylelabServer

    monkeypatch.setattr(StylelabServer, "run", lambda self: None)
    assert main(["serve", "--data-dir", str(tmp_path), "--host", "127.0.0.2", "--port", "0", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out and re.search(r"open http://127\.0\.0\.2:[1-9]\d*/", out)


def test_a_plain_kill_stops_serve_as_ctrl_c_does_and_leaks_nothing(tmp_path):
    """SIGTERM used to end the process (status -15) before its exit handlers ran, and the resource tracker
    warned about "leaked semaphore objects" (seen with stderr sent to a file)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from tests.web.conftest import wait_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    src = str(Path(__file__).parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen(
        [sys.executable, "-m", "stylelab", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
         "--device", "cpu", "--worker-threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return True
        except OSError:
            return server.poll() is not None  # ended: the assertions below say why

    try:
        wait_for(answers, timeout=60, interval=0.2)
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert "leaked" not in err and "Traceback" not in err, err
    assert server.returncode == 130 and "interrupted" in err, (server.returncode, out, err)


def test_a_data_dir_that_is_a_file_is_one_plain_error(tmp_path, capsys):
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    assert main(["serve", "--data-dir", str(blocker), "--port", "0", "--device", "cpu"]) == 2
    assert capsys.readouterr().err == f"error: data dir {blocker}: is a file, not a folder\n"  # was "[Errno 17] ..."
