"""Peak memory of the app's Embed child process as the number of photos grows.

Writes a decoded image cache of N photos at 224 px (what the worker's image cache holds:
uint8 (N, 3, 224, 224), 150 KB a photo), runs the embed step of the training child on it
(``python -m labelapp.learning.training_process embed``) and reads the child's peak resident
memory (GNU time, /usr/bin/time). ``--encoder tiny`` (a narrow random-init ResNet, fast)
isolates what the data costs; ``--encoder backbone`` is the default ImageNet
EfficientNet-Lite0 with the flip average (about 20 photos/s on two cores, so keep N small).
The baseline in the same run is the cache's size: a child that loads the cache whole needs
at least that much memory (the code before this benchmark did: 3,281 MB at 16,000 photos).

    .venv/bin/python benchmarks/embed_memory.py --counts 2000,20000 --encoder tiny
    .venv/bin/python benchmarks/embed_memory.py --counts 500,2000 --encoder backbone
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIDE = 224
TINY = {
    "encoder": {"architecture": "small_resnet", "small_image_stem": False,
                "stage_widths": [8, 8, 8, 8], "blocks_per_stage": [1, 1, 1, 1]},
    "epochs": 0,
}  # fmt: skip


def backbone() -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")
    import django

    django.setup()
    from labelapp.learning.embedding import backbone_config

    return backbone_config()


def write_cache(path: Path, count: int) -> None:
    """Random photos, written in blocks so that this process stays small too."""
    cache = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(count, 3, SIDE, SIDE))
    rng = np.random.default_rng(0)
    for start in range(0, count, 500):
        stop = min(count, start + 500)
        cache[start:stop] = rng.integers(0, 256, (stop - start, 3, SIDE, SIDE), dtype=np.uint8)
    cache.flush()
    del cache


def run_embed(folder: Path, count: int, config: dict[str, object]) -> dict[str, float]:
    images = folder / f"cache-{count}.npy"
    write_cache(images, count)
    spec = {
        "images": str(images),
        "config": config,
        "weights_out": str(folder / "encoder.pt"),
        "representations": str(folder / f"h-{count}.npy"),
        "device": "cpu",
    }
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec))
    started = time.perf_counter()
    # GNU time reads the child's peak from a small parent: a child forked from this process
    # would count the pages this process had touched before its exec.
    peak_file = folder / "peak_kb"
    subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(peak_file), sys.executable, "-m",
         "labelapp.learning.training_process", "embed", str(spec_path)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    images.unlink()
    return {
        "photos": count,
        "cache_mb": count * 3 * SIDE * SIDE / 2**20,
        "peak_rss_mb": int(peak_file.read_text().split()[-1]) / 1024,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="2000,20000")
    parser.add_argument("--encoder", choices=("tiny", "backbone"), default="tiny")
    arguments = parser.parse_args()
    config = TINY if arguments.encoder == "tiny" else backbone()
    rows = []
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as d:
        for count in sorted(int(c) for c in arguments.counts.split(",")):
            rows.append(run_embed(Path(d), count, config))
            print(rows[-1], flush=True)
    print(f"\nEmbed child, {arguments.encoder} encoder, photos at {SIDE} px")
    print("| photos | decoded cache (MB) | child peak RSS (MB) | seconds |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['photos']:,} | {row['cache_mb']:,.0f} | {row['peak_rss_mb']:,.0f} | "
              f"{row['seconds']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
