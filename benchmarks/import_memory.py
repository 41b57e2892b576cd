"""Peak memory and throughput of importing a large zip of photos.

    .venv/bin/python benchmarks/import_memory.py --sizes-gb 0.5 2

For each size it writes a zip of unique random-noise JPEGs (incompressible, so the zip is
as large as its contents and nothing is deduplicated) into a temporary folder, migrates a
fresh SQLite data directory, and runs ``import_staged_batch`` in a fresh subprocess: once
as a bare Django process, once after importing what an import worker imports (workers
load torch only for learning jobs), so the import's own cost and the worker's total are
both visible. Peak resident memory is
``ru_maxrss`` of that subprocess. A table is printed; JSON goes to benchmarks/results/.
"""

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "import_memory.json"
WIDTH, HEIGHT, QUALITY = 1600, 1200, 90
# The benchmark uses its own SQLite data directory, whatever the shell has set.
PROCESS_NAMES = {False: "django only", True: "worker (its imports)"}
IGNORED_ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "MEDIA_STORAGE")


def build_zip(path: Path, target_bytes: int, seed: int = 0) -> int:
    """Write unique noise JPEGs until the archive holds ``target_bytes``; returns the count."""
    import numpy
    from PIL import Image

    generator = numpy.random.default_rng(seed)
    written, count = 0, 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        while written < target_bytes:
            pixels = generator.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=numpy.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, "JPEG", quality=QUALITY)
            archive.writestr(f"photos/{count // 100:03d}/{count:06d}.jpg", buffer.getvalue())
            written += buffer.tell()
            count += 1
    return count


def run_child(zip_path: Path, with_worker_imports: bool) -> dict[str, float]:
    """In a fresh process: stage the zip for a batch and import it; report time and memory."""
    import django

    django.setup()
    if with_worker_imports:
        import workers.tasks  # noqa: F401 - what an import worker has loaded (no torch)
    from django.conf import settings
    from django.contrib.auth.models import User

    from labelapp.images.importing import import_staged_batch
    from labelapp.images.models import UploadBatch
    from labelapp.projects.models import Project

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    user = User.objects.create_user(f"bench{time.time_ns()}")
    project = Project.objects.create(name="benchmark", created_by=user)
    batch = UploadBatch.objects.create(project=project, created_by=user)
    staged = Path(settings.MEDIA_ROOT) / "uploads" / str(batch.pk) / "0-photos.zip"
    staged.parent.mkdir(parents=True, exist_ok=True)
    os.link(zip_path, staged)  # the same bytes receive_upload would have streamed there
    batch.staged_files = [{"name": "photos.zip", "path": f"uploads/{batch.pk}/0-photos.zip"}]
    batch.save()
    started = time.perf_counter()
    report = import_staged_batch(batch)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "added": report.counts["added"],
        "rejected": report.counts["rejected"],
        "baseline_rss_mb": baseline,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(zip_path: Path, with_worker_imports: bool) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="labelapp-bench-"))
    environment = {
        **{k: v for k, v in os.environ.items() if k not in IGNORED_ENVIRONMENT},
        "LABELAPP_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "labelapp.settings",
        "CELERY_BROKER_URL": "filesystem://",
        "IMPORT_MAX_UNCOMPRESSED_BYTES": str(64 * 1024**3),
        "IMPORT_MAX_ARCHIVE_BYTES": str(64 * 1024**3),
    }
    try:
        migrate = [sys.executable, "manage.py", "migrate", "--verbosity", "0"]
        subprocess.run(migrate, cwd=ROOT, env=environment, check=True)
        command = [sys.executable, __file__, "--child", str(zip_path)]
        if with_worker_imports:
            command.append("--with-worker-imports")
        done = subprocess.run(
            command, cwd=ROOT, env=environment, check=True, capture_output=True, text=True
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-gb", type=float, nargs="+", default=[0.5, 2.0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--with-worker-imports", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(run_child(args.child, args.with_worker_imports)))
        return
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="labelapp-zip-") as folder:
        for size_gb in args.sizes_gb:
            zip_path = Path(folder) / f"photos-{size_gb}gb.zip"
            started = time.perf_counter()
            images = build_zip(zip_path, int(size_gb * 1024**3))
            built_in = time.perf_counter() - started
            print(f"built {zip_path.name}: {images} images in {built_in:.0f} s")
            for with_worker_imports in (False, True):
                result = measure(zip_path, with_worker_imports)
                zip_bytes = zip_path.stat().st_size
                rows.append(
                    {
                        "zip_gb": round(zip_bytes / 1024**3, 3),
                        "images": images,
                        "process": PROCESS_NAMES[with_worker_imports],
                        **result,
                        "mb_per_second": zip_bytes / 1024**2 / result["seconds"],
                        "images_per_second": result["added"] / result["seconds"],
                        "import_rss_mb": result["peak_rss_mb"] - result["baseline_rss_mb"],
                    }
                )
                print_table(rows[-1:], header=len(rows) == 1)
            zip_path.unlink()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count()}
    RESULTS.write_text(json.dumps({"machine": machine, "runs": rows}, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


def print_table(rows: list[dict[str, Any]], header: bool) -> None:
    columns = [
        ("zip_gb", "zip GB", "{:.2f}"),
        ("images", "images", "{}"),
        ("process", "process", "{}"),
        ("seconds", "seconds", "{:.0f}"),
        ("mb_per_second", "MB/s", "{:.1f}"),
        ("images_per_second", "images/s", "{:.1f}"),
        ("baseline_rss_mb", "RSS before MB", "{:.0f}"),
        ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
        ("import_rss_mb", "import adds MB", "{:.0f}"),
    ]
    if header:
        print(" | ".join(f"{title:>14}" for _, title, _ in columns))
    for row in rows:
        print(" | ".join(f"{form.format(row[key]):>14}" for key, _, form in columns))


if __name__ == "__main__":
    main()
