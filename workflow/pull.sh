#!/usr/bin/env bash
# `dvc pull`, then mark the pulled outputs up to date for Snakemake:
#
#   workflow/pull.sh [dvc pull options]
#
# Snakemake compares file times (Snakemake 9 always does, whatever --rerun-triggers says), and
# `dvc pull` writes files in no particular order, so a fresh clone would see most jobs as stale.
# Once `dvc status` confirms that every output matches dvc.lock (same code, config and data by
# content), `snakemake --touch` gives the outputs their DAG order; then `snakemake -n` and
# `dvc status` both have nothing to do. If dvc status is not clean, nothing is touched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v dvc >/dev/null 2>&1; then dvc=dvc; else dvc=.venv/bin/dvc; fi
"$dvc" pull "$@"
status=$("$dvc" status)
if ! grep -q "up to date" <<<"$status"; then
  printf '%s\n' "$status" >&2
  echo "workflow/pull.sh: dvc status is not clean (above): outputs left as pulled, not marked up to date" >&2
  exit 1
fi
workflow/snakemake.sh --touch --cores 1 --quiet all
echo "workflow/pull.sh: outputs pulled and marked up to date"
