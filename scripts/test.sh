#!/usr/bin/env bash
# `make test`: installs what is missing, then lints, runs the native core tests, builds pkg/ and
# runs the JS suites against it in Node, workerd and headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --browser

echo "== lint: rustfmt, clippy (native and wasm32), the layer rule"
cargo fmt --all --check
node scripts/layers.mjs
cargo clippy --quiet --workspace --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown --release -- -D warnings

echo "== native: cargo test (core unit tests, property tests, doc examples)"
# CI explores a fixed sample so a run is reproducible; elsewhere every run draws new cases.
if [ "${CI:-}" = "true" ]; then export PROPTEST_RNG_SEED=20261123; fi
cargo test --quiet --workspace

echo "== package: pkg/"
bash scripts/build-pkg.sh
# Tests import "llm-batches" by name, as users do, through the package's own exports map.
ln -sfn ../pkg node_modules/llm-batches
node scripts/providers-table.mjs  # README's providers table from PROVIDERS; with CI=true it only checks it

echo "== js: mock provider, Node, workerd, Chromium, ecosystem (Worker example, CLI, bundlers, types, npm pack)"
node --test --test-reporter=spec tests/mock-provider/ tests/node/ tests/workerd/ tests/browser/ tests/www/ tests/ecosystem/
node scripts/fault-table.mjs  # README's fault table from this run; with CI=true it only checks it

# Users run Node 22 and 24: the Node suites again on Node 24 (setup.sh fetched it; Linux x64 only).
if [ -x .cache/node24 ]; then
  echo "== js on Node $(.cache/node24 --version): mock provider, Node suites, CLI"
  .cache/node24 --test --test-reporter=dot tests/mock-provider/*.test.mjs tests/node/*.test.mjs tests/ecosystem/cli.test.mjs
fi
