"""The child process that does the heavy learning work of a job.

It imports simclr_core and numpy only (no Django, no Celery), reads a JSON spec of file
paths and settings, and reports progress as one JSON object per line on stdout, which the
worker's supervisor (supervisor.py, via child_jobs.py) turns into Job updates. Run as
``python -m labelapp.learning.training_process <command> <spec.json>``.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
import traceback
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from labelapp.learning.classifier_export import export_classifier
from labelapp.learning.supervisor import die_with_parent
from simclr_core.fewlabel.calibration import (
    calibration_map,
    expected_accuracy,
    expected_accuracy_range,
)
from simclr_core.fewlabel.classifier_selection import (
    METHODS,
    FineTuneInputs,
    summarize_quality,
    train_best_classifier,
)
from simclr_core.fewlabel.fine_tune import FineTuneConfig
from simclr_core.fewlabel.label_propagation import (
    NEIGHBORS,
    graph_from_neighbors,
    nearest_neighbors,
)
from simclr_core.fewlabel.methods import GRAPH_METHODS
from simclr_core.hyperparameters import config_from_dict, config_to_dict, load_config
from simclr_core.progress import Progress, ignore_progress, within
from simclr_core.ssl.checkpoint import load_training_state
from simclr_core.ssl.encoder import build_encoder
from simclr_core.ssl.extract import default_batch_size, iterate_representations
from simclr_core.ssl.pretrain import CONFIG_FILE, load_pretrained_encoder, pretrain
from simclr_core.ssl.pretrain_config import (
    PretrainConfig,
    cpu_preset,
    gpu_preset,
    pretrained_continuation_preset,
)
from simclr_core.ssl.time_budget import fit_to_time_budget

Spec = dict[str, Any]
# A pretraining job on an accelerator without chosen epochs trains for about this long (at
# most the preset's epochs), at the speed a short probe measures on this card.
ACCELERATOR_BUDGET_SECONDS = 600.0


def emit(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def progress_to_parent(min_interval: float = 1.0, note: str = "") -> Progress:
    """Progress as "progress" events for the parent, each message followed by ``note``; at
    most one a second within a phase (fine-tuning reports every optimizer step), while a new
    phase (the message before its first colon changes) and a message without a fraction
    always go through."""
    last_time, last_phase = -float("inf"), None

    def report(
        fraction: float | None,
        message: str | None = None,
        *,
        eta_seconds: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        nonlocal last_time, last_phase
        now, phase = time.monotonic(), (message or "").split(":")[0]
        if fraction is not None and phase == last_phase and now - last_time < min_interval:
            return
        last_time, last_phase = now, phase
        emit(
            "progress", fraction=fraction, message=message and message + note,
            eta_seconds=eta_seconds, metrics=metrics,
        )  # fmt: skip

    return report


def pretrain_config_for(spec: Spec, image_count: int) -> PretrainConfig:
    if spec.get("config"):
        return config_from_dict(PretrainConfig, spec["config"])
    if spec.get("continue_from"):  # SimCLR continued from an ImageNet-pretrained backbone
        epochs = int(spec["epochs"]) if spec.get("epochs") else None
        config = pretrained_continuation_preset(
            spec["continue_from"], epochs, spec["device"], image_count
        )
    elif spec["device"] == "cpu":
        config = cpu_preset(image_size=int(spec["image_size"]))
    else:
        config = gpu_preset()
    overrides = {
        key: int(spec[key]) for key in ("epochs", "checkpoint_every_steps") if spec.get(key)
    }
    return config_from_dict(PretrainConfig, {**config_to_dict(config), **overrides})


def open_image_cache(path: str | Path) -> torch.Tensor:
    """The decoded image cache, uint8 (N, 3, S, S), mapped from its file and not read into
    memory: 100,000 photos at 224 px are 15 GB, and a step reads one batch of them. Copy on
    write, so nothing done to the tensor reaches the file."""
    return torch.from_numpy(np.load(path, mmap_mode="c"))


def run_pretrain(spec: Spec) -> None:
    """Pretrain on every image, then write the representations of every image."""
    images = open_image_cache(spec["images"])
    config = pretrain_config_for(spec, len(images))
    batch_size = min(config.batch_size, max(2, len(images) // 2 * 2))
    if batch_size != config.batch_size:  # a small project: one smaller batch per step
        config = config_from_dict(
            PretrainConfig, {**config_to_dict(config), "batch_size": batch_size}
        )
    work_dir = Path(spec["work_dir"])
    work_dir.mkdir(parents=True, exist_ok=True)
    config, plan = plan_for_budget(config, images, spec, work_dir)

    progress = progress_to_parent()
    resumed = load_training_state(work_dir)
    if resumed is not None:
        progress(None, f"Resumed from the checkpoint after step {resumed.step}")
        print(f"Resuming from the checkpoint after step {resumed.step}", flush=True)
    result = pretrain(
        config,
        images,
        checkpoint_dir=work_dir,
        progress=within(progress, 0.0, 0.95),
        device=spec["device"],
    )
    step = default_batch_size(images.shape[-1], spec["device"])
    write_representations(
        result.encoder,
        (images[start : start + step] for start in range(0, len(images), step)),
        len(images),
        Path(spec["representations"]),
        spec["device"],
        within(progress, 0.95, 1.0),
    )
    metrics = {**result.metrics, **plan, "device_name": device_name(spec["device"])}
    emit("done", metrics=metrics, config=config_to_dict(config))


def plan_for_budget(
    config: PretrainConfig, images: torch.Tensor, spec: Spec, work_dir: Path
) -> tuple[PretrainConfig, dict[str, float]]:
    """On an accelerator, without chosen epochs: epochs that fit the budget at the steady
    speed, compiled only where it pays. A resumed run keeps the plan it started with."""
    if spec["device"] == "cpu" or spec.get("epochs") or spec.get("config"):
        return config, {}
    if (work_dir / CONFIG_FILE).exists():
        return load_config(PretrainConfig, work_dir / CONFIG_FILE), {}
    seconds = float(spec.get("budget_seconds") or ACCELERATOR_BUDGET_SECONDS)
    return fit_to_time_budget(config, images, spec["device"], seconds)


def device_name(device: str) -> str:
    """The card's name (``NVIDIA H200``), else the device type."""
    return torch.cuda.get_device_name() if device == "cuda" else device


