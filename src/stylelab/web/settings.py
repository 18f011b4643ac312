"""Settings of the web experiment app: the single source of its defaults.

``stylelab serve`` builds its options from these fields; tests build their own
``WebSettings`` with a temporary data dir and quick fake methods.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from stylelab.errors import ConfigError
from stylelab.experiments.methods import Methods
from stylelab.experiments.runner import RunnerSettings, default_threads
from stylelab.gatys.config import MAX_ITERATIONS, MIN_SIZE, GatysConfig
from stylelab.imageio import ImageLimits
from stylelab.validate import help_text, instance, integer, plain_numbers

MEBIBYTE = 1024 * 1024
LARGEST_SIZE = 4096  # the most a person may pick for a result's long side (the engines take more)


def default_data_dir() -> Path:
    """The user data dir of Style Lab (e.g. ``~/.local/share/stylelab`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("stylelab"))


@dataclass(frozen=True)
class WebSettings:
    """Everything that shapes one web app instance.

    ``methods=None`` means the real engines (:class:`~stylelab.experiments.methods.NeuralMethods`).
    """

    data_dir: Path = field(metadata=help_text("folder for the database and all images"))
    host: str = field(
        default="127.0.0.1", metadata=help_text("address to listen on (127.0.0.1 = this machine only)")
    )
    port: int = field(default=8000, metadata=help_text("port to listen on"))
    max_upload_bytes: int = field(default=20 * MEBIBYTE, metadata=help_text("largest accepted upload in bytes"))
    image_limits: ImageLimits = field(
        default=ImageLimits(max_pixels=40_000_000, max_aspect=8.0),
        metadata=help_text("smallest side, most pixels and most extreme aspect accepted"),
    )
    stored_size: int = field(default=1024, metadata=help_text("uploaded pictures are shrunk to this long side"))
    fast_size: int | None = field(default=None, metadata=help_text(
        "long side of the fast result (default: the Gatys result's, so that both are graded at one size)"))
    gatys_size: int = field(default=384, metadata=help_text("default long side of the Gatys result"))
    gatys_iterations: int = field(default=GatysConfig.iterations, metadata=help_text(
        "default Gatys iterations per scale"))
    gatys_max_size: int = field(default=768, metadata=help_text("largest Gatys size a person may pick"))
    gatys_max_iterations: int = field(default=500, metadata=help_text("most Gatys iterations a person may pick"))
    preview_every: int = field(default=3, metadata=help_text("Gatys preview image every N iterations"))
    runner: RunnerSettings = field(
        default_factory=lambda: RunnerSettings(threads=default_threads()),
        metadata=help_text("worker processes: lanes, priority, threads, cancel grace"),
    )
    methods: Methods | None = field(default=None, metadata=help_text("the engines (None = the real ones)"))

    def __post_init__(self) -> None:
        plain_numbers(self)
        if not self.host:
            raise ConfigError("host: must not be empty")
        integer("port", self.port, minimum=0, maximum=65535)
        integer("max_upload_bytes", self.max_upload_bytes, minimum=1024)
        integer("stored_size", self.stored_size, minimum=64, maximum=8192)
        if self.fast_size is not None:
            integer("fast_size", self.fast_size, minimum=MIN_SIZE, maximum=LARGEST_SIZE)
        integer("gatys_max_size", self.gatys_max_size, minimum=MIN_SIZE, maximum=LARGEST_SIZE)
        integer("gatys_size", self.gatys_size, minimum=MIN_SIZE, maximum=self.gatys_max_size)
        integer("gatys_max_iterations", self.gatys_max_iterations, minimum=1, maximum=MAX_ITERATIONS)
        integer("gatys_iterations", self.gatys_iterations, minimum=1, maximum=self.gatys_max_iterations)
        integer("preview_every", self.preview_every, minimum=1)
        instance("runner", self.runner, RunnerSettings)  # which checks its own fields

    def replace(self, **changes: object) -> WebSettings:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)
