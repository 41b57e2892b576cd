#!/usr/bin/env bash
# GPU checks of simclr_core in one short run, with the CPU baseline in the same run.
# Usage (repository root, on a machine with a CUDA GPU): bash benchmarks/simclr_gpu_check.sh
# Writes benchmarks/results/gpu_*.json. Nothing here has been run on a GPU yet.
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p benchmarks/results
"$PYTHON" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
# 1. Unit tests of simclr_core (CPU) still pass on this machine.
"$PYTHON" -m pytest tests/simclr_core -q -p no:django --confcutdir=tests/simclr_core -x
# 2. Throughput: batched on-GPU augmentation vs per-image DataLoader, CPU preset and paper preset.
"$PYTHON" benchmarks/throughput.py --device cuda --preset cpu --workers 8 \
  --output benchmarks/results/gpu_throughput_cpu_preset.json
"$PYTHON" benchmarks/throughput.py --device cuda --preset gpu --workers 8 --steps 10 \
  --output benchmarks/results/gpu_throughput_gpu_preset.json
"$PYTHON" benchmarks/throughput.py --device cpu --preset cpu --rounds 2 \
  --output benchmarks/results/gpu_machine_cpu_baseline.json
# 3. A short resnet18 pretraining run on GPU (bf16 autocast, channels_last, torch.compile).
"$PYTHON" benchmarks/label_efficiency.py --device cuda --preset gpu --pretrain-minutes 3 \
  --pretrain-images 50000 --seeds 1 --label-counts 40,250 \
  --run-dir var/simclr_benchmarks/gpu_run --output benchmarks/results/gpu_label_efficiency.json \
  --representations-output benchmarks/results/gpu_cifar10_representations.npz
