#!/usr/bin/env bash
# Prints issue 15's speed table: payments per CPU-second (whole-process user CPU of
# `pcnsim run --jobs 1`, minimum over RUNS runs) and peak resident memory (largest max RSS
# of those runs), for the scenario files in benches/scenarios/.
#
#   scripts/speed.sh            every case (CLoTH cases need PCNSIM_SHARED_DATA)
#   scripts/speed.sh cloth      the CLoTH snapshot cases only
#   scripts/speed.sh ba         the Barabási–Albert scaling cases only (ba_1m: minutes, ~1 GB+)
#   scripts/speed.sh ba_1k cloth_100_half   named cases (file stems of benches/scenarios/)
#
# Environment: RUNS (default 3), PCNSIM_BIN (default: target/release/pcnsim, built first
# with `cargo build --release`), PCNSIM_SHARED_DATA (the shared `data/ln` folder).
# Results go to a temporary folder that is removed afterwards. Needs GNU time
# (/usr/bin/time; `apt-get install time`).
#
# The output is a Markdown table, pasted as is into README.md's "Speed" section, followed by
# the machine (CPU count and model, load average).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "speed.sh: GNU time not found at $TIME (apt-get install time)" >&2; exit 1; }
if [ -z "${PCNSIM_BIN:-}" ]; then
    cargo build --release --quiet
    PCNSIM_BIN=target/release/pcnsim
fi

ALL_CLOTH="cloth_100_half cloth_100_file cloth_10k_half cloth_10k_file cloth_100k_half cloth_100k_file cloth_100_half_w60"
ALL_BA="ba_1k ba_10k ba_100k ba_1m"
cases=()
[ $# -eq 0 ] && set -- cloth ba
for a in "$@"; do
    case "$a" in
        cloth) cases+=($ALL_CLOTH) ;;
        ba) cases+=($ALL_BA) ;;
        *) [ -f "benches/scenarios/$a.toml" ] || { echo "speed.sh: no benches/scenarios/$a.toml" >&2; exit 1; }
           cases+=("$a") ;;
    esac
done
for c in "${cases[@]}"; do
    if [[ $c == cloth* ]] && [ -z "${PCNSIM_SHARED_DATA:-}" ]; then
        echo "speed.sh: $c needs PCNSIM_SHARED_DATA (the shared data/ln folder)" >&2; exit 1
    fi
done

tmp=$(mktemp -d /tmp/pcnsim-speed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

describe() { sed -n 's/^description = "\(.*\)"$/\1/p' "$1"; }
payments() { sed -n 's/^payments = \([0-9_]*\)$/\1/p' "$1" | tr -d _; }

echo "| case | scenario | payments | user CPU s (min of $RUNS) | payments / CPU-s | peak RSS MB |"
echo "|---|---|---:|---:|---:|---:|"
for c in "${cases[@]}"; do
    f=benches/scenarios/$c.toml
    n=$(payments "$f")
    best=""
    peak=0
    for _ in $(seq "$RUNS"); do
        "$TIME" -f "%U %M" -o "$tmp/time" "$PCNSIM_BIN" run "$f" --out "$tmp/out" --jobs 1 --quiet --fresh > "$tmp/log" 2>&1 \
            || { echo "speed.sh: $c failed:" >&2; cat "$tmp/log" >&2; exit 1; }
        read -r user rss < <(tail -n 1 "$tmp/time")
        if [ -z "$best" ] || awk -v a="$user" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$user; fi
        [ "$rss" -gt "$peak" ] && peak=$rss
        rm -rf "$tmp/out"
    done
    awk -v c="$c" -v d="$(describe "$f")" -v n="$n" -v u="$best" -v r="$peak" \
        'BEGIN { printf "| %s | %s | %d | %.2f | %s | %d |\n", c, d, n, u, (u > 0 ? sprintf("%.0f", n / u) : "n/a"), r / 1024 }'
done
echo
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1);" \
     "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d); $(git rev-parse --short HEAD 2>/dev/null || echo 'no git')"
