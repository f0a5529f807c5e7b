#!/usr/bin/env bash
# Run by Snakemake inside the new conda env, from the working directory (the repository root).
set -euo pipefail
python -m pip install -e .
