"""Optimisation-based style transfer (Gatys, Ecker & Bethge 2016, "Image style
transfer using convolutional neural networks", CVPR).

``stylize`` runs a plain coarse-to-fine loop: at each scale it resizes the
content and styles, computes the targets, and optimises the image (started
from the previous scale's result, upsampled) with L-BFGS or Adam.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image

from stylelab.backbones import FeatureExtractor, check_layers, load_backbone
from stylelab.devices import device_label, resolve_device
from stylelab.errors import Cancelled, ConfigError
from stylelab.gatys import color
from stylelab.gatys.config import INIT_KINDS, GatysConfig
from stylelab.gatys.losses import (
    blended_grams,
    content_loss,
    fast_product_dtype,
    gram,
    relative_error,
    tv_loss,
)
from stylelab.gatys.progress import Progress
from stylelab.gatys.schedule import (
    IterateAverage,
    scale_sizes,
    scaled_shape,
    upsample,
    warm_start_adam,
    warm_start_lbfgs,
)
from stylelab.imageio import ImageLimits, ImageSource, load_image, source_label
from stylelab.metrics import image_to_tensor, tensor_to_image
from stylelab.runtime import reuse_freed_memory
from stylelab.validate import callback, instance, proportions

ProgressCallback = Callable[[Progress], None]
LBFGS_HISTORY_BYTES = 128 * 2**20
HEAP_REUSE_MAX_PIXELS = 640 * 640  # faster steps, at the cost of fragmentation: not worth it above this
MIN_LBFGS_HISTORY = 5
DIVERGENCE_FACTOR = 4.0  # an L-BFGS step whose loss is this many times the scale's best restarts L-BFGS
MANY_RESTARTS = 3  # this many restarts in a run get a note: L-BFGS does not suit the loss


@dataclass
class StylizeResult:
    """What :func:`stylize` returns.

    Attributes:
        image: the stylised picture (exactly ``config.size`` on the long side).
        history: per step, the weighted loss terms ``content``, ``style``, ``tv``,
            ``total``, and the ``scale`` index the step ran at.
        timings: seconds spent in ``load`` (images), ``model``, ``optimise`` and ``total``;
            ``ready`` is the time from the call to the first optimiser step.
        config: the settings used.
        interrupted: True if stopped early (Ctrl-C or ``Cancelled``); ``image``
            is then the best result so far, upsampled to the full size if the run stopped
            at a coarser scale.
        losses: the weighted loss terms of the returned image (before colour preservation; for a run
            interrupted at a coarser scale, of that scale's image before it was enlarged):
            the lowest-loss iterate of the final scale, or the iterate average (iterates are clamped
            to 0..1 after every step). Not always the last entry of ``history``: an optimiser's last
            steps can make things worse.
        scale_sizes: the long side of each scale of the schedule, coarse to fine (a scale too small
            for the network's deepest layer is left out; ``history["scale"]`` indexes this).
        device: the device the run used, ``cpu`` or ``cuda:N`` (``config.device`` is the one asked
            for, e.g. ``auto``).
        notes: what the user should know about how the run went (settings named in backticks, as in
            :meth:`GatysConfig.notes`), e.g. that L-BFGS kept running away.
    """

    image: Image.Image
    history: dict[str, list[float]]
    timings: dict[str, float]
    config: GatysConfig
    interrupted: bool = False
    losses: dict[str, float] = field(default_factory=dict)
    scale_sizes: tuple[int, ...] = ()
    device: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class _Inputs:
    """Full-resolution pictures; each scale resizes them with Lanczos, like every other resize in
    Style Lab, so the targets match what the quality metrics compare against."""

    content: Image.Image  # the photo, for colour and size
    network_content: Image.Image  # what the network should see as content
    styles: list[Image.Image]  # what the network should see as style (after colour handling)
    init: Image.Image | None  # user-given start image, or None


@dataclass
class _Run:
    """Mutable state shared by the steps of one stylisation."""

    config: GatysConfig
    net: FeatureExtractor
    device: torch.device
    progress: ProgressCallback | None
    sizes: list[int]
    started: float
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in
                                                                     ("content", "style", "tv", "total", "scale")})
    product_dtype: torch.dtype = torch.float32
    step: int = 0
    rate_scale: int = -1  # the scale whose steps rate_seconds and rate_pixels add up (for the ETA)
    rate_seconds: float = 0.0
    rate_pixels: int = 0
    first_step_at: float | None = None
    restarts: int = 0  # L-BFGS restarts after a runaway step, over all scales


def stylize(content: ImageSource, styles: ImageSource | Sequence[ImageSource], config: GatysConfig = GatysConfig(),
            progress: ProgressCallback | None = None) -> StylizeResult:
    """Repaint ``content`` in the style of ``styles`` by optimising the image.

    Args:
        content: path, PIL image or array.
        styles: one or several (blended by ``config.style_weights``).
        config: all settings; see :class:`GatysConfig`.
        progress: called after every step with a :class:`Progress`; may raise
            :class:`Cancelled` to stop early. Any other exception it raises ends the run and
            propagates unchanged (no result).

    Returns:
        A :class:`StylizeResult`. Ctrl-C or ``Cancelled`` return the best image so far.

    Raises:
        InputError: an image is missing or invalid.
        ConfigError: settings that do not fit the inputs or the machine.
        ModelError: backbone weights missing or broken.
    """
    started = time.perf_counter()
    config = instance("config", config, GatysConfig).resolved()
    callback("progress", progress)
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    device = resolve_device(config.device)
    check_layers(config.backbone, "content_layers", config.content_layers)
    check_layers(config.backbone, "style_layers", config.style_layers)
    inputs = _load_inputs(content, styles, config)
    loaded = time.perf_counter()
    net = load_backbone(config.backbone, device, config.pooling)
    net = net.truncated(config.content_layers + config.style_layers).keeping_edges()
    model_ready = time.perf_counter()
    width, height = inputs.content.size
    sizes = usable_sizes(config, net.min_side(), width, height)
    run = _Run(config, net, device, progress, sizes, started, product_dtype=fast_product_dtype(device))
    final_height, final_width = scaled_shape(width, height, sizes[-1])
    small = final_height * final_width <= HEAP_REUSE_MAX_PIXELS
    with (reuse_freed_memory(enabled=device.type == "cpu" and small),
          _out_of_memory_as_error(final_width, final_height, device)):
        image, losses, interrupted = _optimise_all_scales(run, inputs, width, height)
    finished = time.perf_counter()
    timings = {"load": loaded - started, "model": model_ready - loaded, "optimise": finished - model_ready,
               "ready": (run.first_step_at or finished) - started, "total": finished - started}
    picture = _final_image(image, inputs, config, (final_height, final_width))
    return StylizeResult(picture, run.history, timings, config, interrupted, losses, tuple(sizes),
                         device_label(device), _run_notes(run))


def _run_notes(run: _Run) -> list[str]:
    if run.restarts < MANY_RESTARTS:
        return []
    return [f"L-BFGS ran away {run.restarts} times in {len(run.history['total'])} steps (a loss over "
            f"{DIVERGENCE_FACTOR:g}× the best) and went back to the best image each time, so the result "
            "may have barely changed; `optimizer` adam may suit this backbone and these settings better"]


@contextlib.contextmanager
def _out_of_memory_as_error(width: int, height: int, device: torch.device) -> Iterator[None]:
    """An allocation failure is a ConfigError (the size does not fit the machine), not a traceback."""
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and not _is_out_of_memory(exc):
            raise
        raise ConfigError(f"size: out of memory on {device} while stylising at {width}×{height} px; choose a "
                          "smaller `size`") from None


def _is_out_of_memory(exc: RuntimeError) -> bool:
    # torch.OutOfMemoryError on CUDA; the CPU allocator raises a plain RuntimeError
    return isinstance(exc, torch.OutOfMemoryError) or "can't allocate memory" in str(exc)


def _check_init_file(init: str) -> None:
    """A mistyped kind (``Noise``, ``random``) is named as such, not as a missing file."""
    if not os.path.exists(init):
        close = difflib.get_close_matches(init.lower(), INIT_KINDS, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"init: {init!r} is neither {' nor '.join(INIT_KINDS)} nor an existing image file.{hint}")


def _load_inputs(content: ImageSource, styles: list[ImageSource], config: GatysConfig) -> _Inputs:
    if not styles:
        raise ConfigError("at least one style image is needed")
    if config.style_weights is not None and len(config.style_weights) != len(styles):
        raise ConfigError(f"style_weights: {len(config.style_weights)} weight(s) given for {len(styles)} style(s)")
    limits = ImageLimits(max_pixels=config.max_pixels)
    content_image = load_image(content, limits, name=source_label(content, "content"))
    style_images = [load_image(style, limits, name=source_label(style, "style", index, len(styles)))
                    for index, style in enumerate(styles)]
    init = None
    if config.init not in INIT_KINDS:
        _check_init_file(config.init)
        init = load_image(config.init, limits, name=f"init image {config.init}")
    if config.preserve_color == "luminance":
        content_t = image_to_tensor(content_image)
        return _Inputs(content_image, _luminance_picture(content_image),
                       [tensor_to_image(color.match_luminance(image_to_tensor(s), content_t)) for s in style_images],
                       None if init is None else _luminance_picture(init))
    if config.preserve_color == "histogram":
        content_t = image_to_tensor(content_image)
        style_images = [tensor_to_image(color.match_histogram(image_to_tensor(s), content_t)) for s in style_images]
    return _Inputs(content_image, content_image, style_images, init)


def _luminance_picture(picture: Image.Image) -> Image.Image:
    return tensor_to_image(color.luminance_image(image_to_tensor(picture)))


def usable_sizes(config: GatysConfig, min_side: int, width: int, height: int) -> list[int]:
    """The scale schedule for a ``width``×``height`` content without scales too small for the network's
    deepest layer (``min_side``: :meth:`FeatureExtractor.min_side`).

    Raises:
        ConfigError: even the final size is too small.
    """
    final = scaled_shape(width, height, config.size)
    if min(final) < min_side:
        raise ConfigError(f"size {config.size} gives a {final[1]}×{final[0]} output; its short side must be at "
                          f"least {min_side} px for the chosen layers: use a larger `size`")
    sizes = scale_sizes(config.size, config.scales, config.min_scale)
    return [size for size in sizes if min(scaled_shape(width, height, size)) >= min_side]


def _optimise_all_scales(run: _Run, inputs: _Inputs, width: int, height: int
                         ) -> tuple[torch.Tensor, dict[str, float], bool]:
    image: torch.Tensor | None = None
    losses: dict[str, float] = {}
    previous: torch.optim.Optimizer | None = None
    for index, long_side in _scales_to_run(run):
        try:
            shape = scaled_shape(width, height, long_side)
            start = _start_image(run, inputs, shape, image)
            finished = _optimise_scale(run, inputs, index, shape, start, previous)
        except (KeyboardInterrupt, Cancelled):  # between scales (the next one's targets): the last scale's result
            if image is None:
                raise
            return image, losses, True
        image, losses, previous, interrupted = finished
        if interrupted:
            return image, losses, True
    return image, losses, False


def _scales_to_run(run: _Run) -> list[tuple[int, int]]:
    """(index, long side) of each scale to optimise; with no steps only the last, so that the result is the
    start image resized once (coarse scales would only shrink it and enlarge it again, blurring it)."""
    scales = list(enumerate(run.sizes))
    return scales if run.config.iterations else scales[-1:]


def _start_image(run: _Run, inputs: _Inputs, shape: tuple[int, int], previous: torch.Tensor | None
                 ) -> torch.Tensor:
    if previous is not None:
        return upsample(previous, shape)
    if inputs.init is not None:
        return _resized(inputs.init, shape, run.device)
    if run.config.init == "noise":
        return _noise(shape, run.config.seed).to(run.device)
    return _resized(inputs.network_content, shape, run.device)


def _noise(shape: tuple[int, int], seed: int | None) -> torch.Tensor:
    """Uniform noise from a generator of its own (the caller's random state is left alone), drawn on the
    CPU so that a seed gives the same start image on every device."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return torch.rand((1, 3, *shape), generator=generator)


def _resized(picture: Image.Image, shape: tuple[int, int], device: torch.device) -> torch.Tensor:
    """``picture`` resized (Lanczos) to ``shape`` = (height, width), as a tensor on ``device``."""
    if picture.size != (shape[1], shape[0]):
        picture = picture.resize((shape[1], shape[0]), Image.LANCZOS)
    return image_to_tensor(picture, device)


@torch.no_grad()
def _targets(run: _Run, inputs: _Inputs, shape: tuple[int, int]) -> tuple[dict, dict]:
    config, net = run.config, run.net
    content = net(_resized(inputs.network_content, shape, run.device), config.content_layers)
    style_long_side = max(16, round(max(shape) * config.style_scale))
    grams = []
    for style in inputs.styles:
        style_shape = scaled_shape(style.width, style.height, style_long_side)
        if min(style_shape) < net.min_side():  # a tiny style scale: keep the deepest layer non-empty
            grow = net.min_side() / min(style_shape)
            style_shape = (round(style_shape[0] * grow), round(style_shape[1] * grow))
        features = net(_resized(style, style_shape, run.device), config.style_layers)
        grams.append({layer: gram(features[layer], run.product_dtype) for layer in config.style_layers})
    weights = config.style_weights or [1.0] * len(inputs.styles)
    return content, blended_grams(grams, weights)


def _layer_weights(config: GatysConfig) -> dict[str, float]:
    shares = proportions(config.style_layer_weights or [1.0] * len(config.style_layers))
    return {layer: share for layer, share in zip(config.style_layers, shares, strict=True) if share > 0}


def _make_optimizer(config: GatysConfig, image: torch.Tensor) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam([image], lr=config.learning_rate)
    # One function evaluation per step and no line search (Gatys et al.'s L-BFGS had one): cheaper steps,
    # with the runaway guard of _restart_lbfgs.
    return torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=lbfgs_history(config, image))


def lbfgs_history(config: GatysConfig, image: torch.Tensor) -> int:
    """``config.lbfgs_history``, shortened at large sizes so the history stays within LBFGS_HISTORY_BYTES
    (two image-sized vectors per entry: 25 MB per entry at 1024×1024, so 5 entries there), but not
    below MIN_LBFGS_HISTORY; a shorter history asked for is kept."""
    entry_bytes = 2 * image.numel() * image.element_size()
    return min(config.lbfgs_history, max(MIN_LBFGS_HISTORY, LBFGS_HISTORY_BYTES // entry_bytes))


class _Best:
    """Lowest-loss iterate seen at the current scale (what Ctrl-C returns)."""

    def __init__(self, image: torch.Tensor):
        self.losses: dict[str, float] = {}
        self.image = image.detach().clone()

    def offer(self, losses: dict[str, float], image: torch.Tensor) -> None:
        if losses["total"] < self.losses.get("total", float("inf")):
            self.losses = dict(losses)
            self.image = image.detach().clone()


def _optimise_scale(run: _Run, inputs: _Inputs, index: int, shape: tuple[int, int], start: torch.Tensor,
                    previous: torch.optim.Optimizer | None
                    ) -> tuple[torch.Tensor, dict[str, float], torch.optim.Optimizer | None, bool]:
    config = run.config
    content_targets, style_targets = _targets(run, inputs, shape)
    layer_weights = _layer_weights(config)
    image = start.detach().clone().requires_grad_(True)
    optimizer = _make_optimizer(config, image)
    if previous is not None:
        warm_start = warm_start_adam if isinstance(optimizer, torch.optim.Adam) else warm_start_lbfgs
        warm_start(previous, optimizer, shape)
    average = IterateAverage(image, config.average) if config.average > 0 else None
    best = _Best(image)

    def objective(picture: torch.Tensor = image) -> dict[str, torch.Tensor]:
        return _losses(run, picture, content_targets, style_targets, layer_weights)

    def chosen() -> tuple[torch.Tensor, dict[str, float]]:
        """What this scale would return now (before clamping), with its loss terms where known."""
        if average is None or average.weight == 0:
            return best.image, best.losses
        return average.value(), {}

    def result() -> tuple[torch.Tensor, dict[str, float]]:
        return _clamped_with_losses(*chosen(), objective)

    def offer_current() -> None:
        with torch.no_grad():
            best.offer(_values(objective()), image)

    try:
        for step in range(config.iterations):
            started = time.perf_counter()
            run.first_step_at = run.first_step_at or started
            losses = _step(optimizer, image, objective, best)
            if isinstance(optimizer, torch.optim.LBFGS) and _diverging(losses, best):
                _restart_lbfgs(optimizer, image, best)
                run.restarts += 1
                if not math.isfinite(losses["total"]):  # an overflow here is L-BFGS's, not the settings'
                    losses = dict(best.losses)  # what the image is again
            _check_finite(losses, run.step + 1, config)
            if average is not None:
                average.update(image)
            last = step == config.iterations - 1
            if last:  # before the report, so that its preview is the image returned
                offer_current()
            _report(run, inputs, index, step, losses, time.perf_counter() - started, shape,
                    lambda: chosen()[0], last)
        if config.iterations == 0:
            offer_current()
    except (KeyboardInterrupt, Cancelled):
        return *_measured_result(chosen, result)[:2], None, True
    image, losses, cut_short = _measured_result(chosen, result)
    return image, losses, None if cut_short else optimizer, cut_short


def _measured_result(chosen: Callable[[], tuple[torch.Tensor, dict[str, float]]],
                     result: Callable[[], tuple[torch.Tensor, dict[str, float]]]
                     ) -> tuple[torch.Tensor, dict[str, float], bool]:
    """``result()`` (the chosen image clamped, its losses measured) and False; or, if Ctrl-C stops that
    measurement, the clamped image with the losses known so far and True (the run is interrupted)."""
    try:
        return *result(), False
    except (KeyboardInterrupt, Cancelled):
        image, losses = chosen()
        return image.detach().clamp(0, 1), losses, True


@torch.no_grad()
def _clamped_with_losses(image: torch.Tensor, losses: dict[str, float],
                         objective: Callable[[torch.Tensor], dict[str, torch.Tensor]]
                         ) -> tuple[torch.Tensor, dict[str, float]]:
    """``image`` clamped to 0..1, as it is saved, with its loss terms: ``losses`` if clamping changes
    nothing (the iterates are clamped after every step), else measured again."""
    clamped = image.clamp(0, 1)
    if losses and torch.equal(clamped, image):
        return image, losses
    return clamped, _values(objective(clamped))


def _diverging(losses: dict[str, float], best: _Best) -> bool:
    """The loss is far above the best of this scale: L-BFGS without a line search is running away."""
    if "total" not in best.losses:
        return False  # nothing to go back to (a loss that is inf from the start is a settings error)
    total = losses["total"]
    return not math.isfinite(total) or total > DIVERGENCE_FACTOR * best.losses["total"]


@torch.no_grad()
def _restart_lbfgs(optimizer: torch.optim.LBFGS, image: torch.Tensor, best: _Best) -> None:
    # Not in Gatys et al. (their L-BFGS had a line search): back to the best iterate, and forget the
    # curvature pairs, which after a long coarse scale can send the first fine steps to 1e20 and beyond.
    image.copy_(best.image)
    optimizer.state.clear()


def _values(losses: dict[str, torch.Tensor]) -> dict[str, float]:
    """Loss terms as plain numbers (for the history, the best iterate and the result)."""
    return {name: value.item() for name, value in losses.items()}


def _check_finite(losses: dict[str, float], step: int, config: GatysConfig) -> None:
    """A NaN or infinite loss cannot recover (L-BFGS keeps it in its history): stop with the reason."""
    if math.isfinite(losses["total"]):
        return
    lr = f", `learning_rate` {config.learning_rate:g}" if config.optimizer == "adam" else ""
    raise ConfigError(f"the loss became {losses['total']} at step {step}: the settings overflow float32 "
                      f"(`content_weight` {config.content_weight:g}, `style_weight` {config.style_weight:g}, "
                      f"`tv_weight` {config.tv_weight:g}{lr}); use smaller values")


def _losses(run: _Run, image: torch.Tensor, content_targets: dict, style_targets: dict,
            layer_weights: dict[str, float]) -> dict[str, torch.Tensor]:
    config = run.config
    content_layers = config.content_layers if config.content_weight > 0 else ()
    content_scale = config.content_weight / max(1, len(config.content_layers))

    def layer_terms(layer: str) -> Callable[[torch.Tensor], torch.Tensor]:
        # [content, style] of one layer: Gatys et al. 2016 eq. 1 and eqs. 3-5, normalised (see losses.py).
        def terms(features: torch.Tensor) -> torch.Tensor:
            content = content_loss(features, content_targets[layer]) if layer in content_layers else None
            style = (relative_error(gram(features, run.product_dtype), style_targets[layer])
                     if layer in layer_weights else None)
            zero = features.new_zeros(())
            return torch.stack([zero if content is None else content_scale * content,
                                zero if style is None else config.style_weight * layer_weights[layer] * style])
        return terms

    layers = list(dict.fromkeys(content_layers + tuple(layer_weights)))
    per_layer = run.net(image, layers, reduce={layer: layer_terms(layer) for layer in layers})
    content, style = torch.stack(list(per_layer.values())).sum(0)
    tv = config.tv_weight * tv_loss(image) if config.tv_weight > 0 else image.new_zeros(())
    return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def _step(optimizer: torch.optim.Optimizer, image: torch.Tensor, objective: Callable[[], dict],
          best: _Best) -> dict[str, float]:
    """One optimiser step; the image is then clamped to 0..1, also for L-BFGS (whose curvature pairs do not
    know it; the PyTorch tutorial does the same): unclamped, 2.5 % of its values left 0..1 and the image
    saved, clamped at the end, had a 13–30 % higher loss than the one optimised."""
    record: dict[str, float] = {}

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        losses = objective()
        losses["total"].backward()
        record.update(_values(losses))
        best.offer(record, image)
        return losses["total"]

    optimizer.step(closure)
    with torch.no_grad():
        image.clamp_(0, 1)
    return record


def _report(run: _Run, inputs: _Inputs, index: int, step: int, losses: dict[str, float], seconds: float,
            shape: tuple[int, int], shown: Callable[[], torch.Tensor], last_of_scale: bool) -> None:
    """Record a step in the history and tell the progress callback; a preview is ``shown()``, the image
    the scale would return now (the best iterate or the average), not the optimiser's current one."""
    run.step += 1
    for name, value in losses.items():
        run.history[name].append(value)
    run.history["scale"].append(float(index))
    if run.progress is None:
        return
    height, width = shape
    _measure_rate(run, index, seconds, height * width)
    every = run.config.preview_every
    preview = None
    if last_of_scale or (every and run.step % every == 0):
        preview = _picture(shown().detach(), inputs, run.config)
    run.progress(Progress(
        iteration=run.step, total=run.config.iterations * len(run.sizes), scale_index=index,
        scale_count=len(run.sizes), width=width, height=height, losses=dict(losses),
        elapsed=time.perf_counter() - run.started, eta=_eta(run, inputs, index, step), preview=preview))


def _measure_rate(run: _Run, index: int, seconds: float, pixels: int) -> None:
    """Seconds per pixel-step: the mean over the current scale's steps, so that one slow step (another
    process, a page fault) does not throw the ETA by 100x. The run's first step also warms up: left out."""
    if run.step == 1:
        return
    if run.rate_scale != index:
        run.rate_scale, run.rate_seconds, run.rate_pixels = index, 0.0, 0
    run.rate_seconds += seconds
    run.rate_pixels += pixels


def _eta(run: _Run, inputs: _Inputs, index: int, step: int) -> float | None:
    if not run.rate_pixels:
        return None
    width, height = inputs.content.size
    remaining = 0
    for later, long_side in enumerate(run.sizes[index:], start=index):
        h, w = scaled_shape(width, height, long_side)
        steps = run.config.iterations - (step + 1) if later == index else run.config.iterations
        remaining += steps * h * w
    return remaining * run.rate_seconds / run.rate_pixels


def _picture(image: torch.Tensor, inputs: _Inputs, config: GatysConfig) -> Image.Image:
    image = image.clamp(0, 1)
    if config.preserve_color == "luminance":
        content = _resized(inputs.content, tuple(image.shape[-2:]), image.device)
        image = color.join_luminance(image, content)
    return tensor_to_image(image)


def _final_image(image: torch.Tensor, inputs: _Inputs, config: GatysConfig, shape: tuple[int, int]
                 ) -> Image.Image:
    image = image.detach()
    if tuple(image.shape[-2:]) != shape:  # stopped at a coarser scale: still the size asked for
        image = _resized(tensor_to_image(image.clamp(0, 1)), shape, image.device)
    return _picture(image, inputs, config)
