#!/usr/bin/env bash
# Create the project's virtual environment at <repo>/.venv from the lock (requirements/lock.txt).
#
#   workflow/setup.sh                  # torch: CPU build without a GPU, CUDA build with one
#   HART_TORCH_INDEX=https://download.pytorch.org/whl/cu128 workflow/setup.sh   # a given wheel index
#
# 1. torch==<the lock's version>:
#    - HART_TORCH_INDEX set: from that index (e.g. a CUDA version of PyTorch's wheel index);
#    - `nvidia-smi -L` lists a GPU: from PyPI, whose Linux x86_64 wheel is the CUDA build;
#    - no GPU: the CPU build, from a local wheel if pip's find-links has one (`--no-index`),
#      else from https://download.pytorch.org/whl/cpu (PyPI's default would be the CUDA build with
#      ~19 nvidia wheels, several GB, useless without a GPU).
# 2. every other package at its locked version (`pip install -r requirements/lock.txt`), then
#    the project itself without dependencies (`pip install --no-deps -e .`), then `pip check`.
# Idempotent: a stamp (.venv/.hart-setup) records the torch choice and the hashes of the lock and
# pyproject.toml; when all match and the package imports, it returns at once. On a GPU cluster
# with conda, environment.yml gives the same packages.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lock=requirements/lock.txt
torch_version=$(sed -n 's/^torch==//p' "$lock")
[ -n "$torch_version" ] || { echo "setup: $lock pins no torch version" >&2; exit 1; }

if [ -n "${HART_TORCH_INDEX:-}" ]; then
  build="index $HART_TORCH_INDEX"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  build=cuda
else
  build=cpu
fi
stamp=.venv/.hart-setup
want="torch==$torch_version ($build) | lock $(sha256sum "$lock" | cut -c1-16) | pyproject $(sha256sum pyproject.toml | cut -c1-16)"

if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && .venv/bin/python -c "import hart, torch" 2>/dev/null; then
  echo "setup: .venv is up to date ($want)"
  exit 0
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
pip=(.venv/bin/python -m pip install -q)
"${pip[@]}" --upgrade pip
case $build in
  index*) "${pip[@]}" "torch==$torch_version" --extra-index-url "$HART_TORCH_INDEX" ;;
  cuda) "${pip[@]}" "torch==$torch_version" ;;
  cpu) "${pip[@]}" --no-index --no-deps "torch==$torch_version" 2>/dev/null \
         || "${pip[@]}" --no-deps "torch==$torch_version" --index-url https://download.pytorch.org/whl/cpu ;;
esac
"${pip[@]}" -r "$lock"
"${pip[@]}" --no-deps -e .
.venv/bin/python -m pip check
.venv/bin/python -c "import sys, torch; sys.exit(0 if '$build' != 'cpu' or not torch.version.cuda else 1)" \
  || { echo "setup: a CUDA build of torch was installed where a CPU build was wanted" >&2; exit 1; }
echo "$want" > "$stamp"
echo "setup: .venv ready ($want)"
