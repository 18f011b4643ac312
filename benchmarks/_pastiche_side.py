"""Run pastiche (the peer) in its own process and report JSON on stdout.

Used by gatys_vs_pastiche.py; separate so peak RSS and start-up are its own.
Mirrors pastiche's CLI main(): PasticheArtist(...) then draw() per step.
"""

import json
import resource
import sys
import time

started = time.perf_counter()
import torch  # noqa: E402
from pastiche.pastiche import PasticheArtist, save_image  # noqa: E402


def main() -> None:
    content, style, output, steps, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    torch.manual_seed(0)
    artist = PasticheArtist(content, [style], device="cpu", size=size)
    ready = time.perf_counter() - started
    for _ in range(steps):
        artist.draw()
    save_image(artist.pastiche, output)
    total = time.perf_counter() - started
    print(json.dumps({"ready": ready, "total": total, "optimise": total - ready,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
