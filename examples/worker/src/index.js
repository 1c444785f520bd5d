// A Cloudflare Worker that watches a provider's unfinished batches.
//
// - `scheduled` (the cron in wrangler.toml) lists batches newest first, page by page, the way
//   `client.watch` does: every batch still running, and every batch that was running last time, is
//   refreshed from the list pages; one that was not on them is retrieved by id. The latest state goes
//   into KV as one JSON value.
// - `fetch` serves that JSON: `GET /` the whole state, `GET /batches/ID` one batch.
// - `POST /webhook` takes the provider's signed webhooks (OpenAI's `batch.completed`, …): it checks
//   the signature with WEBHOOK_SECRET, retrieves the batch, records it, and on `batch.completed`
//   streams its results into the R2 bucket RESULTS as `results/<batch id>.jsonl`, one part of
//   PART_BYTES at a time (R2's multipart upload), so a results file far larger than the Worker's
//   128 MB goes through. A delivery seen before (same batch, already stored) is answered at once.
//
// A Worker invocation may only make so many subrequests (50 on the Free plan), so every request to
// the provider goes through a counting `fetch`: a run stops paging before it could exceed
// MAX_SUBREQUESTS (default 40), retries included, and says so in `run.complete: false`. The next
// run starts again from the newest page.
import { BatchClient, BatchError, isTerminal, verifyWebhook } from "llm-batches";

const STATE_KEY = "state";
const DEFAULT_MAX_SUBREQUESTS = 40;
const DEFAULT_PAGE_SIZE = 100;
/** One retry per call at most: the next cron run is the real retry, and retries cost subrequests. */
const MAX_RETRIES = 1;
const CALL_COST = 1 + MAX_RETRIES;
/** How many recently finished batches the state keeps, newest first. */
const FINISHED_KEPT = 100;
/** R2 multipart parts: at least 5 MiB each (but the last); also what the Worker holds of a results file. */
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** A webhook body is a small JSON event; anything much larger is not one. */
const MAX_WEBHOOK_BYTES = 64 * 1024;

export default {
  async scheduled(controller, env, ctx) {
    await refresh(env, controller.scheduledTime);
  },

  async fetch(request, env) {
    if (request.method === "POST" && new URL(request.url).pathname === "/webhook") return webhook(request, env);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json({ error: "method not allowed" }, 405, { allow: "GET, HEAD" });
    }
    if (env.READ_TOKEN && request.headers.get("authorization") !== `Bearer ${env.READ_TOKEN}`) {
      return json({ error: "unauthorized" }, 401, { "www-authenticate": "Bearer" });
    }
    const state = (await env.BATCH_STATE.get(STATE_KEY, "json")) ?? emptyState();
    const { pathname } = new URL(request.url);
    if (pathname === "/") return json(state);
    const match = /^\/batches\/([^/]+)$/.exec(pathname);
    if (match) {
      const id = decodeURIComponent(match[1]);
      const batch = [...state.unfinished, ...state.finished].find((b) => b.id === id);
      return batch ? json(batch) : json({ error: `batch ${id} is not being watched` }, 404);
    }
    return json({ error: "not found" }, 404);
  },
};

/** The client every handler uses, from the Worker's settings. */
function clientOf(env, extra = {}) {
  return new BatchClient({
    provider: env.PROVIDER || "openai",
    apiKey: env.OPENAI_API_KEY,
    baseURL: env.BASE_URL || undefined,
    dialect: env.DIALECT || undefined,
    maxRetries: MAX_RETRIES,
    timeout: 20_000,
    ...extra,
  });
}

/**
 * `POST /webhook`: a delivery the provider signed. A bad signature, a stale timestamp or a body
 * that is no event is a 400 (the provider does not retry those forever: fix the secret); an error
 * reaching the provider is a 502, which makes the provider deliver again later.
 */
