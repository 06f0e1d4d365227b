#!/usr/bin/env bash
# Regenerates the committed reference results under results/ from scenarios/, recomputing
# every run (--fresh), or with --check compares a fresh run with what is committed.
#
#   scripts/regenerate-results.sh                 # every committed experiment
#   scripts/regenerate-results.sh compare security
#   scripts/regenerate-results.sh --check [NAME...]
#
# NAME is a scenario name (scenarios/NAME.toml, results/NAME/), possibly in a group:
# papers/pickhardt2020 (scenarios/papers/pickhardt2020.toml, results/papers/pickhardt2020/).
# Without names: every scenario with a folder under results/ or results/<group>/, except
# `default` (not committed: the README's first command writes it) and scenarios with the
# line `# reference-check: full-only` (hours of CPU: name them, or pass --all).
# Scenarios on the shared LN snapshots need PCNSIM_SHARED_DATA. --check runs into a
# temporary folder and compares summary.csv and stats.csv byte for byte (exit 1 on any
# difference); it changes nothing under results/. Plan files (a [plan] table, e.g.
# plan_merchant) run with `pcnsim plan` and compare plan.csv.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
all=0
names=()
for a in "$@"; do
  case "$a" in
    --check) check=1 ;;
    --all) all=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $a" >&2; exit 2 ;;
    *) names+=("$a") ;;
  esac
done
if [[ ${#names[@]} -eq 0 ]]; then
  for d in results/*/ results/*/*/; do
    n="${d#results/}"
    n="${n%/}"
    [[ "$n" == default ]] && continue
    [[ ( -f "results/$n/summary.csv" || -f "results/$n/plan.csv" ) && -f "scenarios/$n.toml" ]] || continue
    if [[ $all -eq 0 ]] && grep -qx '# reference-check: full-only' "scenarios/$n.toml"; then
      echo "skipping $n (full-only: name it or pass --all)" >&2
      continue
    fi
    names+=("$n")
  done
fi

cargo build --release --quiet
bin=target/release/pcnsim
tmp="$(mktemp -d)"
status=0
for n in "${names[@]}"; do
  sc="scenarios/$n.toml"
  if [[ ! -f "$sc" ]]; then
    echo "error: $sc not found" >&2
    exit 2
  fi
  if grep -q 'PCNSIM_SHARED_DATA' "$sc" && [[ -z "${PCNSIM_SHARED_DATA:-}" ]]; then
    echo "error: $sc needs PCNSIM_SHARED_DATA (the shared LN snapshots)" >&2
    exit 2
  fi
  if grep -q '^\[plan\]' "$sc"; then
    # A plan file: `pcnsim plan` (no --fresh: start from an empty folder instead).
    if [[ $check -eq 1 ]]; then
      echo "checking plan $n" >&2
      "$bin" plan "$sc" --out "$tmp" --quiet >/dev/null
      if ! cmp -s "results/$n/plan.csv" "$tmp/$n/plan.csv"; then
        echo "DIFFERS: results/$n/plan.csv (fresh copy in $tmp/$n/plan.csv)" >&2
        status=1
      fi
    else
      echo "regenerating results/$n (plan)" >&2
      rm -rf "results/$n"
      "$bin" plan "$sc" --out results --quiet
    fi
    continue
  fi
  if [[ $check -eq 1 ]]; then
    echo "checking $n" >&2
    group="$(dirname "$n")"
    mkdir -p "$tmp/$group"
    "$bin" run "$sc" --out "$tmp/$group" --fresh --quiet
    for f in summary.csv stats.csv; do
      if ! cmp -s "results/$n/$f" "$tmp/$n/$f"; then
        echo "DIFFERS: results/$n/$f (fresh copy in $tmp/$n/$f)" >&2
        diff <(head -c 20000 "results/$n/$f") <(head -c 20000 "$tmp/$n/$f") | head -20 >&2 || true
        status=1
      fi
    done
  else
    echo "regenerating results/$n" >&2
    mkdir -p "results/$(dirname "$n")"
    "$bin" run "$sc" --out "results/$(dirname "$n")" --fresh --quiet
  fi
done
if [[ $status -eq 0 ]]; then
  rm -rf "$tmp"
  [[ $check -eq 1 ]] && echo "all committed results match a fresh run: ${names[*]}" >&2
fi
exit $status
