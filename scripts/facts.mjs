#!/usr/bin/env node
// Writes pkg/facts.js: the statuses and the provider table, as the built wasm holds them (the Rust
// core is their one source). The shell, the CLI and www/ import them from there, so no list is
// written twice and nothing has to wait for the wasm to load to read them.
import { readFileSync, writeFileSync } from 'node:fs';
import { initSync, statuses, providers, isTerminal } from '../pkg/llm_batches.js';

initSync({ module: readFileSync(new URL('../pkg/llm_batches_bg.wasm', import.meta.url)) });
const freeze = (value) => JSON.stringify(value, null, 2);
writeFileSync(
  new URL('../pkg/facts.js', import.meta.url),
  `// Generated from the Rust core by scripts/facts.mjs when the package is built; do not edit.\n` +
    `/** The eight batch statuses every provider spelling maps onto, in the order of a batch's life. */\n` +
    `export const STATUSES = Object.freeze(${freeze(statuses())});\n` +
    `/** The statuses after which a batch never changes again. */\n` +
    `export const TERMINAL_STATUSES = Object.freeze(${freeze(statuses().filter((s) => isTerminal(s)))});\n` +
    `/** Every provider: name, label, baseURL, keyEnv, auth, purpose, maxRequests, maxBytes, windows, metadata, files, notes, docs. */\n` +
    `export const PROVIDERS = Object.freeze(${freeze(providers())}.map((p) => Object.freeze({ ...p, windows: Object.freeze(p.windows) })));\n`,
);
