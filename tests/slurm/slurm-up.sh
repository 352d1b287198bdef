#!/usr/bin/env bash
# Brings up a throw-away single-node Slurm cluster (slurmctld + slurmd + munged) on this machine,
# as root, with everything (config, state, spool, logs, PID files, munge key and socket) in one
# scratch directory, so it touches neither /etc/slurm nor /run/munge nor a cluster already here.
#
#   tests/slurm/slurm-up.sh DIR        (or NNSWEEP_SLURM_DIR=DIR tests/slurm/slurm-up.sh)
#   source DIR/env.sh                  → SLURM_CONF for sbatch, squeue, scontrol, srun
#   tests/slurm/slurm-down.sh DIR      stops the daemons by their PIDs
#
# Options (environment): NNSWEEP_SLURM_AUTH=munge|none (default munge; none needs no munged),
# SLURMCTLD_PORT / SLURMD_PORT (default: the first free ports from 6817 / 6818 up).
# Exits non-zero, with the daemons' logs on stderr, if the node is not idle within 30 s.
set -euo pipefail

BASE=${1:-${NNSWEEP_SLURM_DIR:-}}
[[ -n "$BASE" ]] || { echo "usage: $0 DIR (or NNSWEEP_SLURM_DIR=DIR)" >&2; exit 2; }
mkdir -p "$BASE"
BASE=$(cd "$BASE" && pwd)
AUTH=${NNSWEEP_SLURM_AUTH:-munge}
[[ $(id -u) -eq 0 ]] || { echo "error: $0 runs the daemons as root (SlurmUser=root)" >&2; exit 1; }

# --- packages: only if missing (a fresh machine; this script may run on its own). The list of
# packages (slurm-wlm, munge among them) is scripts/install-deps.sh's, which installs what is missing.
if ! { command -v slurmctld && command -v slurmd && command -v sbatch; } >/dev/null ||
   { [[ $AUTH != none ]] && ! command -v munged >/dev/null; }; then
  echo "slurm-up: Slurm or munge is missing: scripts/install-deps.sh" >&2
  "$(dirname "$0")/../../scripts/install-deps.sh"
fi

# Refuse to start over a cluster that is still running from this directory: its PIDs would be
# overwritten and slurm-down.sh could no longer stop it.
for pf in "$BASE/run/slurmctld.pid" "$BASE/run/slurmd.pid" "$BASE/munge/munged.pid"; do
  if [[ -s $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then
    echo "error: $pf: process $(cat "$pf") is still running; run slurm-down.sh $BASE first" >&2
    exit 1
  fi
done
rm -rf "${BASE:?}"/{etc,state,spool,run,log,munge}
mkdir -p "$BASE"/{etc,state,spool,run,log,munge}
# munged runs as user munge and must reach its socket under $BASE; slurmstepd and the jobs also
# create files here. A mktemp directory is 0700, hence the explicit mode.
chmod 0755 "$BASE"

dump_logs() {
  for f in "$BASE/log/slurmctld.log" "$BASE/log/slurmd.log" "$BASE/munge/munged.log"; do
    [[ -f $f ]] && { echo "---- $f (last 40 lines)"; tail -n 40 "$f"; }
  done >&2
}
trap 'echo "slurm-up: failed (line $LINENO)" >&2; dump_logs' ERR

# --- ports: the defaults unless something already listens there (another cluster on the box) --
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p=$1
  while port_busy "$p" || [[ $p == "${2:-}" ]]; do p=$((p + 2)); done
  echo "$p"
}
CTLD_PORT=${SLURMCTLD_PORT:-$(free_port 6817)}
SLURMD_PORT=${SLURMD_PORT:-$(free_port 6818 "$CTLD_PORT")}

# --- munge: our own key, socket, PID and log, so that a system munged is neither needed nor used --
if [[ $AUTH == munge ]]; then
  mungekey --create --keyfile="$BASE/munge/munge.key"
  chown -R munge:munge "$BASE/munge"
  chmod 0400 "$BASE/munge/munge.key"
  chmod 0711 "$BASE/munge"   # root's clients (sbatch, slurmctld) must reach the socket
  runuser -u munge -- /usr/sbin/munged \
    --key-file="$BASE/munge/munge.key" --socket="$BASE/munge/munge.socket.2" \
    --pid-file="$BASE/munge/munged.pid" --log-file="$BASE/munge/munged.log" \
    --seed-file="$BASE/munge/munged.seed"
  # munged daemonizes once its socket is ready; a round trip proves the key and the socket.
  munge -S "$BASE/munge/munge.socket.2" -n | unmunge -S "$BASE/munge/munge.socket.2" >/dev/null
  auth_lines="AuthType=auth/munge
AuthInfo=socket=$BASE/munge/munge.socket.2
CredType=cred/munge"
else
  auth_lines="AuthType=auth/none
CredType=cred/none"
fi

# --- slurm.conf: one node (this machine, as 'localhost'), one partition -------------------------
CPUS=$(nproc)
# RealMemory above what slurmd measures drains the node: stay 10% below MemTotal.
MEM=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 9 / 10 ))
cat > "$BASE/etc/slurm.conf" <<CONF
# Written by tests/slurm/slurm-up.sh: a single-node test cluster; everything lives in $BASE.
ClusterName=nnsweep-ci
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
$auth_lines
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
# No cgroups in containers and CI VMs: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Debian's Open MPI speaks PMIx only; this makes a plain 'srun' work too.
MpiDefault=pmix
ReturnToService=2
MailProg=/bin/true
# Seconds between the SIGTERM and the SIGKILL of a cancelled or requeued job (real clusters: 30).
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat > "$BASE/env.sh" <<ENV
# source me: points Slurm's clients at the test cluster in $BASE
export SLURM_CONF=$BASE/etc/slurm.conf
ENV
export SLURM_CONF=$BASE/etc/slurm.conf

# Both daemonize and write their PID files; -N: the node is called 'localhost', not $(hostname).
slurmctld
slurmd -N localhost

st=none
for _ in $(seq 1 60); do
  st=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  if [[ $st == idle ]]; then
    echo "slurm-up: node localhost idle (auth $AUTH, ports $CTLD_PORT/$SLURMD_PORT); source $BASE/env.sh"
    exit 0
  fi
  sleep 0.5
done
trap - ERR
echo "slurm-up: the node did not become idle within 30 s (state: '${st:-none}')" >&2
dump_logs
exit 1
