// Browser and bundler entry: streams and compiles the wasm next to this file once, at import.
import init from "./llm_batches.js";

await init({ module_or_path: new URL("./llm_batches_bg.wasm", import.meta.url) });

export { BatchClient, BatchError, isTerminal, validateRequests, toJsonl, verifyWebhook, usageOf, STATUSES, TERMINAL_STATUSES, PROVIDERS } from "./shell.js";
