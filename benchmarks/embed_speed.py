"""Extraction speed of the ImageNet backbone at its own resolution: as the Embed job runs it
(batch norms folded into their convolutions) against the encoder as trained, in the same run.

Both run the same encoder (EfficientNet-Lite0 at 224 px with the flip average, the app's
default) on the same uint8 batches, alternating rounds so that load from other work hits both
alike. Speed does not depend on the pixels, so the images are random. Reports images/s per
batch size, the speed-up and the largest difference in h between the two.

Then the decoding of the image cache: phone-sized JPEGs (4032 x 3024, the first sign-language
photos of ../shared/datasets scaled up, so smoother than a real photo) to the 224 px square,
decoded in full against decoded at a reduced scale (``square_pixels``), in ms per photo.

    .venv/bin/python benchmarks/embed_speed.py --rounds 3 --seconds 6
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: sleep, do not spin

import argparse
import io
import statistics
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datasets import datasets_directory
from benchmarks.simclr_report import format_table, machine_description, write_json
from labelapp.images.decoding import square_pixels
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


def phone_photos(count: int) -> list[bytes]:
    with tarfile.open(datasets_directory() / "sign-digits-jpeg.tar.gz") as archive:
        members = [m for m in archive.getmembers() if m.name.lower().endswith(".jpg")][:count]
        photos = []
        for member in members:
            source = archive.extractfile(member)
            assert source is not None
            with Image.open(source) as picture:
                large = picture.convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
            buffer = io.BytesIO()
            large.save(buffer, "JPEG", quality=90)
            photos.append(buffer.getvalue())
    return photos


def decode_in_full(data: bytes, side: int) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        square = ImageOps.fit(picture.convert("RGB"), (side, side), Image.Resampling.BICUBIC)
        return np.asarray(square).transpose(2, 0, 1)


def decode_reduced(data: bytes, side: int) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return square_pixels(picture, side)


def milliseconds_per_photo(
    decode: Callable[[bytes, int], np.ndarray], photos: list[bytes], side: int, rounds: int
) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for photo in photos:
            decode(photo, side)
        times.append((time.perf_counter() - started) / len(photos) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--architecture", default="efficientnet_lite0")
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and model")
    parser.add_argument("--photos", type=int, default=20, help="phone-sized JPEGs to decode")
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

    photos = phone_photos(arguments.photos)
    full_ms = milliseconds_per_photo(decode_in_full, photos, side, arguments.rounds)
    reduced_ms = milliseconds_per_photo(decode_reduced, photos, side, arguments.rounds)
    change = np.mean(
        [
            np.abs(decode_in_full(p, side) - decode_reduced(p, side).astype(float)).mean()
            for p in photos
        ]
    )
    print(f"\nDecoding {len(photos)} JPEGs of 4032 x 3024 to the {side} px square, one thread")
    print(
        format_table(
            ["decoded", "ms per photo"],
            [["in full", f"{full_ms:.1f}"], ["at a reduced scale (cache)", f"{reduced_ms:.1f}"]],
        )
    )
    print(f"mean change of a pixel: {change:.2f} of 255")
    write_json(
        arguments.output,
        {
            "machine": machine_description(),
            "architecture": arguments.architecture,
            "resolution": side,
            "max_abs_difference_h": difference,
            "results": results,
            "decode_ms_per_12mp_photo": {"full": full_ms, "reduced": reduced_ms},
            "decode_mean_pixel_change": float(change),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
