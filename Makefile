# Each target installs what it needs on a fresh machine (see scripts/setup.sh).
.PHONY: setup pkg test demo fuzz bench

setup:
	bash scripts/setup.sh

pkg: setup
	bash scripts/build-pkg.sh
	ln -sfn ../pkg node_modules/llm-batches

test:
	bash scripts/test.sh

# The dashboard on http://127.0.0.1:8080 against the built-in mock provider (no key, no network).
demo: pkg
	node tests/mock-provider/server.mjs --port 8080 --demo --static /=www --static /pkg/=pkg

# Each cargo-fuzz target for FUZZ_SECONDS (default 300); crashes land in fuzz/artifacts/.
fuzz:
	bash scripts/fuzz.sh

# llm-batches beside the openai npm package and a fetch + JSON.parse baseline; prints the table and
# writes bench/RESULTS.md and bench/results.json (about 3 minutes).
bench: pkg
	cd bench && npm ci --no-audit --no-fund && node run.mjs
