#!/usr/bin/env bash
# A single-host Slurm cluster for tests: munged, slurmctld and slurmd on this machine.
#
#   ci/slurm.sh start STATE_DIR   installs slurm-wlm and munge if missing, writes
#                                 STATE_DIR/slurm.conf, starts the three daemons and waits
#                                 (at most 90 s) for this host's node to be idle;
#   ci/slurm.sh stop STATE_DIR    stops the daemons it started (by the pids in STATE_DIR).
#
# Clients must use the generated configuration: export SLURM_CONF=STATE_DIR/slurm.conf.
# Everything (configuration, state, spool, logs, the munge socket and key) lives in
# STATE_DIR; nothing under /etc is changed. No cgroups: proctrack/linuxproc, task/none.
# If a daemon does not start, the script prints its log and fails. Runs as root (slurmd
# needs it to start jobs as the submitting user; this sandbox is root).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
cmd=$1
state=$2

# The pid in FILE, if that process is still alive.
live_pid() {
  local f=$1 pid
  [[ -s $f ]] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop() {
  local name pid
  for name in slurmd slurmctld munged; do
    if pid=$(live_pid "$state/$name.pid"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

fail() {
  echo "ci/slurm.sh: $*" >&2
  for log in munged.log slurmctld.log slurmd.log; do
    if [[ -s $state/$log ]]; then
      echo "----- $state/$log (last 30 lines) -----" >&2
      tail -n 30 "$state/$log" >&2
    fi
  done
  stop
  exit 1
}

case $cmd in
stop)
  stop
  exit 0
  ;;
start) ;;
*) usage ;;
esac

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo "ci/slurm.sh: installing slurm-wlm and munge" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

mkdir -p "$state"
state=$(cd "$state" && pwd)
mkdir -p "$state/ctld" "$state/spool" "$state/munge"
chmod 700 "$state/munge"
host=$(hostname -s)
cpus=2

# munge: a key of our own and a socket of our own, so a system munged (if any) is untouched.
if [[ ! -s $state/munge/munge.key ]]; then
  dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 400 "$state/munge/munge.key"
sock="$state/munge/munge.socket"

cat >"$state/slurm.conf" <<EOF
# Written by ci/slurm.sh: one host, $cpus CPUs, no cgroups, no accounting.
ClusterName=pcnsimci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
# Finished jobs stay visible to scontrol for 10 minutes (there is no accounting database).
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$state/slurm.conf"

live_pid "$state/slurmctld.pid" >/dev/null && fail "slurmctld already running from $state"

munged --socket="$sock" --key-file="$state/munge/munge.key" --pid-file="$state/munged.pid" \
  --log-file="$state/munged.log" --seed-file="$state/munge/munge.seed" --force \
  || fail "munged did not start"
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || fail "munged did not create $sock"

slurmctld -f "$state/slurm.conf" || fail "slurmctld did not start"
slurmd -f "$state/slurm.conf" || fail "slurmd did not start"

deadline=$((SECONDS + 90))
while :; do
  st=$(sinfo -h -N -n "$host" -o %t 2>/dev/null || true)
  case $st in
  idle*) break ;;
  esac
  live_pid "$state/slurmctld.pid" >/dev/null || fail "slurmctld exited"
  live_pid "$state/slurmd.pid" >/dev/null || fail "slurmd exited"
  ((SECONDS < deadline)) || fail "node $host not idle after 90 s (state: '${st:-none}')"
  sleep 1
done
echo "ci/slurm.sh: Slurm up on $host ($cpus CPUs); export SLURM_CONF=$state/slurm.conf" >&2
