// Cloudflare Workers entry: Workers cannot compile wasm at run time and have no top-level await,
// so the bundler hands us the compiled module and we instantiate it synchronously.
import wasm from "./llm_batches_bg.wasm";
import { initSync } from "./llm_batches.js";

initSync({ module: wasm });

export { BatchClient, BatchError, isTerminal, validateRequests, toJsonl, verifyWebhook, usageOf, STATUSES, TERMINAL_STATUSES, PROVIDERS } from "./shell.js";
