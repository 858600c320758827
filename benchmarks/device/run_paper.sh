#!/usr/bin/env bash
# The image chapters (01, 02, 03, 06, 07) in the paper profile on a GPU machine without
# internet: install the wheels carried in .whl/ (benchmarks/device/prepare_wheels.sh),
# point the data root at the carried MNIST wheel, train every fit stacked, execute the
# chapters, and leave one archive per chapter (executed notebook + records), timings.json
# and the log under $OUT. From the repository root:
#
#     bash benchmarks/device/run_paper.sh                       # paper profile, carried wheels
#     LATENTLIB_DEVICE_PROFILE=smoke LATENTLIB_DEVICE_PYTHON=.venv/bin/python \
#         bash benchmarks/device/run_paper.sh                   # the CPU proof: smoke, local env
#
# LATENTLIB_DEVICE_PYTHON: use that interpreter as it is (no wheels installed);
# LATENTLIB_DEVICE_PROFILE: the profile (default paper).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${OUT:-$root/_build/device}"
mkdir -p "$out"
profile="${LATENTLIB_DEVICE_PROFILE:-paper}"
scratch="$(mktemp -d /tmp/latentlib-device.XXXXXX)"
log="$out/run.log"
{
  echo "profile $profile, started $(date -u +%FT%TZ)"
  python="${LATENTLIB_DEVICE_PYTHON:-}"
  if [ -z "$python" ]; then
    python=python3
    [ -d .whl ] || { echo "error: no .whl/ here: run benchmarks/device/prepare_wheels.sh and carry .whl"; exit 2; }
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target "$scratch/site" .whl/*.whl || exit 2
    export PYTHONPATH="$scratch/site${PYTHONPATH:+:$PYTHONPATH}"
  fi
  export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
  # the data root: the carried MNIST wheel where the loader looks for it; fits in a fresh store
  mkdir -p "$scratch/data/pypi"
  if [ -d .whl/data ]; then
    cp .whl/data/*.whl "$scratch/data/pypi/"
    export LATENTLIB_DATA="$scratch/data"
  fi
  # the commit the wheels were prepared at (for records, once provenance reads LATENTLIB_COMMIT)
  [ -f .whl/COMMIT ] && export LATENTLIB_COMMIT="$(cat .whl/COMMIT)"
  export LATENTLIB_CACHE="${LATENTLIB_CACHE:-$scratch/fits}" LATENTLIB_DEVICE_WORK="$scratch/work"
  export MPLBACKEND=Agg NUMBA_CACHE_DIR="$scratch/numba"
  # offline: a download (torchvision's MNIST, tried first) fails at once instead of hanging
  export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
         HTTPS_PROXY=http://127.0.0.1:9 no_proxy= NO_PROXY=
  "$python" --version
  "$python" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
  "$python" benchmarks/device/paper.py --profile "$profile" --out "$out"
  status=$?
  echo "finished $(date -u +%FT%TZ) with status $status"
  exit $status
} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
rm -rf "$scratch"
exit $status
