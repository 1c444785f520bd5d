# Each target installs what it needs on a fresh machine (see scripts/setup.sh).
.PHONY: setup pkg test demo fuzz bench

setup:
	bash scripts/setup.sh

pkg: setup
	bash scripts/build-pkg.sh
	ln -sfn ../pkg node_modules/llm-batches

test:
	bash scripts/test.sh

# The dashboard on http://127.0.0.1:$(PORT) against the built-in mock provider (no key, no network).
PORT ?= 8080
demo: pkg
	node tests/mock-provider/server.mjs --port $(PORT) --demo --demo-usage --demo-history 124 --static /=www --static /pkg/=pkg

# Each cargo-fuzz target for FUZZ_SECONDS (default 300); crashes land in fuzz/artifacts/.
fuzz:
	bash scripts/fuzz.sh

# llm-batches beside the openai npm package and a fetch + JSON.parse baseline: on Node 24 against
# openai 7.x (bench/RESULTS.md, results.json, the README table), then on the system Node against
# 6.x if it is older than 22 (bench/RESULTS-node20.md). About 8 minutes.
bench: pkg
	cd bench && npm ci --no-audit --no-fund && ../.cache/node24 run.mjs
	cd bench && if [ "$$(node -p 'process.versions.node.split(".")[0] < 22')" = true ]; then BENCH_OPENAI=openai6 node run.mjs; fi