async function webhook(request, env) {
  if (!env.WEBHOOK_SECRET) return json({ error: "WEBHOOK_SECRET is not set" }, 500);
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_WEBHOOK_BYTES) return json({ error: "a webhook body is a small event" }, 413);
  const body = await request.text();
  let event;
  try {
    event = verifyWebhook(body, request.headers, env.WEBHOOK_SECRET);
  } catch (error) {
    if (error instanceof BatchError && (error.kind === "invalid_signature" || error.kind === "invalid_argument")) {
      return json({ error: error.message }, 400);
    }
    throw error;
  }
  if (!event.type.startsWith("batch.") || typeof event.data?.id !== "string") {
    return json({ ok: true, event: event.id, ignored: event.type });
  }
  try {
    const client = clientOf(env);
    const batch = await client.retrieve(event.data.id);
    await record(env, batch);
    let results = null;
    if (event.type === "batch.completed" && env.RESULTS) {
      results = await storeResults(client, batch, env.RESULTS, Math.max(MIN_PART_BYTES, positiveInt(env.PART_BYTES, DEFAULT_PART_BYTES)));
    }
    return json({ ok: true, event: event.id, batch: { id: batch.id, status: batch.status }, results });
  } catch (error) {
    return json({ error: describe(error) }, 502);
  }
}

/** Puts a batch the provider told us about into the state, as a cron run would. */
async function record(env, batch) {
  const previous = (await env.BATCH_STATE.get(STATE_KEY, "json")) ?? emptyState();
  const run = previous.run ?? { started_at: Math.floor(Date.now() / 1000), pages: 0, retrieves: 1, subrequests: 1, complete: false, error: null };
  await env.BATCH_STATE.put(STATE_KEY, JSON.stringify(merge(previous, { fresh: new Map([[batch.id, batch]]), gone: new Set(), run })));
}

/**
 * Streams a batch's results (output file, then error file) into `results/<id>.jsonl` in R2, one
 * JSON line per result, holding at most one part (`partBytes`) and one line at a time.
 */
async function storeResults(client, batch, bucket, partBytes) {
  const key = `results/${batch.id}.jsonl`;
  const stored = await bucket.head(key);
  if (stored) return { key, already: true, bytes: stored.size };
  const upload = await bucket.createMultipartUpload(key, {
    httpMetadata: { contentType: "application/jsonl" },
    customMetadata: { batch: batch.id, status: String(batch.status) },
  });
  const encoder = new TextEncoder();
  const parts = [];
  let part = new Uint8Array(partBytes);
  let filled = 0;
  let peak = 0;
  const summary = { key, lines: 0, errors: 0, bytes: 0 };
  // Every part but the last is exactly partBytes, as R2 wants them.
  const send = async (bytes) => parts.push(await upload.uploadPart(parts.length + 1, bytes));
  try {
    for await (const result of client.results(batch)) {
      let line = encoder.encode(`${JSON.stringify(result)}\n`);
      summary.lines += 1;
      summary.bytes += line.length;
      if (result.error) summary.errors += 1;
      while (line.length > 0) {
        const take = Math.min(line.length, partBytes - filled);
        part.set(line.subarray(0, take), filled);
        filled += take;
        line = line.subarray(take);
        peak = Math.max(peak, filled);
        if (filled === partBytes) {
          await send(part);
          part = new Uint8Array(partBytes);
          filled = 0;
        }
      }
    }
    if (filled > 0 || parts.length === 0) await send(part.subarray(0, filled));
    await upload.complete(parts);
  } catch (error) {
    await upload.abort();
    throw error;
  }
  return { ...summary, parts: parts.length, peak_buffered_bytes: peak };
}

