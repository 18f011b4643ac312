"""The progress bar of the Gatys engine's runs (``stylelab stylize``, ``stylelab demo``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from stylelab.gatys.progress import Progress
from stylelab.imageio import save_image


def snapshot_path(output: Path, iteration: int) -> Path:
    """Where ``--save-every`` puts the image of step ``iteration``: ``out.00010.png`` beside ``out.png``."""
    return output.with_name(f"{output.stem}.{iteration:05d}{output.suffix}")


class ProgressBar:
    """tqdm bar with the engine's ETA (which knows that fine scales cost more), and snapshots.

    Args:
        enabled: draw the bar (snapshots are saved either way).
        output: the result's path, beside which snapshots go (None: no snapshots).
        save_every: save a snapshot every this many steps (0: none).
        frame_size: (width, height) that snapshots from coarse scales are enlarged to, as an interrupted
            run's output is.
    """

    def __init__(self, enabled: bool = True, output: Path | None = None, save_every: int = 0,
                 frame_size: tuple[int, int] | None = None):
        self.enabled, self.output, self.save_every, self.frame_size = enabled, output, save_every, frame_size
        self.bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, event: Progress) -> None:
        self._save_snapshot(event)
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=event.total, unit="step", file=sys.stderr, dynamic_ncols=True,
                            bar_format="{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
        losses = " ".join(f"{name}={value:.3g}" for name, value in event.losses.items() if value)
        eta = f"eta {event.eta:.0f}s" if event.eta is not None else ""
        self.bar.set_postfix_str(f"scale {event.scale_index + 1}/{event.scale_count} "
                                 f"{event.width}x{event.height} {losses} {eta}", refresh=False)
        self.bar.update(event.iteration - self.bar.n)  # draws the line, with this step's losses

    def _save_snapshot(self, event: Progress) -> None:
        if self.output is None or not self.save_every or event.preview is None or event.iteration % self.save_every:
            return
        frame = event.preview
        if self.frame_size is not None and frame.size != self.frame_size:
            frame = frame.resize(self.frame_size, Image.LANCZOS)
        save_image(frame, snapshot_path(self.output, event.iteration))