def run_embed(spec: Spec) -> None:
    """h of every image (or of "rows" of the cache) from a stored encoder ("encoder_dir"), or
    from a pretrained backbone ("config", a PretrainConfig) whose weights are then written to
    "weights_out". The image cache is read a batch at a time (100,000 photos at 224 px are
    15 GB), not loaded."""
    if spec.get("encoder_dir"):
        encoder = load_pretrained_encoder(Path(spec["encoder_dir"]))
    else:
        encoder = build_encoder(config_from_dict(PretrainConfig, spec["config"]).encoder).eval()
        torch.save(encoder.state_dict(), spec["weights_out"])
    shape = npy_shape(Path(spec["images"]))
    rows = spec.get("rows")  # only these rows of the cache (images added since), in order
    count = shape[0] if rows is None else len(rows)
    batch_size = default_batch_size(shape[-1], spec["device"])
    batches = read_batches(Path(spec["images"]), batch_size, rows)
    write_representations(
        encoder, batches, count, Path(spec["representations"]), spec["device"],
        progress_to_parent(),
    )  # fmt: skip
    emit("done", metrics={"images": count})


def npy_shape(path: Path) -> tuple[int, ...]:
    with open(path, "rb") as stream:
        return _read_npy_header(stream)[0]


def read_batches(
    path: Path, batch_size: int, rows: Sequence[int] | None = None
) -> Iterator[torch.Tensor]:
    """The rows of an .npy file (all, or ``rows``, in that order) a batch at a time, read
    rather than memory-mapped: a mapped file's pages count as the process's own memory once
    read, a whole 15 GB cache by the end."""
    with open(path, "rb") as stream:
        shape, dtype = _read_npy_header(stream)
        per_row = int(np.prod(shape[1:]))
        if rows is None:
            for start in range(0, shape[0], batch_size):
                count = min(batch_size, shape[0] - start)
                batch = np.fromfile(stream, dtype=dtype, count=count * per_row)
                yield torch.from_numpy(batch.reshape(count, *shape[1:]))
            return
        first, row_bytes = stream.tell(), per_row * dtype.itemsize
        for start in range(0, len(rows), batch_size):
            chosen = rows[start : start + batch_size]
            batch = np.empty((len(chosen), per_row), dtype=dtype)
            for position, row in enumerate(chosen):
                if not 0 <= row < shape[0]:
                    raise IndexError(f"row {row} of a cache of {shape[0]} images")
                stream.seek(first + row * row_bytes)
                batch[position] = np.fromfile(stream, dtype=dtype, count=per_row)
            yield torch.from_numpy(batch.reshape(len(chosen), *shape[1:]))


