"""Peak memory of representation extraction stays flat in the number of images (streaming).

Each size runs in a fresh subprocess that streams images straight from the CIFAR-10 archive
into an np.memmap and reads its peak RSS (ru_maxrss) before and after; the "model footprint"
is the peak after importing torch, building the encoder and running one batch.

    .venv/bin/python benchmarks/extract_memory.py --sizes 10000,50000
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: sleep, do not spin

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simclr_cifar import ARCHIVE, CACHE_DIR, RESULTS_DIR
from benchmarks.simclr_report import format_table, machine_description, write_json

LIMIT_BYTES = 1.5 * 1024**3


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def run_child(count: int, batch_size: int, run_dir: Path | None) -> dict[str, float]:
    import numpy as np
    import torch
    from torch.utils.data import IterableDataset

    from simclr_core.data import TarImageDataset
    from simclr_core.ssl.encoder import build_encoder
    from simclr_core.ssl.extract import extract_representations
    from simclr_core.ssl.pretrain import load_pretrained_encoder
    from simclr_core.ssl.pretrain_config import cpu_preset

    if run_dir is not None and (run_dir / "encoder.pt").exists():
        encoder = load_pretrained_encoder(run_dir)
    else:
        encoder = build_encoder(cpu_preset().encoder).eval()
    with torch.inference_mode():
        encoder(torch.zeros(batch_size, 3, 32, 32, dtype=torch.uint8))
    footprint = peak_rss_bytes()
    archive = TarImageDataset(ARCHIVE, split="train")

    class FirstImages(IterableDataset[tuple[torch.Tensor, int]]):
        def __iter__(self) -> Iterator[tuple[torch.Tensor, int]]:
            return itertools.islice(iter(archive), count)

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"extract_memory_{count}.npy"
    output = np.lib.format.open_memmap(path, "w+", np.float32, (count, encoder.output_dim))
    started = time.perf_counter()
    written = extract_representations(encoder, FirstImages(), batch_size, output=output)
    seconds = time.perf_counter() - started
    output.flush()
    rows = len(written)
    del output, written
    path.unlink()
    peak = peak_rss_bytes()
    return {
        "images": rows,
        "footprint_bytes": footprint,
        "peak_bytes": peak,
        "growth_bytes": peak - footprint,
        "seconds": seconds,
        "images_per_second": rows / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--run-dir", type=Path, default=CACHE_DIR / "label_efficiency_run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "extract_memory.json")
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(run_child(arguments.child, arguments.batch_size, arguments.run_dir)))
        return
    results = []
    for size in (int(value) for value in arguments.sizes.split(",")):
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(size),
                "--batch-size",
                str(arguments.batch_size),
                "--run-dir",
                str(arguments.run_dir),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
        print(results[-1], flush=True)
    mib = 1024**2
    rows = [
        [
            f"{r['images']:,}",
            f"{r['footprint_bytes'] / mib:.0f}",
            f"{r['peak_bytes'] / mib:.0f}",
            f"{r['growth_bytes'] / mib:.0f}",
            f"{r['images_per_second']:.0f}",
            "yes" if r["growth_bytes"] <= LIMIT_BYTES else "NO",
        ]
        for r in results
    ]
    print(
        format_table(
            [
                "images",
                "model footprint MiB",
                "peak RSS MiB",
                "growth MiB",
                "images/s",
                "within 1.5 GB",
            ],
            rows,
        )
    )
    write_json(
        arguments.output,
        {"machine": machine_description(), "batch_size": arguments.batch_size, "results": results},
    )


if __name__ == "__main__":
    main()
