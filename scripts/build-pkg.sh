#!/usr/bin/env bash
# Builds the npm package in pkg/: release wasm -> wasm-bindgen (web glue) -> wasm-opt -O3 -> shell,
# then checks the wasm against its size budget (scripts/size-budget.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --target wasm32-unknown-unknown --release
rm -rf pkg
mkdir -p pkg
wasm-bindgen --target web --no-typescript --out-dir pkg --out-name llm_batches \
  target/wasm32-unknown-unknown/release/llm_batches.wasm
# The features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept them.
# -O3 to match the crate's opt-level 3: on that build -Oz, -Os, -O4 and --converge all land within
# 1 KB gzip of it. (The whole build at "z"/-Oz: 129 KB gzip instead of 148, but list and results
# 1.4-1.8x slower; at "s"/-Os: 137 KB, 1.2-1.3x slower.)
node_modules/.bin/wasm-opt -O3 --strip-debug --strip-producers \
  --enable-bulk-memory --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-multivalue \
  pkg/llm_batches_bg.wasm -o pkg/llm_batches_bg.wasm
cp js/shell.js js/node.js js/browser.js js/workerd.js js/index.d.ts js/package.json js/cli.mjs pkg/
node scripts/facts.mjs
chmod +x pkg/cli.mjs
# One version for the crate and the npm package.
crate_version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
pkg_version=$(node -p 'require("./pkg/package.json").version')
if [ "$crate_version" != "$pkg_version" ]; then
  echo "build-pkg: js/package.json has version $pkg_version, Cargo.toml $crate_version" >&2
  exit 1
fi
cp README.md LICENSE-MIT LICENSE-APACHE pkg/

for f in pkg/llm_batches_bg.wasm pkg/llm_batches.js pkg/shell.js; do
  printf '%-28s %8d bytes  %7d gzip\n' "$f" "$(wc -c < "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
bash scripts/size-budget.sh
