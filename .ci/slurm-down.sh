#!/usr/bin/env bash
# Stop the daemons .ci/slurm-up.sh started, by their recorded PIDs only, and remove the
# /etc/slurm/slurm.conf link it made.
#
#   .ci/slurm-down.sh [SCRATCH]      # default SCRATCH: /tmp/hart-slurm
set -uo pipefail

scratch=${1:-${HART_SLURM_SCRATCH:-/tmp/hart-slurm}}
pids=$scratch/pids
if [ ! -s "$pids" ]; then
  echo "slurm-down: nothing recorded in $pids"
  exit 0
fi
scancel --user=root >/dev/null 2>&1 || true  # jobs of this CI cluster only: it has no other user
# stop in reverse order of start: slurmd, slurmctld, munged
tac "$pids" | while read -r name pid; do
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    echo "slurm-down: stopped $name ($pid)"
  fi
done
: > "$pids"
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$scratch/slurm.conf" ]; then
  rm -f /etc/slurm/slurm.conf
fi
exit 0
