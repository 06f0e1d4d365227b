#!/usr/bin/env bash
# pcnsim on a real Slurm: starts a single-host cluster (ci/slurm.sh), generates the scripts
# for notebooks/ci_small.toml in 4 shards, submits them, and checks that
#  1. the assembled results are byte-identical to a local `pcnsim run` (diff -r, leaving
#     out the slurm/ folder, the lock and the provenance files);
#  2. after one run folder is deleted, `pcnsim assemble` names it and fails;
#  3. re-submitting that run's shard alone (task from shards.tsv) and assembling again
#     restores identical results.
# The daemons are stopped on exit, whatever happens. Every wait has a time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
limit=${PCNSIM_SLURM_TIMEOUT:-600} # seconds per wait

cargo build --release --quiet
bin=$root/target/release/pcnsim

work=$(mktemp -d /tmp/pcnsim-slurm.XXXXXX)
state=$work/slurm-state
cleanup() {
  bash "$root/ci/slurm.sh" stop "$state" || true
}
trap cleanup EXIT
bash ci/slurm.sh start "$state"
export SLURM_CONF=$state/slurm.conf

# The same relative scenario path and --out in two working directories: the manifest names
# the scenario as given and report.html the folder it was written to.
mkdir -p "$work/local/notebooks" "$work/cluster/notebooks"
cp notebooks/ci_small.toml "$work/local/notebooks/"
cp notebooks/ci_small.toml "$work/cluster/notebooks/"
scenario=notebooks/ci_small.toml

t0=$(date +%s.%N)
(cd "$work/local" && "$bin" run "$scenario" --out results --jobs 2 --quiet)
t1=$(date +%s.%N)
local_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

cd "$work/cluster"
"$bin" slurm "$scenario" --shards 4 --cpus-per-task 1 --time 0:20:00 --out results
sdir=$work/cluster/results/ci_small/slurm

# Waits until job $1 (every task of an array) has left the queue; fails if any task did
# not complete, or after $limit seconds.
wait_job() {
  local id=$1 what=$2 deadline=$((SECONDS + limit)) states
  while squeue -h -j "$id" 2>/dev/null | grep -q .; do
    if ((SECONDS > deadline)); then
      echo "slurm_pcnsim.sh: $what (job $id) not done after $limit s" >&2
      squeue >&2 || true
      return 1
    fi
    sleep 1
  done
  states=$(scontrol show job -o "$id" | grep -o 'JobState=[A-Z_]*' | sort -u)
  if [[ $states != "JobState=COMPLETED" ]]; then
    echo "slurm_pcnsim.sh: $what (job $id) ended: $states" >&2
    tail -n 20 "$sdir"/logs/* >&2 || true
    return 1
  fi
}

# Submits (all shards, or the given ones), waits for the array and the assemble job.
submit_and_wait() {
  local out array assemble
  out=$(bash "$sdir/submit.sh" "$@")
  echo "$out"
  array=$(echo "$out" | sed -n 's/^PCNSIM_JOBS array=\([0-9]*\) assemble=.*/\1/p')
  assemble=$(echo "$out" | sed -n 's/^PCNSIM_JOBS array=[0-9]* assemble=\([0-9]*\)$/\1/p')
  [[ -n $array && -n $assemble ]] || { echo "slurm_pcnsim.sh: no job ids from submit.sh" >&2; return 1; }
  wait_job "$array" "shard array"
  wait_job "$assemble" "assemble job"
}

compare() {
  diff -r --exclude=slurm --exclude=.pcnsim.lock --exclude='provenance-shard-*' --exclude=provenance.json \
    "$work/local/results/ci_small" "$work/cluster/results/ci_small"
}

t0=$(date +%s.%N)
submit_and_wait
t1=$(date +%s.%N)
sharded_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
compare
ls "$work/cluster/results/ci_small"/provenance-shard-{0,1,2,3}-of-4.json >/dev/null
echo "slurm_pcnsim.sh: 4 shards + assemble on Slurm = local run (byte-identical)"

# A lost run: assemble names it and fails, writing nothing.
lost=$(awk -F'\t' 'NR == 3 { print $2 }' "$sdir/shards.tsv")
task=$(awk -F'\t' -v r="$lost" '$2 == r { print $1 }' "$sdir/shards.tsv")
rm -r "$work/cluster/results/ci_small/runs/$lost"
if msg=$("$bin" assemble "$scenario" --out results --shards 4 2>&1); then
  echo "slurm_pcnsim.sh: assemble succeeded with run $lost missing" >&2
  exit 1
fi
echo "$msg"
grep -q "$lost (shard $task): missing" <<<"$msg" \
  || { echo "slurm_pcnsim.sh: assemble did not name $lost" >&2; exit 1; }

# Its shard alone, then assemble: identical again.
submit_and_wait "$task"
compare
echo "slurm_pcnsim.sh: re-submitted shard $task alone restored run $lost; results identical"
printf 'slurm_pcnsim.sh: ci_small locally (--jobs 2): %.1f s; on Slurm (4 shards + assemble, submit to done): %.1f s\n' \
  "$local_s" "$sharded_s"
