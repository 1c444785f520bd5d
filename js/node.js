// Node.js entry: reads the wasm next to this file and instantiates it synchronously.
import { readFileSync } from "node:fs";
import { initSync } from "./llm_batches.js";

initSync({ module: readFileSync(new URL("./llm_batches_bg.wasm", import.meta.url)) });

export { BatchClient, BatchError, isTerminal, validateRequests, toJsonl, verifyWebhook, usageOf, STATUSES, TERMINAL_STATUSES, PROVIDERS } from "./shell.js";
