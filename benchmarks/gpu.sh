#!/usr/bin/env bash
# The GPU checks of skmat in one run: every CUDA test, then the speed benchmark
# on the GPU.
#
#   bash benchmarks/gpu.sh                      # on a machine with a CUDA GPU
#   bash benchmarks/gpu.sh --device cpu         # dry run anywhere: tiny sizes, CUDA tests skip
#   bash benchmarks/gpu.sh --output DIR         # write the results to DIR
#   bash benchmarks/gpu.sh --wheels DIR         # first add the wheels of DIR (see below)
#
# Output: speed_gpu.md (speed_gpu_dryrun.md for a dry run) and gpu_tests.log, in
# benchmarks/results/ or the folder given with --output.
#
# Needs: python with a CUDA build of torch, scikit-learn, numpy, pytest and
# skorch (the development install of the README has them all); nvidia-smi is
# used when present. PYTHON picks the interpreter (python3).
#
# A GPU machine without network that lacks some of these packages (skorch, say)
# can take them as wheels downloaded where pip works, for that machine's Python
# and platform (docs/install.rst, "On a machine without network"):
#
#   python -m pip download --no-deps -d wheels skorch        # where pip works
#   bash benchmarks/gpu.sh --wheels wheels                   # on the GPU machine
#
# The wheels are installed into a temporary folder (no index, no dependencies)
# that is put on PYTHONPATH for this run only; nothing is installed into the
# machine's Python.
set -euo pipefail
cd "$(dirname "$0")/.."

DEVICE=cuda
RESULTS=benchmarks/results
WHEELS=
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="$2"; shift 2 ;;
    --output) RESULTS="$2"; shift 2 ;;
    --wheels) WHEELS="$2"; shift 2 ;;
    *) echo "unknown argument: $1 (expected --device, --output or --wheels)" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
mkdir -p "$RESULTS"
export PYTHONUNBUFFERED=1

if [ -n "$WHEELS" ]; then
  if ! compgen -G "$WHEELS/*.whl" >/dev/null; then
    echo "--wheels $WHEELS: no .whl file there" >&2
    exit 2
  fi
  SITE=$(mktemp -d)
  trap 'rm -rf "$SITE"' EXIT
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target "$SITE" "$WHEELS"/*.whl
  export PYTHONPATH=$SITE:${PYTHONPATH:-}
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
