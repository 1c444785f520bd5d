#!/usr/bin/env bash
# `make fuzz`: runs each cargo-fuzz target for FUZZ_SECONDS (default 300). The machine has only a
# stable toolchain; RUSTC_BOOTSTRAP lets it accept the flags libFuzzer builds need.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
seconds=${FUZZ_SECONDS:-300}
for target in normalize jsonl fidelity; do
  mkdir -p "fuzz/corpus/$target"
  # New inputs go to fuzz/corpus (ignored by git); fuzz/seeds holds the committed starting points.
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" --fuzz-dir fuzz "fuzz/corpus/$target" "fuzz/seeds/$target" \
    -- -max_total_time="$seconds" -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked" || true
  if [ -n "$(ls fuzz/artifacts/"$target" 2>/dev/null)" ]; then
    echo "fuzz: $target found crashes in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
