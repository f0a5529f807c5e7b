#!/usr/bin/env bash
# The snakemake that DVC stage commands run (dvc.yaml): the one on PATH (an activated venv or conda
# env), else the project's .venv, so that `.venv/bin/dvc repro` works without activating anything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v snakemake >/dev/null 2>&1; then
  exec snakemake "$@"
elif [ -x .venv/bin/snakemake ]; then
  exec .venv/bin/snakemake "$@"
fi
echo "workflow/snakemake.sh: no snakemake on PATH and no .venv/bin/snakemake (run workflow/setup.sh)" >&2
exit 127
