#!/usr/bin/env bash
# Stops the cluster that tests/slurm/slurm-up.sh started in DIR: cancels its jobs (so that no job
# step outlives the daemons), then stops slurmd, slurmctld and munged by the PIDs in their PID
# files, never by name (another cluster or a user's daemons may run on the same machine).
# Safe to call twice, or after a partial start.
#   tests/slurm/slurm-down.sh DIR        (or NNSWEEP_SLURM_DIR=DIR)
set -euo pipefail

BASE=${1:-${NNSWEEP_SLURM_DIR:-}}
[[ -n "$BASE" && -d "$BASE" ]] || { echo "usage: $0 DIR (the directory given to slurm-up.sh)" >&2; exit 2; }

alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Cancel what is still queued or running while slurmctld can still do it, and give the job
# steps KillWait (5 s) to go; without it their processes would linger after the daemons.
if [[ -f $BASE/etc/slurm.conf ]] && alive "$BASE/run/slurmctld.pid"; then
  export SLURM_CONF=$BASE/etc/slurm.conf
  if [[ -n $(timeout 10 squeue -h -o %i 2>/dev/null || true) ]]; then
    timeout 10 scancel --full --user=root 2>/dev/null || true
    for _ in $(seq 1 40); do
      [[ -z $(timeout 10 squeue -h -t RUNNING,COMPLETING -o %i 2>/dev/null || true) ]] && break
      sleep 0.5
    done
  fi
fi

# Order: slurmd first (it owns the job steps), then the controller, then munge (both need it).
status=0
for pf in "$BASE/run/slurmd.pid" "$BASE/run/slurmctld.pid" "$BASE/munge/munged.pid"; do
  alive "$pf" || continue
  pid=$(cat "$pf")
  # A daemon that died long ago may have left its PID to an unrelated process: check the PID
  # still runs the daemon the file is named after before signalling it.
  daemon=$(basename "$pf" .pid)
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) != "$daemon" ]]; then
    echo "slurm-down: $pf: PID $pid is not $daemon any more; leaving it alone" >&2
    continue
  fi
  kill -TERM "$pid" 2>/dev/null || continue
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm-down: $pf: PID $pid ignored SIGTERM for 10 s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    status=1
  fi
done
echo "slurm-down: stopped the daemons of $BASE"
exit $status