def _read_npy_header(stream: Any) -> tuple[tuple[int, ...], np.dtype[Any]]:
    major, _ = np.lib.format.read_magic(stream)
    npy = np.lib.format
    read = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
    shape, fortran_order, dtype = read(stream)
    if fortran_order:
        raise ValueError("expected a C-ordered array")
    return tuple(shape), dtype


def write_representations(
    encoder: Any,
    batches: Iterable[torch.Tensor],
    count: int,
    path: Path,
    device: str,
    progress: Progress = ignore_progress,
) -> None:
    """Stream h of ``count`` images, batch by batch, into an .npy file, (N, dim) float32,
    appended rather than memory-mapped, with ``progress`` (photos at 224 px take minutes on
    a CPU)."""
    partial = path.with_suffix(".partial.npy")
    header = {"descr": "<f4", "fortran_order": False, "shape": (count, encoder.output_dim)}
    started, filled = time.monotonic(), 0
    with open(partial, "wb") as output:
        np.lib.format.write_array_header_1_0(output, header)
        for chunk in iterate_representations(encoder, batches, device=device):
            np.ascontiguousarray(chunk, dtype="<f4").tofile(output)
            filled += len(chunk)
            elapsed = time.monotonic() - started
            progress(
                filled / count,
                f"Computing representations: {filled:,} of {count:,} images",
                eta_seconds=elapsed / filled * (count - filled),
                metrics={"images_per_second": round(filled / max(elapsed, 1e-9), 1)},
            )
    if filled != count:
        raise RuntimeError(f"expected {count} representations, wrote {filled}")
    partial.replace(path)


def fine_tune_config(spec: Spec) -> FineTuneConfig:
    """The default fine-tuning budget, or "fine_tune_steps" optimizer steps when given."""
    config = FineTuneConfig()
    if spec.get("fine_tune_steps"):
        config = dataclasses.replace(config, steps=int(spec["fine_tune_steps"]))
    return config


