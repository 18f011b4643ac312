"""``stylelab serve``: run the web experiment on this machine."""

from __future__ import annotations

import argparse
import dataclasses
import inspect

from stylelab.cli.options import named_as_options
from stylelab.cli.signals import terminate_as_interrupt

NAME = "serve"
HELP = "Run the web experiment in your browser: paint your own version while both methods run."
MAX_UPLOAD_MB = 1024 * 1024  # a terabyte: any more is a typing mistake


# the option behind each setting that serve's errors may name (some are named otherwise)
OPTIONS = {"host": "--host", "port": "--port", "data_dir": "--data-dir", "gatys_workers": "--gatys-jobs",
           "max_upload_bytes": "--max-upload-mb", "max_upload_mb": "--max-upload-mb",
           "threads": "--worker-threads", "device": "--device"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from stylelab.experiments.methods import NeuralMethods
    from stylelab.experiments.runner import RunnerSettings
    from stylelab.web.settings import MEBIBYTE, WebSettings, default_data_dir

    web = {field.name: field for field in dataclasses.fields(WebSettings)}
    runner = {field.name: field for field in dataclasses.fields(RunnerSettings)}
    runner_default = web["runner"].default_factory()  # the web app's: torch threads on all cores but one
    device = inspect.signature(NeuralMethods).parameters["device"].default
    parser.add_argument("--host", default=web["host"].default, help=web["host"].metadata["help"])
    parser.add_argument("--port", type=int, default=web["port"].default, help=web["port"].metadata["help"])
    parser.add_argument("--data-dir", default=str(default_data_dir()), help=web["data_dir"].metadata["help"])
    parser.add_argument("--gatys-jobs", type=int, default=runner_default.gatys_workers,
                        help=runner["gatys_workers"].metadata["help"])
    parser.add_argument("--max-upload-mb", type=float, default=web["max_upload_bytes"].default / MEBIBYTE,
                        help="largest accepted upload in MB")
    parser.add_argument("--worker-threads", type=int, default=runner_default.threads,
                        help=f"{runner['threads'].metadata['help']}, all cores but one by default")
    parser.add_argument("--device", default=device,
                        help="torch device for the engines: auto, cpu, cuda or cuda:N")


def build_settings(args: argparse.Namespace):
    """The :class:`~stylelab.web.settings.WebSettings` for parsed ``args``.

    Raises:
        ConfigError: an option out of range.
    """
    from stylelab.experiments.methods import NeuralMethods
    from stylelab.imageio import check_not_empty
    from stylelab.validate import number
    from stylelab.web.settings import MEBIBYTE, WebSettings

    with named_as_options(OPTIONS):
        data_dir = check_not_empty(args.data_dir, "~/stylelab-data", "--data-dir")
        number("max_upload_mb", args.max_upload_mb, minimum=0.001, maximum=MAX_UPLOAD_MB)  # before int(): nan, inf
        settings = WebSettings(data_dir=data_dir, host=args.host, port=args.port,
                               max_upload_bytes=int(args.max_upload_mb * MEBIBYTE),
                               methods=NeuralMethods(device=args.device))
        runner = dataclasses.replace(settings.runner, gatys_workers=args.gatys_jobs, threads=args.worker_threads)
        return settings.replace(runner=runner)


def check_device(device: str) -> None:
    """Both engines can run on ``device`` here (else ConfigError now, not a traceback in every worker)."""
    from stylelab.devices import resolve_device
    from stylelab.fast.models import providers_for

    with named_as_options(OPTIONS):
        resolve_device(device)
        providers_for(device)


def check_address(host: str, port: int) -> int:
    """Bind ``host:port`` once and let it go, so that a port in use is one line before the banner; return
    the port (for ``--port 0``, the free one the system picked, so that the banner names it)."""
    import socket

    from stylelab.errors import ConfigError

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: no such address ({exc.strerror})") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); is another "
                              "server running there? Choose another --port") from None
        return probe.getsockname()[1]


def run(args: argparse.Namespace) -> int:
    from stylelab.web.app import create_app
    from stylelab.web.server import StylelabServer

    settings = build_settings(args)
    check_device(args.device)
    port = check_address(settings.host, settings.port)
    with named_as_options(OPTIONS):  # a data dir in use
        app = create_app(settings)
    for line in banner(settings.host, port, settings.data_dir):
        print(line, flush=True)
    with terminate_as_interrupt():
        StylelabServer(app, settings.host, port).run()
    return 0


def banner(host: str, port: int, data_dir: object) -> list[str]:
    """What serve prints before it starts: a warning when other machines can reach it (the same
    loopback test the middleware uses), and the address to open."""
    from stylelab.web.guard import is_loopback

    lines = [] if is_loopback(host) else [f"warning: listening on {host}: other machines can reach Style Lab"]
    return [*lines, f"Style Lab: open {server_url(host, port)}  (data in {data_dir}; Ctrl-C stops)"]


def server_url(host: str, port: int) -> str:
    """``http://host:port/``, with an IPv6 address in brackets (``http://[::1]:8000/``)."""
    name = f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}/"
