"""Extraction speed of the ImageNet backbone at its own resolution: as the Embed job runs it
(batch norms folded into their convolutions) against the encoder as trained, in the same run.

Both run the same encoder (EfficientNet-Lite0 at 224 px with the flip average, the app's
default) on the same uint8 batches, alternating rounds so that load from other work hits both
alike. Speed does not depend on the pixels, so the images are random. Reports images/s per
batch size, the speed-up and the largest difference in h between the two.

    .venv/bin/python benchmarks/embed_speed.py --rounds 3 --seconds 6
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: sleep, do not spin

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simclr_report import format_table, machine_description, write_json
from simclr_core.ssl.encoder import (
    build_encoder,
    channels_last_is_safe,
    native_resolution,
    pretrained_encoder_config,
)
from simclr_core.ssl.extract import fold_batch_norms

RESULTS = Path(__file__).resolve().parent / "results" / "embed_speed.json"


def images_per_second(model: nn.Module, batch: torch.Tensor, seconds: float) -> float:
    with torch.inference_mode():
        model(batch)  # warm-up: first-call allocations and weight packing
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            model(batch)
            done += len(batch)
    return done / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--architecture", default="efficientnet_lite0")
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and model")
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()

    config = pretrained_encoder_config(arguments.architecture)
    side = native_resolution(config) or 224
    encoder = build_encoder(config).eval()
    if channels_last_is_safe(encoder, torch.device("cpu")):
        encoder.to(memory_format=torch.channels_last)
    generator = torch.Generator().manual_seed(0)
    sizes = [int(size) for size in arguments.batch_sizes.split(",")]
    images = torch.randint(0, 256, (max(sizes), 3, side, side), generator=generator)
    images = images.to(torch.uint8).contiguous(memory_format=torch.channels_last)
    folded = fold_batch_norms(encoder, images[:2])
    if folded is encoder:
        print("nothing folded: the two columns measure the same model", file=sys.stderr)
    with torch.inference_mode():
        difference = float((folded(images[:4]) - encoder(images[:4])).abs().max())

    rows, results = [], []
    for size in sizes:
        batch = images[:size]
        speeds: dict[str, list[float]] = {"as trained": [], "folded": []}
        for _ in range(arguments.rounds):
            speeds["as trained"].append(images_per_second(encoder, batch, arguments.seconds))
            speeds["folded"].append(images_per_second(folded, batch, arguments.seconds))
        trained, fast = (statistics.median(speeds[name]) for name in ("as trained", "folded"))
        results.append({"batch_size": size, "as_trained": trained, "folded": fast})
        rows.append([str(size), f"{trained:.1f}", f"{fast:.1f}", f"{fast / trained:.2f}x"])
    print(
        f"{arguments.architecture} at {side} px, flip average, {torch.get_num_threads()} threads; "
        f"median of {arguments.rounds} rounds of {arguments.seconds:g} s; images/s"
    )
    print(format_table(["batch", "as trained", "folded (Embed job)", "speed-up"], rows))
    print(f"largest difference in h between the two: {difference:.2e}")
    write_json(
        arguments.output,
        {
            "machine": machine_description(),
            "architecture": arguments.architecture,
            "resolution": side,
            "max_abs_difference_h": difference,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