/** One polling run: reads the state from KV, refreshes it from the provider, writes it back. */
export async function refresh(env, now = Date.now()) {
  const previous = (await env.BATCH_STATE.get(STATE_KEY, "json")) ?? emptyState();
  const maxSubrequests = positiveInt(env.MAX_SUBREQUESTS, DEFAULT_MAX_SUBREQUESTS);
  const pageSize = positiveInt(env.PAGE_SIZE, DEFAULT_PAGE_SIZE);
  const budget = countingFetch(maxSubrequests);
  const run = { started_at: Math.floor(now / 1000), pages: 0, retrieves: 0, subrequests: 0, complete: false, error: null };
  const tracked = new Map(previous.unfinished.map((b) => [b.id, b]));
  const fresh = new Map();
  const gone = new Set();
  let failure = null;
  try {
    const client = clientOf(env, { fetch: budget.fetch });
    run.complete = await readPages(client, { pageSize, budget, tracked, fresh, run });
    // A batch that was running but is not on the pages read: ask for it by id, while the budget lasts.
    for (const id of tracked.keys()) {
      if (fresh.has(id)) continue;
      if (budget.left() < CALL_COST) {
        run.complete = false;
        break;
      }
      run.retrieves += 1;
      try {
        fresh.set(id, await client.retrieve(id));
      } catch (error) {
        if (!(error instanceof BatchError && error.status === 404)) throw error;
        gone.add(id);
      }
    }
  } catch (error) {
    failure = error;
    run.complete = false;
    run.error = describe(error);
  }
  run.subrequests = budget.used();
  await env.BATCH_STATE.put(STATE_KEY, JSON.stringify(merge(previous, { fresh, gone, run })));
  // Rethrown so the run shows as failed in the dashboard and `wrangler tail`; the state says why.
  if (failure) throw failure;
}

/**
 * Reads list pages newest first until nothing older can matter; returns whether it got there (false:
 * the subrequest budget ran out first). Batches are listed newest first and end within their
 * completion window, so once a whole page has nothing running and every batch that was running has
 * been seen again, older pages hold nothing to watch.
 */
async function readPages(client, { pageSize, budget, tracked, fresh, run }) {
  let after;
  for (;;) {
    if (budget.left() < CALL_COST) return false;
    const page = await client.list({ limit: pageSize, after });
    run.pages += 1;
    let running = 0;
    for (const batch of page.data) {
      const ended = isTerminal(batch);
      if (!ended) running += 1;
      if (!ended || tracked.has(batch.id)) fresh.set(batch.id, batch);
    }
    if (!page.has_more || !page.last_id) return true;
    if (running === 0 && [...tracked.keys()].every((id) => fresh.has(id))) return true;
    after = page.last_id;
  }
}

/** The next state: what is still running, and the batches seen to finish, newest first. */
function merge(previous, { fresh, gone, run }) {
  const unfinished = new Map();
  // A batch that was running and could not be refreshed this time stays, as it was last seen.
  for (const batch of previous.unfinished) if (!gone.has(batch.id)) unfinished.set(batch.id, batch);
  const finished = [];
  for (const [id, batch] of fresh) {
    if (isTerminal(batch)) {
      unfinished.delete(id);
      finished.push(batch);
    } else {
      unfinished.set(id, batch);
    }
  }
  const finishedIds = new Set(finished.map((b) => b.id));
  return {
    updated_at: run.started_at,
    run,
    unfinished: [...unfinished.values()].sort(newestFirst),
    finished: [...finished.sort(newestFirst), ...previous.finished.filter((b) => !finishedIds.has(b.id))].slice(0, FINISHED_KEPT),
  };
}

function emptyState() {
  return { updated_at: null, run: null, unfinished: [], finished: [] };
}

/** A `fetch` that counts the subrequests it makes and refuses to go over `limit`. */
function countingFetch(limit) {
  let used = 0;
  return {
    used: () => used,
    left: () => limit - used,
    fetch: (input, init) => {
      if (used >= limit) return Promise.reject(new Error(`the run's budget of ${limit} subrequests is used up`));
      used += 1;
      return fetch(input, init);
    },
  };
}

function describe(error) {
  if (error instanceof BatchError) {
    return { kind: error.kind, status: error.status, code: error.code, request_id: error.requestId, message: error.message };
  }
  return { kind: "internal", status: null, code: null, request_id: null, message: String(error?.message ?? error) };
}

function newestFirst(a, b) {
  return (b.created_at ?? 0) - (a.created_at ?? 0);
}

function positiveInt(value, fallback) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function json(body, status = 200, headers = {}) {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}
