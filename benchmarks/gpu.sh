#!/usr/bin/env bash
# The GPU checks of skmat in one prepared run: every CUDA test, then the speed
# benchmark on the GPU. About 5 minutes on one NVIDIA H100/H200.
#
#   bash benchmarks/gpu.sh                # on a GPU machine
#   bash benchmarks/gpu.sh --device cpu   # dry run anywhere: tiny sizes, CUDA tests skip
#
# Output: benchmarks/results/speed_gpu.md (speed_gpu_dryrun.md for a dry run) and
# gpu_tests.log, under $OUT when that is set (the device tool's output folder).
#
# Needs: python with torch (a CUDA build), scikit-learn, numpy, pytest and
# skorch; nvidia-smi is used when present. A machine without skorch and without
# network can take it as a wheel made where pip works:
#
#   python -m pip download --no-deps -d .whl skorch==1.4.0   # where pip works
#   # copy the checkout with .whl/ to the GPU machine, then run this script
#
# Every wheel found in .whl/ is installed into /tmp/site (no index, no
# dependencies) and put on PYTHONPATH before the checks run; nothing is
# installed into the machine's Python. PYTHON picks the interpreter (python3).
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=cuda
if [ "${1:-}" = "--device" ]; then
  DEVICE="$2"
fi
PY=${PYTHON:-python3}
RESULTS=${OUT:-benchmarks/results}
mkdir -p "$RESULTS"
export PYTHONUNBUFFERED=1

if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}

echo "== environment"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
"$PY" -c "import torch, sklearn, skorch, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), '| sklearn', sklearn.__version__, '| skorch', skorch.__version__, '| numpy', numpy.__version__)"

echo "== CUDA tests (pytest -m gpu)"
set +e
timeout 240 "$PY" -m pytest -m gpu -q -p no:cacheprovider -o addopts="" tests 2>&1 | tee "$RESULTS/gpu_tests.log"
tests_status=${PIPESTATUS[0]}
set -e

echo "== speed benchmark on $DEVICE"
if [ "$DEVICE" = "cpu" ]; then
  "$PY" benchmarks/speed.py --device cpu --quick --skip-memory --skip-sparse \
    --sync-check --shapes tabular embedding images \
    --output "$RESULTS/speed_gpu_dryrun.md"
else
  timeout 300 "$PY" benchmarks/speed.py --device "$DEVICE" --repeats 3 --skip-memory \
    --skip-sparse --shapes tabular embedding images --output "$RESULTS/speed_gpu.md"
fi

echo "== done (CUDA tests exit status $tests_status)"
exit "$tests_status"
