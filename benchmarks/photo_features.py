"""Representations of the benchmark photos, computed once and cached as .npz files.

Shared by ``benchmarks/label_errors.py`` and ``benchmarks/near_duplicates.py``. Three image
sets: the real photos (sign-language digits, 2,062 phone photos), the same photos plus
injected near copies (re-encoded JPEG, resized, slightly cropped, recoloured), and a CIFAR-10
test subset. Two encoders: the ImageNet-pretrained EfficientNet-Lite0 (the default for new
projects) at 224 px, and a randomly initialised CPU-preset SimCLR encoder (what a project has
before pretraining) at 64 px. Extraction is slow on a CPU (about 4 images/s for Lite0 on two
cores), so run this once where a GPU is (``--device cuda``) and point the benchmarks at the
folder it wrote:

    python -m benchmarks.photo_features --device cuda --output benchmarks/results/features
"""

import argparse
import gzip
import io
import os
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from benchmarks.datasets import CIFAR10_ARCHIVE, datasets_directory

SIGN_ARCHIVE = datasets_directory() / "sign-digits-jpeg.tar.gz"
COPY_KINDS = ("jpeg", "resized", "cropped", "recoloured")
FASHION_FOLDER = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
DEFAULT_FOLDER = Path(__file__).resolve().parent / "results" / "features"


def read_jpegs(archive: Path, limit_per_class: int | None = None) -> tuple[list[bytes], np.ndarray]:
    """The JPEG files of a ``split/<class>/<file>`` archive, in name order, and class ids."""
    files: dict[str, list[tuple[str, bytes]]] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and member.name.lower().endswith(".jpg") and len(parts) >= 3:
                data = tar.extractfile(member)
                assert data is not None
                files.setdefault(parts[-2], []).append((member.name, data.read()))
    contents, labels = [], []
    for class_id, name in enumerate(sorted(files)):
        chosen = sorted(files[name])[:limit_per_class]
        contents += [content for _, content in chosen]
        labels += [class_id] * len(chosen)
    return contents, np.array(labels, dtype=np.int64)


def near_copy(photo: Image.Image, kind: str, rng: np.random.Generator) -> Image.Image:
    """A near copy as a person's collection holds them: same shot, processed differently."""
    width, height = photo.size
    if kind == "jpeg":  # saved again at a lower quality
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=int(rng.integers(40, 70)))
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if kind == "resized":
        scale = rng.uniform(0.5, 0.8)
        return photo.resize((int(width * scale), int(height * scale)), Image.Resampling.BILINEAR)
    if kind == "cropped":  # 4-10% off some borders
        left, top, right, bottom = rng.uniform(0.0, 0.10, 4) * [width, height, width, height]
        left, top = int(left), int(top)
        return photo.crop((left, top, width - int(right), height - int(bottom)))
    if kind == "recoloured":
        photo = ImageEnhance.Brightness(photo).enhance(rng.uniform(0.8, 1.2))
        photo = ImageEnhance.Color(photo).enhance(rng.uniform(0.6, 1.4))
        return ImageEnhance.Contrast(photo).enhance(rng.uniform(0.85, 1.15))
    raise ValueError(f"unknown copy kind {kind!r}")


def sign_photos() -> tuple[list[Image.Image], np.ndarray]:
    contents, labels = read_jpegs(SIGN_ARCHIVE)
    return [Image.open(io.BytesIO(content)).convert("RGB") for content in contents], labels


def fashion_installed() -> bool:
    """Whether Fashion-MNIST is in ``FASHION_FOLDER`` (Debian's ``dataset-fashion-mnist``)."""
    return (FASHION_FOLDER / "t10k-images-idx3-ubyte.gz").exists()


