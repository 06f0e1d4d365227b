#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser (libFuzzer through cargo-fuzz, on the stable
# toolchain: no sanitizer, so no nightly flags). Builds all targets, runs each for SECONDS
# (default 60), and exits non-zero if any target found a crash (a panic, a failed
# assertion about the error naming its file, a timeout of 10 s on one input or more
# than 2 GB of memory). The inputs that crashed are kept in fuzz/artifacts/<target>/.
#
#   bash fuzz/run.sh 60      # CI: one minute per target (8 targets)
#   bash fuzz/run.sh 3600    # a longer run: an hour per target
#
# New interesting inputs accumulate in fuzz/corpus/<target>/ (git-ignored); the committed
# seeds are fuzz/seeds/<target>/. A crash found here gets fixed and its input becomes a
# case of tests/bad_inputs/.
set -uo pipefail
secs="${1:-60}"
cd "$(dirname "$0")"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
flags=(--sanitizer none -O)
cargo fuzz build "${flags[@]}" || exit 1
failed=()
for t in $(cargo fuzz list); do
  mkdir -p "corpus/$t"
  echo "== fuzz $t for ${secs}s"
  if ! cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -print_final_stats=1 2>"corpus/$t.log"; then
    tail -40 "corpus/$t.log" >&2
    failed+=("$t")
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "corpus/$t.log" || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: no crash in $(cargo fuzz list | wc -l) targets × ${secs}s"
