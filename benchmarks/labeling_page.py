"""Server time of the labeling page on a 10,000-image project, against the project list.

Builds a throwaway test database (``test_<name>`` of DATABASE_URL, or SQLite under a temp
LABELAPP_DATA_DIR when DATABASE_URL is unset) holding one project with 10,000 images, a
current classifier with a prediction for each, and 3,000 labeled images; then times pages
through Django's test Client (the whole server side: middleware, queries, templates):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labelapp_bench \\
        .venv/bin/python benchmarks/labeling_page.py --requests 60

Prints a table (median and p95 per page, and the ratio to the project list, timed in the
same run) and writes JSON to benchmarks/results/labeling_page-<database>.json.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")
os.environ.setdefault("LABELAPP_DATA_DIR", tempfile.mkdtemp(prefix="labelapp-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CLASSES = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck"


def build_project(images: int, labeled: int) -> tuple[User, int]:
    from labelapp.images.models import Image, Label, LabelSource
    from labelapp.learning.models import ModelKind, ModelVersion, Prediction
    from labelapp.projects.class_lines import parse_class_lines
    from labelapp.projects.services import create_project

    user = User.objects.create_user("bench", password="not used for timing")
    project = create_project("Benchmark", "", parse_class_lines(CLASSES), user)
    classes = list(project.classes.all())
    rows = Image.objects.bulk_create(
        (
            Image(
                project=project,
                file="images/shared.jpg",
                thumbnail="thumbnails/shared.jpg",
                content_hash=f"{index:064x}",
                width=32,
                height=32,
                format="JPEG",
                original_name=f"train/{index:05d}.jpg",
                current_label=classes[index % 10] if index < labeled else None,
                label_version=1 if index < labeled else 0,
            )
            for index in range(images)
        ),
        batch_size=2000,
    )
    Label.objects.bulk_create(
        (
            Label(image=row, label_class=classes[i % 10], user=user, source=LabelSource.PERSON)
            for i, row in enumerate(rows[:labeled])
        ),
        batch_size=2000,
    )
    version = ModelVersion.objects.create(project=project, kind=ModelKind.CLASSIFIER, number=1)
    Prediction.objects.bulk_create(
        (
            Prediction(
                image=row,
                model_version=version,
                probabilities={str(classes[(i * 7) % 10].pk): 0.3 + (i % 70) / 100},
                predicted_class=classes[(i * 7) % 10],
                confidence=0.3 + (i % 70) / 100,
                margin=0.1,
                entropy=1.0,
            )
            for i, row in enumerate(rows)
        ),
        batch_size=2000,
    )
    project.current_classifier = version
    project.save(update_fields=["current_classifier"])
    # Planner statistics, as autovacuum (PostgreSQL) would have gathered by now.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return user, project.pk


def time_page(client: Client, url: str, requests: int) -> list[float]:
    response = client.get(url)  # warm-up (template loading, connection)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--labeled", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    # As in production: hashed static file names from the collected manifest.
    call_command("collectstatic", "--noinput", verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        user, project_id = build_project(args.images, args.labeled)
        print(f"built {args.images} images in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(user)
        base = f"/projects/{project_id}"
        pages = {
            "project list (baseline)": "/",
            "labeling, all, page 1": f"{base}/images/",
            "labeling, all, page 40": f"{base}/images/?page=40",
            "labeling, unlabeled": f"{base}/images/?status=unlabeled",
            "labeling, confidence 0.5-0.8": f"{base}/images/?min_confidence=0.5&max_confidence=0.8",
            "labeling, disagrees": f"{base}/images/?disagree=1",
            "dashboard": f"{base}/",
        }
        results = {}
        for name, url in pages.items():
            timings = time_page(client, url, args.requests)
            results[name] = {
                "url": url,
                "median_ms": statistics.median(timings),
                "p95_ms": percentile(timings, 0.95),
                "requests": args.requests,
            }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    baseline = results["project list (baseline)"]["median_ms"]
    print(f"\n{'page':32} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
    for name, row in results.items():
        ratio = row["median_ms"] / baseline
        row["ratio_to_baseline"] = ratio
        print(f"{name:32} {row['median_ms']:10.1f} {row['p95_ms']:8.1f} {ratio:11.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    output = {
        "database": connection.vendor,
        "images": args.images,
        "labeled": args.labeled,
        "page_size": 200,
        "pages": results,
    }
    path = RESULTS / f"labeling_page-{connection.vendor}.json"
    path.write_text(json.dumps(output, indent=2), encoding="utf-8")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
