"""Near-duplicate benchmark: injected near copies among distinct photos, pairs scored per
threshold.

Three sets: real photos (2,062 sign-language digit photos) and product photos on a plain
background (3,000 Fashion-MNIST images: many distinct trousers and shirts that look alike,
as in the clothing collection that chained 447 photos at the old default), each with 400
injected near copies (100 each re-encoded as JPEG, resized, cropped 0-10% per border,
recoloured), and 5,000 CIFAR-10 test images with none. For each encoder (the
ImageNet-pretrained EfficientNet-Lite0 and a randomly initialised one) and threshold, the
centred cosine pairs of ``simclr_core.curation.near_duplicates`` are scored: precision (pairs that
are a planted copy and its original), recall (planted copies found), the largest group
(distinct images chained together), and recall per kind of copy. For comparison, the same
for a pixel-level check (Pearson correlation of 32x32 grey thumbnails).

    python -m benchmarks.photo_features --device cuda   # once, where a GPU is
    python -m benchmarks.near_duplicates [--features benchmarks/results/features]
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks import photo_features
from simclr_core.curation.near_duplicates import (
    DUPLICATE_THRESHOLD,
    find_similar_pairs,
    group_pairs,
)

THRESHOLDS = (0.85, 0.90, 0.92, 0.94, 0.95, 0.97, 0.99, 1.0)
PIXEL_THRESHOLDS = (0.90, 0.95, 0.98)
SETS = ("photos", "fashion", "cifar")


def score(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    source: np.ndarray,
    kind: np.ndarray,
    threshold: float,
) -> str:
    """One table row's figures for the pairs at or above ``threshold``."""
    first, second, _ = (array[pairs[2] >= threshold] for array in pairs)
    planted = (source[second] == first) | (source[first] == second)
    copies = int((source >= 0).sum())
    groups = group_pairs(first, second, len(source))
    largest = max((len(group) for group in groups), default=0)
    found = set(np.maximum(first[planted], second[planted]).tolist())
    by_kind = " | ".join(
        f"{np.mean([i in found for i in np.flatnonzero(kind == name)]):.2f}" if copies else "-"
        for name in photo_features.COPY_KINDS
    )
    precision = f"{planted.mean():.3f}" if len(first) else "-"
    recall = f"{planted.sum() / copies:.2f}" if copies else "-"
    return f"{len(first)} | {precision} | {recall} | {largest} | {by_kind}"


def thumbnails(images: list[Image.Image], side: int = 32) -> np.ndarray:
    """Grey thumbnails minus their own mean ``(N, side * side)``: cosine = Pearson r."""
    grey = np.stack(
        [np.asarray(image.convert("L").resize((side, side), Image.Resampling.BOX), np.float32)
         for image in images]
    ).reshape(len(images), -1)  # fmt: skip
    return grey - grey.mean(axis=1, keepdims=True)


def load_images(data: str) -> list[Image.Image] | None:
    try:
        if data == "photos":
            return photo_features.photos_with_copies(*photo_features.sign_photos())["images"]  # type: ignore[return-value]
        if data == "fashion":
            return photo_features.photos_with_copies(*photo_features.fashion_photos(3000))["images"]  # type: ignore[return-value]
        return photo_features.cifar_test_subset(500)[0]
    except OSError:  # Fashion-MNIST is a Debian package; the pixel rows are left out
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=Path, default=photo_features.DEFAULT_FOLDER)
    parser.add_argument("--no-pixels", action="store_true", help="skip the thumbnail rows")
    arguments = parser.parse_args()
    kinds = " | ".join(photo_features.COPY_KINDS)
    print(f"| set | measure | threshold | pairs | precision | recall | largest group | {kinds} |")
    print("|" + "---|" * 11)
    for data in SETS:
        for encoder in photo_features.ENCODER_SIDES:
            loaded = photo_features.load_features(arguments.features, data, encoder)
            source = loaded.get("source", np.full(len(loaded["h"]), -1))
            kind = loaded.get("kind", np.full(len(loaded["h"]), ""))
            pairs = find_similar_pairs(loaded["h"], min(THRESHOLDS))
            for threshold in THRESHOLDS:
                marker = " (default)" if threshold == DUPLICATE_THRESHOLD else ""
                row = score(pairs, source, kind, threshold)
                print(
                    f"| {data} | {encoder} cosine | {threshold:.2f}{marker} | {row} |", flush=True
                )
        images = None if arguments.no_pixels else load_images(data)
        if images is not None:
            pairs = find_similar_pairs(thumbnails(images), min(PIXEL_THRESHOLDS), center=False)
            for threshold in PIXEL_THRESHOLDS:
                row = score(pairs, source, kind, threshold)
                print(f"| {data} | 32 px thumbnail r | {threshold:.2f} | {row} |", flush=True)
    print(
        "\nprecision: pairs that are a planted copy and its original; recall: planted copies "
        "paired with their original; largest group: images chained into one group."
    )


if __name__ == "__main__":
    main()
