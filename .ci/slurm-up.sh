#!/usr/bin/env bash
# Start a single-node SLURM (munged, slurmctld, slurmd) for CI and tests; stop it with
# .ci/slurm-down.sh. Facts behind each setting: /work/shared/CLUSTER.md ("A single-node SLURM").
#
#   .ci/slurm-up.sh [SCRATCH]        # default SCRATCH: /tmp/hart-slurm
#
# Writes SCRATCH/slurm.conf and links /etc/slurm/slurm.conf to it (the snakemake job step strips
# SLURM_CONF, so the config must sit at the default path). Records the daemons' PIDs in
# SCRATCH/pids; slurm-down.sh stops only those. Needs root; installs slurm-wlm and munge (Debian)
# when they are missing.
set -euo pipefail
# the daemons and runuser live in /usr/sbin, which a non-login or minimal PATH may lack
export PATH="$PATH:/usr/sbin:/sbin"

scratch=${1:-${HART_SLURM_SCRATCH:-/tmp/hart-slurm}}
mkdir -p "$scratch"/{state,spool,log}
scratch=$(cd "$scratch" && pwd)

if command -v sinfo >/dev/null && timeout 5 sinfo -h >/dev/null 2>&1; then
  # a controller already answers (this script's, or one started elsewhere): use it, record nothing
  echo "slurm-up: a SLURM controller is already running; using it"
  exit 0
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: a key, a socket folder, the daemon (as the munge user)
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create 2>/dev/null || mungekey -c
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi

cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
cat > "$scratch/slurm.conf" <<CONF
# written by .ci/slurm-up.sh: one node, no cgroups, no accounting daemon
ClusterName=hart-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=300
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p /etc/slurm
if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
  echo "slurm-up: /etc/slurm/slurm.conf is a real file; refusing to replace it" >&2
  exit 1
fi
ln -sfn "$scratch/slurm.conf" /etc/slurm/slurm.conf

: > "$scratch/pids"
start() {  # start() NAME CMD...: run a daemon in the foreground, in the background; record its PID
  local name=$1; shift
  "$@" >>"$scratch/log/$name.out" 2>&1 &
  echo "$name $!" >> "$scratch/pids"
}
start munged runuser -u munge -- /usr/sbin/munged -F
for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
start slurmctld slurmctld -D -f "$scratch/slurm.conf"
start slurmd slurmd -D -N localhost -f "$scratch/slurm.conf"

for _ in $(seq 300); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -qx 'idle'; then
    echo "slurm-up: node idle after ${SECONDS}s (scratch $scratch)"
    sinfo
    exit 0
  fi
  sleep 0.1
done
echo "slurm-up: node not idle after 30 s" >&2
sinfo -N -l >&2 || true
tail -n 20 "$scratch"/log/*.log >&2 || true
exit 1
