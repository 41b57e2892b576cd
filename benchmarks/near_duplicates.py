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
(distinct images chained together), and recall per kind of copy. Then the same for the
pixel check (Pearson correlation of the 16 x 16 grey thumbnails of ``pixel_signatures``, from
the centre squares the app decodes: at 224 px for the ImageNet encoder, at 64 and 32 px for
Pretrain's) and for the app's rule: a pair is a duplicate when the ImageNet encoder links it at
``DUPLICATE_THRESHOLD`` or its thumbnails correlate at ``PIXEL_THRESHOLD``.

    python -m benchmarks.photo_features --device cuda   # once, where a GPU is
    python -m benchmarks.near_duplicates [--features benchmarks/results/features]
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks import photo_features
from labelapp.images.decoding import square_pixels
from simclr_core.curation.near_duplicates import (
    DUPLICATE_THRESHOLD,
    PIXEL_THRESHOLD,
    find_similar_pairs,
    group_pairs,
    pixel_signatures,
)

THRESHOLDS = (0.85, 0.90, 0.92, 0.94, 0.95, 0.97, 0.99, 1.0)
PIXEL_THRESHOLDS = (0.99, 0.995, 0.996, 0.997, 0.998)
DECODED_SIDES = (224, 64, 32)
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


def signatures(images: list[Image.Image], side: int = 224) -> np.ndarray:
    """``pixel_signatures`` of the centre squares the app decodes at ``side`` px."""
    return pixel_signatures(np.stack([square_pixels(image, side) for image in images]))


def load_images(data: str, count: int) -> list[Image.Image] | None:
    """The images the features of ``data`` were computed from (``count`` of them)."""
    try:
        if data == "photos":
            return photo_features.photos_with_copies(*photo_features.sign_photos())["images"]  # type: ignore[return-value]
        if data == "fashion":
            return photo_features.photos_with_copies(*photo_features.fashion_photos(3000))["images"]  # type: ignore[return-value]
        return photo_features.cifar_test_subset(count // 10)[0]
    except OSError:  # Fashion-MNIST is a Debian package; the pixel rows are left out
        return None


def app_rule(
    folder: Path, data: str, pixels: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs the app calls duplicates (ImageNet encoder at its threshold, or thumbnails
    at theirs), each given similarity 1 so that ``score`` at 1.0 keeps them all."""
    first, second, _ = find_similar_pairs(
        photo_features.load_features(folder, data, "efficientnet")["h"], DUPLICATE_THRESHOLD
    )
    strict = pixels[2] >= PIXEL_THRESHOLD
    pairs = np.unique(
        np.concatenate([np.stack([first, second], 1), np.stack(pixels[:2], 1)[strict]]), axis=0
    )
    return pairs[:, 0], pairs[:, 1], np.ones(len(pairs), np.float32)


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
        images = None if arguments.no_pixels else load_images(data, len(source))
        if images is None:
            continue
        by_side = {}
        for side in DECODED_SIDES:  # the ImageNet encoder's decoded images, then Pretrain's
            found = find_similar_pairs(signatures(images, side), PIXEL_THRESHOLDS[0], center=False)
            by_side[side] = found
            for threshold in PIXEL_THRESHOLDS:
                marker = " (default)" if threshold == PIXEL_THRESHOLD else ""
                row = score(found, source, kind, threshold)
                measure = f"16 px thumbnail r, from {side} px"
                print(f"| {data} | {measure} | {threshold}{marker} | {row} |", flush=True)
        print(
            f"| {data} | app: encoder or thumbnail (224 px) | both defaults | "
            f"{score(app_rule(arguments.features, data, by_side[224]), source, kind, 1.0)} |"
        )
    print(
        "\nprecision: pairs that are a planted copy and its original; recall: planted copies "
        "paired with their original; largest group: images chained into one group."
    )


if __name__ == "__main__":
    main()