def read_fashion(prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's ``prefix`` split ("train" or "t10k") from ``FASHION_FOLDER``: uint8
    pictures (N, 28, 28) and class ids (N,)."""
    with gzip.open(FASHION_FOLDER / f"{prefix}-images-idx3-ubyte.gz") as stream:
        pixels = np.frombuffer(stream.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(FASHION_FOLDER / f"{prefix}-labels-idx1-ubyte.gz") as stream:
        labels = np.frombuffer(stream.read(), np.uint8, offset=8).astype(np.int64)
    return pixels, labels


def fashion_photos(count: int) -> tuple[list[Image.Image], np.ndarray]:
    """The first ``count`` Fashion-MNIST test images (product photos on a plain background:
    many distinct trousers that look alike), from ``FASHION_FOLDER``."""
    pixels, labels = read_fashion("t10k")
    return [Image.fromarray(p).convert("RGB") for p in pixels[:count]], labels[:count]


def photos_with_copies(
    photos: list[Image.Image], labels: np.ndarray, copies_per_kind: int = 100, seed: int = 0
) -> dict[str, object]:
    """The photos plus near copies of some of them: ``images`` (PIL), ``labels``,
    ``source`` (for a copy, the index of its original; -1 for originals), ``kind``."""
    rng = np.random.default_rng(seed)
    originals = rng.choice(len(photos), copies_per_kind * len(COPY_KINDS), replace=False)
    images, sources, kinds = list(photos), [-1] * len(photos), [""] * len(photos)
    for number, original in enumerate(originals):
        kind = COPY_KINDS[number // copies_per_kind]
        images.append(near_copy(photos[original], kind, rng))
        sources.append(int(original))
        kinds.append(kind)
    return {
        "images": images,
        "labels": np.concatenate([labels, labels[originals]]),
        "source": np.array(sources, dtype=np.int64),
        "kind": np.array(kinds),
    }


def to_array(images: list[Image.Image], side: int) -> np.ndarray:
    """uint8 ``(N, 3, side, side)``, each image resized to a square as the app does."""
    resized = [np.asarray(i.convert("RGB").resize((side, side), Image.Resampling.BILINEAR))
               for i in images]  # fmt: skip
    return np.stack(resized).transpose(0, 3, 1, 2).copy()


def encode(images: np.ndarray, encoder_name: str, device: str) -> np.ndarray:
    """h ``(N, dim)`` float32 of uint8 images ``(N, 3, H, W)``."""
    import torch

    from simclr_core.ssl.encoder import build_encoder, pretrained_encoder_config
    from simclr_core.ssl.extract import iterate_representations
    from simclr_core.ssl.pretrain_config import cpu_preset

    torch.manual_seed(0)
    if encoder_name == "efficientnet":
        encoder = build_encoder(pretrained_encoder_config())
    else:
        encoder = build_encoder(cpu_preset().encoder)
    chunks = iterate_representations(encoder, torch.from_numpy(images), 256, device)
    return np.concatenate(list(chunks)).astype(np.float32)


ENCODER_SIDES = {"efficientnet": 224, "random_init": 64}


def cifar_test_subset(per_class: int) -> tuple[list[Image.Image], np.ndarray]:
    contents, labels = read_jpegs(CIFAR10_ARCHIVE, None)
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    # read_jpegs sorts by name within a class folder: test/... comes before train/...
    return [Image.open(io.BytesIO(contents[i])).convert("RGB") for i in keep], labels[keep]


def feature_path(folder: Path, data: str, encoder_name: str) -> Path:
    return folder / f"{data}-{encoder_name}.npz"


def compute_all(folder: Path, device: str, cifar_per_class: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    photos = photos_with_copies(*sign_photos())
    cifar_images, cifar_labels = cifar_test_subset(cifar_per_class)
    sets = {
        "photos": (photos["images"], {k: v for k, v in photos.items() if k != "images"}),
        "cifar": (cifar_images, {"labels": cifar_labels}),
    }
    if fashion_installed():
        fashion = photos_with_copies(*fashion_photos(3000))
        sets["fashion"] = (fashion["images"], {k: v for k, v in fashion.items() if k != "images"})
    else:
        print(f"no Fashion-MNIST in {FASHION_FOLDER} (FASHION_MNIST_DIR): skipping it", flush=True)
    for data, (images, extra) in sets.items():
        for encoder_name, side in ENCODER_SIDES.items():
            h = encode(to_array(images, side), encoder_name, device)  # type: ignore[arg-type]
            np.savez(feature_path(folder, data, encoder_name), h=h.astype(np.float16), **extra)
            print(f"{data} {encoder_name}: {h.shape}", flush=True)


def load_features(folder: Path, data: str, encoder_name: str) -> dict[str, np.ndarray]:
    path = feature_path(folder, data, encoder_name)
    if not path.exists():
        raise SystemExit(f"{path} is missing: run python -m benchmarks.photo_features first")
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--cifar-per-class", type=int, default=500)
    arguments = parser.parse_args()
    compute_all(arguments.output, arguments.device, arguments.cifar_per_class)


if __name__ == "__main__":
    main()
