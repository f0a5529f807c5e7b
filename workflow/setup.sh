#!/usr/bin/env bash
# Create the project's virtual environment at <repo>/.venv and install the package into it.
#
#   workflow/setup.sh                                   # CPU: pip install torch==2.13.0, then -e .[test]
#   HART_TORCH_SPEC='torch==2.13.0 --index-url https://download.pytorch.org/whl/cu124' workflow/setup.sh
#
# Idempotent: a stamp (.venv/.hart-setup) records the torch spec and the hash of pyproject.toml;
# when both match and the package imports, it returns at once. On a GPU cluster with conda, use
# environment.yml instead.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
torch_spec=${HART_TORCH_SPEC:-torch==2.13.0}
stamp=.venv/.hart-setup
want="$torch_spec | pyproject $(sha256sum pyproject.toml | cut -c1-16)"

if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && .venv/bin/python -c "import hart, torch" 2>/dev/null; then
  echo "setup: .venv is up to date ($want)"
  exit 0
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# shellcheck disable=SC2086  # the spec may carry pip options (--index-url ...)
.venv/bin/python -m pip install -q $torch_spec
.venv/bin/python -m pip install -q -e '.[test]'
echo "$want" > "$stamp"
echo "setup: .venv ready ($want)"