def knn_graph(features: np.ndarray, folder: Path | None, device: str, progress: Progress) -> Any:
    """The features' kNN graph, its neighbours read from ``folder`` when an earlier job of
    the project stored them for the same features (named by their digest), else found on
    ``device`` and stored there (replacing any other set): with 100,000 images they take about
    3 minutes on 2 CPU cores, and the features change only when images are embedded, while
    every labeling round trains again. The worker creates ``folder``; storing is an
    optimization, and where it fails (a full disk, or the folder deleted with its project
    meanwhile, which is not created again) the job goes on without it."""
    if folder is None:
        return graph_from_neighbors(*nearest_neighbors(features, NEIGHBORS, device))
    digest = hashlib.sha256(str(features.shape).encode())
    digest.update(np.ascontiguousarray(features, dtype=np.float32).data)
    path = folder / f"neighbors-{NEIGHBORS}-{digest.hexdigest()[:24]}.npz"
    if (stored := _stored_neighbors(path, len(features))) is not None:
        return graph_from_neighbors(*stored)
    progress(None, f"Finding the {NEIGHBORS} nearest neighbours of each image")
    similarities, indices = nearest_neighbors(features, NEIGHBORS, device)
    partial = folder / f".{path.name}.{os.getpid()}.partial"
    try:
        with open(partial, "wb") as output:
            np.savez(output, similarities=similarities, indices=indices)
        partial.replace(path)  # atomic: a concurrent job reads the whole file or none
        for older in folder.glob("neighbors-*.npz"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        traceback.print_exc()  # the next job finds them again
    finally:
        partial.unlink(missing_ok=True)
    return graph_from_neighbors(similarities, indices)


def _stored_neighbors(path: Path, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The (similarities, indices) stored at ``path`` for ``count`` images, or None when
    there are none or they are damaged (then they are found again)."""
    try:  # TypeError: an .npy file under the name loads as an array, no npz archive
        with np.load(path) as stored:
            similarities, indices = stored["similarities"], stored["indices"]
    except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile):
        return None
    if similarities.shape != indices.shape or len(indices) != count:
        return None
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        return None
    return similarities, indices


# Scored labels per class (on average) before the accuracy to expect on the unlabeled images
# is shown: below 5, with folds of 1 to 3 labels per class, the estimate was 4 to 9 points
# low on the unbalanced real-photo pool (benchmarks/estimate_bias.py, 12 seeds, 30 to 80
# labels); from 5 on, within a point at 100 labels (it read 2 to 4 low at 150 to 250 labels
# until the labels were weighted by class: see simclr_core.fewlabel.calibration).
ESTIMATE_LABELS_PER_CLASS = 5


def run_train(spec: Spec) -> None:
    """Pick the best few-label classifier by cross-validation and predict every image.

    With "fine_tune" among the methods the spec also names the image cache ("images"), the
    cache row of each representation ("image_rows") and the encoder ("encoder_dir").
    "neighbors_cache" names a folder where the features' nearest neighbours are kept
    between jobs (:func:`knn_graph`). "scored" (one bool per label, default all) marks the
    labels a person gave: only those are scored, the others (accepted predictions) only
    train. The metrics hold the accuracy to expect on the images no person labeled
    (:func:`expected_accuracy`; "unlabeled_images" of them, "accepted_in_estimate" of
    those accepted predictions) and its range (:func:`expected_accuracy_range`), calibrated
    on the scored labels that "calibrating" marks (default all: labels of images the queue
    offered as the model's least sure are left out, since those are harder than the images
    nobody labeled), None until there are "labels_for_estimate" of them.
    """
    features = np.asarray(np.load(spec["representations"], mmap_mode="r"), dtype=np.float32)
    labeled_indices = np.asarray(spec["labeled_indices"], dtype=np.int64)
    labels = np.asarray(spec["labels"], dtype=np.int64)
    scored = np.asarray(spec.get("scored", [True] * len(labels)), dtype=bool)
    calibrating = scored & np.asarray(spec.get("calibrating", scored), dtype=bool)
    num_classes = int(spec["num_classes"])
    methods = spec.get("methods") or METHODS
    fine_tune_inputs = None
    if "fine_tune" in methods:
        fine_tune_inputs = FineTuneInputs(
            encoder=load_pretrained_encoder(Path(spec["encoder_dir"])),
            images=np.load(spec["images"], mmap_mode="r"),
            rows=np.load(spec["image_rows"]),
            device=spec.get("device") or "cpu",
            config=fine_tune_config(spec),
        )
    note = f" (scoring the {int(scored.sum())} labels a person gave, of {len(labels)})"
    graph = None
    if set(GRAPH_METHODS) & set(methods):
        folder = Path(spec["neighbors_cache"]) if spec.get("neighbors_cache") else None
        graph = knn_graph(features, folder, spec.get("device") or "cpu", progress_to_parent())
    report = train_best_classifier(
        features, labeled_indices, labels, num_classes,
        methods=methods, fine_tune_inputs=fine_tune_inputs, scored=scored,
        progress=within(progress_to_parent(note=note), 0.1, 0.9), graph=graph,
    )  # fmt: skip
    np.savez(
        spec["output"],
        probabilities=report.probabilities,
        out_of_fold=report.out_of_fold,
        labeled_indices=labeled_indices,
        labels=labels,
        scored=scored,
    )
    quality = summarize_quality(report.out_of_fold[scored], labels[scored], num_classes)
    # the images no person labeled: the unlabeled ones and any accepted predictions, which
    # only trained. Over them the figure stays put when predictions are accepted; over the
    # unlabeled ones left it fell with the easy images taken (benchmarks/estimate_bias.py
    # --unbalanced --accept 0.9, 12 seeds, 150 labels: -2.7 +- 2.5 points from the truth on
    # those images, against -6.6 +- 5.2 on the unlabeled ones left; 100 labels: -0.8, -3.8).
    unlabeled = np.setdiff1d(np.arange(len(features)), labeled_indices[scored])
    labels_for_estimate = ESTIMATE_LABELS_PER_CLASS * num_classes
    expected, expected_range, knots = None, None, None
    if calibrating.sum() >= labels_for_estimate:
        calibration = (
            report.out_of_fold[calibrating],
            labels[calibrating],
            report.for_estimate()[unlabeled],
        )
        expected, expected_range = (
            expected_accuracy(*calibration),
            expected_accuracy_range(*calibration),
        )
        # the chance each stored prediction is right, for the accept page; only when the
        # model that made them is the one calibrated (no accepted predictions trained it)
        fitted = calibration_map(*calibration) if scored.all() else None
        knots = None if fitted is None else [np.round(part, 4).tolist() for part in fitted]
    export = {}  # "export_dir" given: the classifier as TorchScript and ONNX files too
    if spec.get("export_dir"):
        export = export_classifier(spec, report, features, labeled_indices, labels, scored)
    emit(
        "done",
        export=export,
        metrics={
            **quality,
            "method": report.method,
            "cross_validated_accuracy": report.cross_validated_accuracy,
            "folds": report.folds,
            "labels": len(labels),
            "scored_labels": int(scored.sum()),
            "calibrating_labels": int(calibrating.sum()),
            # cross-validated apart: least-sure picks are harder than the other images
            "calibrating_accuracy": _accuracy(report.out_of_fold, labels, calibrating),
            "least_sure_accuracy": _accuracy(report.out_of_fold, labels, scored & ~calibrating),
            "expected_accuracy": expected,
            "expected_accuracy_range": expected_range,
            "calibration_map": knots,
            "unlabeled_images": len(unlabeled),
            "accepted_in_estimate": int((~scored).sum()),
            "labels_for_estimate": labels_for_estimate,
        },
    )


def _accuracy(out_of_fold: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> float | None:
    """Share of the out-of-fold predictions right at ``rows`` (bools), None for no rows."""
    if not rows.any():
        return None
    return float((out_of_fold[rows].argmax(1) == labels[rows]).mean())


COMMANDS: dict[str, Callable[[Spec], None]] = {
    "pretrain": run_pretrain,
    "embed": run_embed,
    "train": run_train,
}


def main() -> int:
    die_with_parent()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("spec", type=Path)
    args = parser.parse_args()
    spec = json.loads(args.spec.read_text())
    torch.set_num_threads(int(spec.get("threads") or torch.get_num_threads()))
    try:
        COMMANDS[args.command](spec)
    except Exception as error:
        traceback.print_exc()
        print(f"{type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
