#!/usr/bin/env bash
# Run by Snakemake inside the new conda env, from the working directory (the repository root):
# the project itself, without dependencies (hart.yaml already pins every one from the lock).
set -euo pipefail
python -m pip install --no-deps -e .
