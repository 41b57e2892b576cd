"""The Python half of benchmarks/gpu_check.sh: each subcommand measures one thing, writes
``gpu_<name>.json`` into the output folder and exits non-zero when it failed.

    info      card name, torch version, CUDA availability
    tests     the ``cuda``-marked simclr_core tests (pytest in a subprocess)
    simclr    ResNet-18 CIFAR preset (gpu_preset()): steady pretraining images/s compiled and
              not, compile seconds, extraction images/s, and kNN accuracy (all 50,000 labels,
              10,000 test images) after a fixed pretraining budget
    table     one table of everything the other steps wrote (missing steps say so)

``--quick`` shrinks everything (the small CPU preset on 2,048 images) so the whole script can
be dry-run on a CPU; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))


def output_dir() -> Path:
    return Path(os.environ.get("OUT") or REPOSITORY / "benchmarks" / "results")


def write_result(name: str, data: dict[str, Any]) -> None:
    path = output_dir() / f"gpu_{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path}", flush=True)


def run_info(arguments: argparse.Namespace) -> int:
    import torch

    cuda = torch.cuda.is_available()
    info = {
        "card": torch.cuda.get_device_name() if cuda else "none (CPU only)",
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "device": arguments.device,
    }
    if cuda:
        properties = torch.cuda.get_device_properties(0)
        info["memory_gib"] = round(properties.total_memory / 2**30, 1)
    write_result("info", info)
    print(json.dumps(info), flush=True)
    if arguments.device == "cuda" and not cuda:
        print("FAILED: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 1
    return 0


def run_tests(arguments: argparse.Namespace) -> int:
    command = [
        sys.executable, "-m", "pytest", "tests/simclr_core", "-m", "cuda", "-q",
        "-p", "no:django", "-p", "no:cacheprovider", "--confcutdir=tests/simclr_core",
        "-o", "addopts=-ra --strict-markers",
    ]  # fmt: skip
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=arguments.timeout
    )
    output = completed.stdout + completed.stderr
    print(output[-6000:], flush=True)
    summary = next(
        (line.strip("= ") for line in reversed(output.splitlines()) if re.search(r"\d+ \w+", line)),
        "no summary line",
    )
    write_result(
        "tests",
        {
            "command": " ".join(command),
            "exit_code": completed.returncode,
            "summary": summary,
            "seconds": time.perf_counter() - started,
        },
    )
    if arguments.device == "cuda" and " passed" not in summary:
        print("FAILED: no cuda-marked test passed on this CUDA machine", file=sys.stderr)
        return 1
    return 0 if completed.returncode == 0 else 1


def run_simclr(arguments: argparse.Namespace) -> int:
    import torch

    from benchmarks.simclr_cifar import load_cifar10
    from simclr_core.ssl.extract import extract_representations
    from simclr_core.ssl.knn import knn_accuracy
    from simclr_core.ssl.pretrain import pretrain
    from simclr_core.ssl.pretrain_config import cpu_preset, gpu_preset
    from simclr_core.ssl.time_budget import epochs_for_budget, measure_steady_speed

    device = torch.device(arguments.device)
    report: dict[str, Any] = {"device": str(device), "quick": arguments.quick, "errors": {}}
    step = _stepper(report)
    started = time.perf_counter()
    train_images, train_labels = load_cifar10("train")
    test_images, test_labels = load_cifar10("test")
    if arguments.quick:
        keep = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(0))
        train_images, train_labels = train_images[keep[:2048]], train_labels[keep[:2048]]
        test_images, test_labels = test_images[::10], test_labels[::10]
    report["decode_seconds"] = time.perf_counter() - started
    config = cpu_preset(epochs=1) if arguments.quick else gpu_preset()
    report["preset"] = "cpu_preset (quick)" if arguments.quick else "gpu_preset() ResNet-18"
    probe_steps = 3 if arguments.quick else 30

    def compiled_speed() -> None:
        begun = time.perf_counter()
        report["compiled_images_per_second"] = measure_steady_speed(
            replace(config, compile=True), train_images, device, steps=probe_steps
        )
        report["first_compiled_run_seconds"] = time.perf_counter() - begun
        begun = time.perf_counter()  # a second run in this process reuses the compiled model
        measure_steady_speed(replace(config, compile=True), train_images, device, steps=3)
        report["second_compiled_run_seconds"] = time.perf_counter() - begun

    def eager_speed() -> None:
        report["eager_images_per_second"] = measure_steady_speed(
            replace(config, compile=False), train_images, device, steps=probe_steps
        )

    if not arguments.quick:  # compiling needs a C compiler and minutes on a CPU
        step("compiled_speed", compiled_speed)
    step("eager_speed", eager_speed)
    if device.type == "cuda":
        report["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
    speed = report.get("compiled_images_per_second") or report.get("eager_images_per_second")
    if not speed:
        write_result("simclr", report)
        return 1
    epochs = epochs_for_budget(arguments.knn_seconds, speed, len(train_images), 10**6)
    compiled = bool(report.get("compiled_images_per_second"))  # not when compiling failed
    knn_config = replace(
        config, epochs=epochs, warmup_epochs=min(10.0, epochs / 10), compile=compiled
    )
    report["knn_run"] = {"budget_seconds": arguments.knn_seconds, "epochs": epochs}
    outcome: dict[str, Any] = {}

    def knn_pretraining() -> None:
        begun = time.perf_counter()
        result = pretrain(knn_config, train_images, device=device)
        outcome["encoder"] = result.encoder
        report["knn_run"].update(result.metrics, wall_seconds=time.perf_counter() - begun)
        report["knn_run"]["config"] = asdict(knn_config)

    step("knn_pretraining", knn_pretraining)
    if "encoder" not in outcome:
        write_result("simclr", report)
        return 1
    encoder = outcome["encoder"]

    def extraction() -> None:
        on_card = train_images.to(device)
        extract_representations(encoder, on_card[:4096], device=device)  # warm-up
        for name, source in (("host", train_images), ("card", on_card)):
            _synchronize(device)
            begun = time.perf_counter()
            extract_representations(encoder, source, device=device)
            seconds = time.perf_counter() - begun
            report[f"extraction_images_per_second_from_{name}"] = len(source) / seconds

    def knn() -> None:
        train_h = extract_representations(encoder, train_images, device=device)
        test_h = extract_representations(encoder, test_images, device=device)
        report["knn_accuracy"] = knn_accuracy(train_h, train_labels, test_h, test_labels)

    step("extraction", extraction)
    step("knn_accuracy", knn)
    report["seconds"] = time.perf_counter() - started
    write_result("simclr", report)
    return 1 if report["errors"] else 0


def _stepper(report: dict[str, Any]) -> Callable[[str, Callable[[], None]], None]:
    def step(name: str, action: Callable[[], None]) -> None:
        print(f"-- {name}", flush=True)
        begun = time.perf_counter()
        try:
            action()
        except Exception as error:  # recorded and reported; the next step still runs
            traceback.print_exc()
            report["errors"][name] = f"{type(error).__name__}: {error}"
        print(f"-- {name} took {time.perf_counter() - begun:.1f} s", flush=True)

    return step


def _synchronize(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def run_table(arguments: argparse.Namespace) -> int:
    results = {name: _read(name) for name in ("info", "tests", "simclr", "app_chain", "status")}
    info, tests, simclr, chain = (results[n] for n in ("info", "tests", "simclr", "app_chain"))
    knn_run = simclr.get("knn_run", {})
    rows = [
        ("card", info.get("card", "?")),
        ("torch", f"{info.get('torch', '?')} (CUDA {info.get('cuda_runtime')})"),
        ("cuda-marked simclr_core tests", tests.get("summary", "did not run")),
        ("preset", simclr.get("preset", "?")),
        ("pretraining images/s, compiled, steady", _number(simclr, "compiled_images_per_second")),
        ("pretraining images/s, not compiled", _number(simclr, "eager_images_per_second")),
        ("first compiled run / second run (s)", _pair(simclr)),
        ("extraction images/s (from host / from card)", _extraction(simclr)),
        (
            f"kNN accuracy after {knn_run.get('budget_seconds', '?')} s "
            f"({knn_run.get('epochs', '?')} epochs)",
            _percent(simclr.get("knn_accuracy")),
        ),
        ("kNN run steady images/s", _number(knn_run, "steady_images_per_second")),
        ("peak GPU memory (GiB)", _number(simclr, "peak_memory_gib", "{:.1f}")),
        ("app chain", chain.get("summary", "did not run")),
    ]
    rows += [(f"  job {job['kind']}", _job(job)) for job in chain.get("jobs", [])]
    errors = [f"simclr {k}: {v}" for k, v in simclr.get("errors", {}).items()]
    errors += [f"step {line}" for line in results["status"].get("failed_steps", [])]
    rows += [("FAILED", error[:150]) for error in errors]
    width = max(len(name) for name, _ in rows)
    print("\n| " + "what".ljust(width) + " | value")
    print("|" + "-" * (width + 2) + "|------")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value}")
    write_result("summary", {"rows": rows})
    return 0


def _read(name: str) -> dict[str, Any]:
    path = output_dir() / f"gpu_{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _number(data: dict[str, Any], key: str, pattern: str = "{:,.0f}") -> str:
    value = data.get(key)
    return pattern.format(value) if isinstance(value, int | float) else "-"


def _percent(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, float) else "-"


def _pair(simclr: dict[str, Any]) -> str:
    first = _number(simclr, "first_compiled_run_seconds", "{:.1f}")
    return f"{first} / {_number(simclr, 'second_compiled_run_seconds', '{:.1f}')}"


def _extraction(simclr: dict[str, Any]) -> str:
    host = _number(simclr, "extraction_images_per_second_from_host")
    return f"{host} / {_number(simclr, 'extraction_images_per_second_from_card')}"


def _job(job: dict[str, Any]) -> str:
    text = f"{job.get('status')} in {job.get('seconds', 0):.0f} s"
    result = job.get("result") or {}
    if job.get("device"):
        text += f" on {job['device']}"
    if result.get("images_per_second"):
        text += f", {result['images_per_second']:,} images/s"
    if result.get("method"):
        text += f", method {result['method']}"
    scores = result.get("cross_validated_accuracy")
    if isinstance(scores, dict):  # method -> cross-validated accuracy of the candidates
        text += ", cross-validated " + " ".join(f"{k} {100 * v:.0f}%" for k, v in scores.items())
    if isinstance(result.get("accuracy_on_all_images"), float):
        text += f", right on {100 * result['accuracy_on_all_images']:.1f}% of all images"
    if job.get("error"):
        text += f", error: {str(job['error'])[:100]}"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["info", "tests", "simclr", "table"])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny budgets: a CPU dry run")
    parser.add_argument("--knn-seconds", type=float, default=100.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="for the tests")
    arguments = parser.parse_args()
    commands = {"info": run_info, "tests": run_tests, "simclr": run_simclr, "table": run_table}
    return commands[arguments.command](arguments)


if __name__ == "__main__":
    sys.exit(main())
