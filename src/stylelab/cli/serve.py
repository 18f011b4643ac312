"""``stylelab serve``: run the web experiment on this machine."""

from __future__ import annotations

import argparse
import dataclasses

NAME = "serve"
HELP = "run the web experiment (paint beside both methods) in your browser"


def _defaults():
    from stylelab.web.settings import WebSettings

    return {field.name: field for field in dataclasses.fields(WebSettings)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    fields = _defaults()
    parser.add_argument("--host", default=fields["host"].default, help=fields["host"].metadata["help"])
    parser.add_argument(
        "--port", type=int, default=fields["port"].default, help=fields["port"].metadata["help"]
    )
    parser.add_argument(
        "--data-dir", default=None, help="folder for the database and all images (default: the user data dir)"
    )
    parser.add_argument(
        "--gatys-jobs", type=int, default=None, help="Gatys jobs that may run at the same time (default: 1)"
    )
    parser.add_argument(
        "--max-upload-mb", type=float, default=None, help="largest accepted upload in MB (default: 20)"
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=None,
        help="torch threads per worker process (default: all cores but one)",
    )
    parser.add_argument(
        "--device", default="auto", help="torch device for the engines: auto, cpu, cuda or cuda:N"
    )


def build_settings(args: argparse.Namespace):
    """The :class:`WebSettings` for parsed ``args`` (only given options override defaults)."""
    from pathlib import Path

    from stylelab.experiments.methods import NeuralMethods
    from stylelab.web.settings import MEBIBYTE, WebSettings, default_data_dir

    settings = WebSettings(
        data_dir=Path(args.data_dir) if args.data_dir else default_data_dir(),
        host=args.host,
        port=args.port,
        methods=NeuralMethods(device=args.device),
    )
    runner_changes = {"gatys_workers": args.gatys_jobs, "threads": args.worker_threads}
    runner_changes = {name: value for name, value in runner_changes.items() if value is not None}
    if runner_changes:
        settings = settings.replace(runner=dataclasses.replace(settings.runner, **runner_changes))
    if args.max_upload_mb is not None:
        settings = settings.replace(max_upload_bytes=int(args.max_upload_mb * MEBIBYTE))
    return settings


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from stylelab.web.app import create_app

    settings = build_settings(args)
    app = create_app(settings)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {settings.host}: other machines can reach Style Lab", flush=True)
    url = f"http://{settings.host}:{settings.port}/"
    print(f"Style Lab: open {url}  (data in {settings.data_dir}; Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", ws="none")
    return 0
