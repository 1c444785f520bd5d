// Runtime-independent scenarios for the built `llm-batches` package. The same file runs in Node
// (tests/node), in workerd (tests/workerd, bundled into a Worker) and in headless Chromium
// (tests/browser, loaded as a module), always against the mock provider (tests/mock-provider).
//
// No `node:` imports and no DOM: only what every runtime has (fetch, Headers, Request, URL,
// AbortController, setTimeout, crypto/Math.random).
//
//   import { scenarios, runAll } from "./scenarios.mjs";
//   const results = await runAll(await import("llm-batches"), {
//     mockUrl: "http://127.0.0.1:1234",
//     fixtures: { token360Expected, ppinfraExpected },
//   });   // -> [{ name, ok, error, ms }]
//
// Every scenario makes its own clients and, when it arms a fault through the `x-mock-fault`
// header, gives it a key with a random suffix, so scenarios neither depend on each other nor on
// the order they run in, and several runtimes may share one mock.

/** Longest a single scenario may take before it is reported as hung. */
export const SCENARIO_TIMEOUT_MS = 10_000;

/** Longest `runAll` keeps starting scenarios; the rest are reported as not run. Keeps a broken
 * build from turning every suite into minutes of timeouts. */
export const RUN_ALL_DEADLINE_MS = 60_000;

import { differential } from "./fidelity.mjs";

// ---- assertions ----------------------------------------------------------------------------------

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function fail(message) {
  throw new AssertionError(message);
}

/** A short, stable rendering of any value for messages (never throws). */
export function show(value, max = 300) {
  let text;
  try {
    if (typeof value === "string") text = JSON.stringify(value);
    else if (value === undefined) text = "undefined";
    else if (typeof value === "bigint") text = `${value}n`;
    else if (typeof value === "function") text = `[function ${value.name || "anonymous"}]`;
    else if (value instanceof Error) text = `${value.name}: ${value.message}`;
    else text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isPlainObject(v) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Every difference between `actual` and `expected` as `path: got X, expected Y` lines. */
export function diff(actual, expected, path = "$", out = []) {
  if (Object.is(actual, expected)) return out;
  const ta = typeName(actual);
  const te = typeName(expected);
  if (ta !== te) {
    const typed = (t, v) => (v === null || v === undefined ? t : `${t} ${show(v, 120)}`);
    out.push(`${path}: got ${typed(ta, actual)}, expected ${typed(te, expected)}`);
    return out;
  }
  if (ta === "array") {
    if (actual.length !== expected.length) out.push(`${path}.length: got ${actual.length}, expected ${expected.length}`);
    const n = Math.min(actual.length, expected.length);
    for (let i = 0; i < n; i++) diff(actual[i], expected[i], `${path}[${i}]`, out);
    return out;
  }
  if (ta === "object") {
    if (!isPlainObject(actual)) {
      const proto = Object.getPrototypeOf(actual);
      out.push(`${path}: got a ${proto?.constructor?.name ?? "exotic"} object, expected a plain object`);
    }
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of [...keys].sort()) {
      const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (!(k in actual)) out.push(`${p}: missing, expected ${show(expected[k], 120)}`);
      else if (!(k in expected)) out.push(`${p}: unexpected, got ${show(actual[k], 120)}`);
      else diff(actual[k], expected[k], p, out);
    }
    return out;
  }
  out.push(`${path}: got ${show(actual, 120)}, expected ${show(expected, 120)}`);
  return out;
}

export const assert = {
  ok(value, message = "expected a truthy value") {
    if (!value) fail(`${message} (got ${show(value)})`);
  },
  equal(actual, expected, what = "value") {
    if (!Object.is(actual, expected)) fail(`${what}: got ${show(actual)}, expected ${show(expected)}`);
  },
  deepEqual(actual, expected, what = "value") {
    const lines = diff(actual, expected);
    if (lines.length === 0) return;
    const shown = lines.slice(0, 25);
    if (lines.length > shown.length) shown.push(`… and ${lines.length - shown.length} more differences`);
    fail(`${what} differs from the expected value (${lines.length} differences):\n  ${shown.join("\n  ")}`);
  },
  match(actual, regex, what = "value") {
    if (typeof actual !== "string" || !regex.test(actual)) fail(`${what}: got ${show(actual)}, expected to match ${regex}`);
  },
  below(actual, limit, what = "value") {
    if (!(actual < limit)) fail(`${what}: got ${show(actual)}, expected < ${limit}`);
  },
};

/** A rejection described for messages: the BatchError fields when it has them. */
function describeError(err) {
  if (err === null || typeof err !== "object") return `non-object ${show(err)}`;
  const fields = ["kind", "status", "code", "requestId"].map((k) => `${k}=${show(err[k], 60)}`).join(" ");
  return `${err.constructor?.name ?? "?"} name=${show(err.name)} ${fields} message=${show(err.message, 200)}`;
}

/**
 * Calls `fn` and returns what its promise rejected with. Fails when it resolves, when it throws
 * synchronously (the contract says these reject) or when it hangs past `ms`.
 */
async function rejection(fn, what, ms = 10_000) {
  let promise;
  try {
    promise = fn();
  } catch (err) {
    fail(`${what}: threw synchronously instead of returning a rejected promise: ${describeError(err)}`);
  }
  if (!promise || typeof promise.then !== "function") fail(`${what}: did not return a promise (got ${show(promise)})`);
  let timer;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error) => ({ error }),
    ),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve({ hung: true }), ms);
    }),
  ]);
  clearTimeout(timer);
  if (outcome.hung) fail(`${what}: still pending after ${ms} ms, expected a rejection`);
  if (!("error" in outcome)) fail(`${what}: resolved with ${show(outcome.value)}, expected a rejection`);
  return outcome.error;
}

/** Calls `fn` and returns what it threw synchronously; fails if it returned. */
function thrown(fn, what) {
  let value;
  try {
    value = fn();
  } catch (err) {
    return err;
  }
  fail(`${what}: returned ${show(value)} instead of throwing synchronously`);
}

/** Asserts a BatchError with the given fields (only those named in `want`). */
function assertBatchError(lib, err, want, what) {
  const d = describeError(err);
  if (!(err instanceof lib.BatchError)) fail(`${what}: expected a BatchError, got ${d}`);
  if (!(err instanceof Error)) fail(`${what}: BatchError is not an instance of Error: ${d}`);
  if (err.name !== "BatchError") fail(`${what}: name is ${show(err.name)}, expected "BatchError": ${d}`);
  if (typeof err.message !== "string" || err.message.length === 0) fail(`${what}: empty message: ${d}`);
  for (const [k, v] of Object.entries(want)) {
    const got = err[k];
    const okay = v instanceof RegExp ? typeof got === "string" && v.test(got) : Object.is(got, v);
    if (!okay) fail(`${what}: ${k} is ${show(got)}, expected ${v instanceof RegExp ? v : show(v)}: ${d}`);
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function randomSuffix() {
  const c = globalThis.crypto;
  if (c && typeof c.getRandomValues === "function") {
    const bytes = c.getRandomValues(new Uint8Array(6));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return Math.random().toString(16).slice(2, 14);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fault spec for `x-mock-fault` that fires only `times` times for a key of its own. */
function fault(kind, times, name) {
  return `${kind};times=${times};key=${name}-${randomSuffix()}`;
}

function headersToObject(h) {
  const out = {};
  if (!h) return out;
  new Headers(h).forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/**
 * A `fetch` that records every call (url, method, lower-cased headers) before handing it to the
 * runtime's own fetch. Accepts `(url | URL | Request, init)` as the platform fetch does.
 */
function recordingFetch() {
  const calls = [];
  const fetchFn = (input, init) => {
    const isRequest = typeof Request !== "undefined" && input instanceof Request;
    const url = isRequest ? input.url : String(input);
    const method = (init?.method ?? (isRequest ? input.method : "GET")).toUpperCase();
    const headers = { ...(isRequest ? headersToObject(input.headers) : {}), ...headersToObject(init?.headers) };
    calls.push({ url, method, headers });
    return globalThis.fetch(input, init);
  };
  return { fetch: fetchFn, calls };
}

function urls(ctx) {
  const root = ctx.mockUrl.replace(/\/+$/, "");
  return {
    openai: `${root}/openai/v1`,
    token360: `${root}/token360/v1`,
    ppinfra: `${root}/ppinfra/openai/v1`,
  };
}

const API_KEY = "x";

function client(lib, options) {
  return new lib.BatchClient({ apiKey: API_KEY, ...options });
}

/** Everywhere a rejection could show the key to a user or a log (label -> text): the places a
 * leak is looked for, here and in faults.mjs. `max` bounds each rendered value. */
export function errorViews(err, max = 10_000) {
  const views = {};
  const safe = (label, f) => {
    try {
      views[label] = f();
    } catch (e) {
      views[label] = `(${label} threw ${e?.name})`;
    }
  };
  safe("message", () => String(err?.message));
  safe("stack", () => String(err?.stack));
  safe("String(err)", () => String(err));
  safe("JSON.stringify(err)", () => JSON.stringify(err));
  safe("JSON.stringify({...err})", () => JSON.stringify({ ...err }));
  safe("own properties", () =>
    Object.getOwnPropertyNames(err ?? {})
      .map((k) => `${k}=${show(err[k], max)}`)
      .join(" "),
  );
  safe("cause", () => show(err?.cause, max));
  return views;
}

/** `err` must not carry `secret` anywhere a user or a log line could see it. */
function assertNoSecret(err, secrets, what) {
  const views = errorViews(err);
  for (const [label, text] of Object.entries(views)) {
    for (const secret of secrets) {
      if (typeof text === "string" && text.includes(secret)) {
        const at = text.indexOf(secret);
        fail(`${what}: the API key leaks through ${label}: …${text.slice(Math.max(0, at - 60), at + secret.length + 20)}…`);
      }
    }
  }
}

const TERMINAL = ["completed", "failed", "expired", "cancelled"];
const NON_TERMINAL = ["validating", "in_progress", "finalizing", "cancelling"];

/** One chat request line; `extra` goes into the body (the mock fails a request whose body has `fail: true`). */
function chatRequest(customId, extra = {}) {
  return { custom_id: customId, method: "POST", url: "/v1/chat/completions", body: { model: "m", messages: [{ role: "user", content: customId }], ...extra } };
}

const OAI_IDS = Array.from({ length: 25 }, (_, i) => `batch_oai_${String(i).padStart(3, "0")}`);

// ---- the other providers: each under its own prefix of the mock, with its own key header --------

/** How each provider is reached on the mock, and what one of its requests looks like. */
const PROVIDER_CASES = {
  anthropic: {
    path: "/anthropic/v1",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1/messages", body: { model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: id }], ...extra } }),
    text: (r) => r.response.body.content[0].text,
    missing: "msgbatch_nope",
  },
  mistral: {
    path: "/mistral/v1",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "mistral-small-latest", messages: [{ role: "user", content: id }], ...extra } }),
    text: (r) => r.response.body.choices[0].message.content,
    missing: "00000000-0000-4000-8000-000000000000",
  },
  gemini: {
    path: "/gemini",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1beta/models/gemini-2.5-flash:generateContent", body: { contents: [{ parts: [{ text: id }] }], ...extra } }),
    text: (r) => r.response.body.candidates[0].content.parts[0].text,
    missing: "nope0000000000000000000000000000nope",
  },
  together: {
    path: "/together/v1",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "meta-llama/Llama-3.3-70B-Instruct-Turbo", messages: [{ role: "user", content: id }], ...extra } }),
    text: (r) => r.response.body.choices[0].message.content,
    missing: "00000000-0000-4000-8000-000000000000",
  },
  groq: {
    path: "/groq/openai/v1",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "llama-3.1-8b-instant", messages: [{ role: "user", content: id }], ...extra } }),
    text: (r) => r.response.body.choices[0].message.content,
    missing: "batch_nope",
  },
  azure: {
    path: "/azure/openai/v1",
    line: (id, extra = {}) => ({ custom_id: id, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-batch", messages: [{ role: "user", content: id }], ...extra } }),
    text: (r) => r.response.body.choices[0].message.content,
    missing: "batch_nope",
  },
};

function providerClient(lib, ctx, provider, options = {}) {
  const root = ctx.mockUrl.replace(/\/+$/, "");
  return new lib.BatchClient({ provider, apiKey: `${provider}-key-${API_KEY}`, baseURL: `${root}${PROVIDER_CASES[provider].path}`, ...options });
}

const providerScenarios = Object.entries(PROVIDER_CASES).flatMap(([provider, p]) => [
  {
    name: `${provider}: submit → waitFor → results, the same Batch and BatchResult as OpenAI's`,
    async run(lib, ctx) {
      const c = providerClient(lib, ctx, provider);
      assert.equal(c.provider, provider, "client.provider");
      const created = await c.submit([p.line("a"), p.line("b", { fail: true }), p.line("c")]);
      assert.equal(typeof created.id, "string", `id of ${show(created)}`);
      assert.ok(NON_TERMINAL.includes(created.status), `status right after submit: ${show(created.status)}`);
      const seen = [];
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 9_000, onProgress: (b) => seen.push(b.status) });
      assert.equal(done.status, "completed", `final status of ${show(done)}`);
      assert.ok(seen.every((st) => TERMINAL.includes(st) || NON_TERMINAL.includes(st)), `normalised statuses: ${show(seen)}`);
      // Together sends no counts, only `progress` (a percentage), which passes through.
      if (provider === "together") assert.equal(done.progress, 100, `progress of ${show(done)}`);
      else {
        const { total, completed, failed } = done.request_counts;
        assert.deepEqual({ total, completed, failed }, { total: 3, completed: 2, failed: 1 }, `request_counts of ${show(done)}`);
      }
      assert.equal(typeof done.created_at, "number", "created_at in seconds");
      const rows = [];
      for await (const r of c.results(done)) rows.push(r);
      const byId = Object.fromEntries(rows.map((r) => [r.custom_id, r]));
      assert.deepEqual(Object.keys(byId).sort(), ["a", "b", "c"], `rows: ${show(rows)}`);
      for (const id of ["a", "c"]) {
        assert.equal(byId[id].error, null, `row ${id} has no error: ${show(byId[id])}`);
        assert.equal(byId[id].response.status_code, 200, `row ${id} status`);
        assert.match(p.text(byId[id]), new RegExp(id), `row ${id}'s answer`);
      }
      assert.ok(byId.b.error && typeof byId.b.error.code === "string", `the failed row's error: ${show(byId.b)}`);
      const again = await c.retrieve(done.id);
      assert.equal(again.id, done.id, "retrieve by the normalised id");
    },
  },
  {
    name: `${provider}: cancel ends a running batch as cancelled`,
    async run(lib, ctx) {
      const c = providerClient(lib, ctx, provider);
      const created = await c.submit([p.line("x"), p.line("y")]);
      const cancelling = await c.cancel(created.id);
      assert.equal(cancelling.id, created.id, "cancel answers the batch");
      assert.ok(["cancelling", "cancelled"].includes(cancelling.status), `status after cancel: ${show(cancelling.status)}`);
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 9_000 });
      assert.equal(done.status, "cancelled", `final status of ${show(done)}`);
      assert.ok(lib.isTerminal(done));
    },
  },
  {
    name: `${provider}: listAll pages through everything list shows, once each, newest first`,
    async run(lib, ctx) {
      const c = providerClient(lib, ctx, provider);
      await c.submit([p.line("l1")]);
      const all = [];
      for await (const b of c.listAll({ limit: 2 })) all.push(b);
      assert.ok(all.length >= 3, `${all.length} batches listed`);
      assert.equal(new Set(all.map((b) => b.id)).size, all.length, "no batch twice");
      for (const b of all) {
        assert.equal(typeof b.id, "string");
        assert.equal(typeof b.status, "string");
        assert.equal(b.object, "batch");
      }
      const page = await c.list({ limit: 2 });
      assert.equal(page.object, "list");
      assert.deepEqual(page.data.map((b) => b.id), all.slice(0, page.data.length).map((b) => b.id), "the first page is where listAll starts");
      assert.equal(typeof page.has_more, "boolean");
    },
  },
  {
    name: `${provider}: errors are BatchErrors with the provider's code, and the key never shows`,
    async run(lib, ctx) {
      const c = providerClient(lib, ctx, provider, { maxRetries: 0 });
      const err = await rejection(() => c.retrieve(p.missing), "retrieve of a missing batch");
      assertBatchError(lib, err, { kind: "api", status: 404 }, `${provider} 404`);
      assertNoSecret(err, [`${provider}-key-${API_KEY}`], `${provider} 404`);
      // A method the provider lacks is refused before anything is sent, naming the provider.
      const recorder = recordingFetch();
      const bare = providerClient(lib, ctx, provider, { fetch: recorder.fetch });
      const lacking = {
        anthropic: () => bare.uploadFile("{}\n"),
        mistral: () => bare.list({ after: "x" }),
        gemini: () => bare.list({ after: "x" }),
        together: () => bare.create({ input_file_id: "file-x", endpoint: "/v1/chat/completions", metadata: { a: "b" } }),
        groq: () => bare.list({ page: 2 }),
        azure: () => bare.list({ page: 2 }),
      }[provider];
      const refused = await rejection(lacking, `what ${provider} lacks`);
      assertBatchError(lib, refused, { kind: "invalid_argument" }, `what ${provider} lacks`);
      assert.equal(recorder.calls.length, 0, "nothing was sent");
    },
  },
]);


// ---- jobs and webhooks ---------------------------------------------------------------------------

/** base64 of bytes, in any runtime. */
function toBase64(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

/** A Standard Webhooks signature of `id.timestamp.body` with the runtime's own Web Crypto. */
async function sign(secretBytes, id, timestamp, body) {
  const key = await crypto.subtle.importKey("raw", secretBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(mac)}`;
}

const jobScenarios = [
  {
    name: "submitAll splits a job by maxRequests, labels the parts, and results/usage read them as one",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      const ids = ["p1", "p2", "p3", "p4", "p5"];
      const batches = await c.submitAll(ids.map((id) => chatRequest(id)), { maxRequests: 2, metadata: { job: "split" } });
      assert.equal(batches.length, 3, "5 requests at 2 a batch");
      assert.deepEqual(batches.map((b) => b.metadata.part), ["1/3", "2/3", "3/3"], "parts in order");
      assert.ok(batches.every((b) => b.metadata.job === "split"), "the caller's metadata on every part");
      const done = [];
      for (const b of batches) done.push(await c.waitFor(b.id, { pollInterval: 50, timeout: 8_000 }));
      const rows = [];
      let byRow = 0;
      for await (const r of c.results(done)) {
        rows.push(r.custom_id);
        byRow += lib.usageOf(r)?.total_tokens ?? 0;
      }
      assert.deepEqual(rows, ids, "every result, part after part");
      const usage = await c.usage(done);
      assert.equal(byRow, usage.total_tokens, "usageOf of each result adds up to usage()");
      assert.equal(lib.usageOf(done[0]), null, "a batch without usage has none");
      assert.equal(usage.requests, 5, `requests counted: ${show(usage)}`);
      assert.equal(usage.total_tokens, 5 * 18, `the results' usage added up: ${show(usage)}`);
      assert.equal(usage.input_tokens + usage.output_tokens, usage.total_tokens, "input + output");
    },
  },
  {
    name: "submitAll that fails part-way says which batches it made; one that fits is one batch",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai, maxRetries: 0 });
      const one = await c.submitAll([chatRequest("solo")]);
      assert.equal(one.length, 1);
      assert.equal(one[0].metadata?.part, undefined, "no part label on a job of one batch");
      // The second create is refused: the first batch is made, the third never tried.
      const err = await rejection(async () => {
        let made = 0;
        const counting = (input, init) => {
          const url = typeof input === "string" ? input : input.url;
          if ((init?.method ?? "GET") === "POST" && url.endsWith("/batches") && ++made === 2) {
            return Promise.resolve(new Response(JSON.stringify({ error: { message: "quota exceeded", type: "invalid_request_error", code: "quota" } }), { status: 400, headers: { "content-type": "application/json" } }));
          }
          return globalThis.fetch(input, init);
        };
        const c2 = client(lib, { baseURL: urls(ctx).openai, maxRetries: 0, fetch: counting });
        return c2.submitAll(["a", "b", "c"].map((id) => chatRequest(id)), { maxRequests: 1 });
      }, "submitAll with a failing second part");
      assertBatchError(lib, err, { kind: "api", status: 400, code: "quota" }, "the second part's error");
      assert.ok(Array.isArray(err.batches) && err.batches.length === 1, `err.batches: ${show(err.batches)}`);
      assert.match(err.message, /part 2 of 3/, "the message says where it stopped");
      // Invalid requests anywhere: nothing is sent, every problem listed.
      const bad = await rejection(() => c.submitAll([chatRequest("x"), { custom_id: "x" }]), "invalid submitAll");
      assertBatchError(lib, bad, { kind: "invalid_argument" }, "invalid submitAll");
      assert.ok(bad.errors.length >= 2, `errors: ${show(bad.errors)}`);
    },
  },
  {
    name: "resubmit sends exactly what failed or never ran, keeps the metadata, and is null when all succeeded",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      const created = await c.submit(["a", "b", "c"].map((id) => chatRequest(id, id === "b" ? { fail: true } : {})), { metadata: { job: "retry-me" } });
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 8_000 });
      const retry = await c.resubmit(done);
      assert.ok(retry && typeof retry.id === "string", "a new batch");
      assert.equal(retry.metadata.resubmit_of, done.id, "resubmit_of");
      assert.equal(retry.metadata.job, "retry-me", "the old metadata");
      const retried = await c.waitFor(retry.id, { pollInterval: 50, timeout: 8_000 });
      assert.equal(retried.request_counts.total, 1, "only the failed request");
      const rows = [];
      for await (const r of c.results(retried)) rows.push(r.custom_id);
      assert.deepEqual(rows, ["b"]);
      // A batch whose requests all succeeded: nothing to do.
      const clean = await c.submit([chatRequest("ok1"), chatRequest("ok2")]);
      const cleanDone = await c.waitFor(clean.id, { pollInterval: 50, timeout: 8_000 });
      assert.equal(await c.resubmit(cleanDone.id), null, "null when nothing is left");
      // A running batch is refused.
      const running = await c.submit([chatRequest("r1")]);
      const refused = await rejection(() => c.resubmit(running), "resubmit of a running batch");
      assertBatchError(lib, refused, { kind: "invalid_argument" }, "resubmit of a running batch");
    },
  },
  {
    name: "resubmit of an expired batch sends the requests it never ran",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      const ids = ["e1", "e2", "e3", "e4"];
      const created = await c.submit(ids.map((id) => chatRequest(id)), { metadata: { outcome: "expire" } });
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 8_000 });
      assert.equal(done.status, "expired");
      const finished = [];
      for await (const r of c.results(done)) if (r.error === null) finished.push(r.custom_id);
      const retry = await c.resubmit(done, { metadata: { job: "after-expiry" } });
      const retried = await c.waitFor(retry.id, { pollInterval: 50, timeout: 8_000 });
      const rows = [];
      for await (const r of c.results(retried)) rows.push(r.custom_id);
      assert.deepEqual(rows.sort(), ids.filter((id) => !finished.includes(id)).sort(), "the unfinished ones, no more");
      assert.equal(retried.metadata.job, "after-expiry", "the caller's metadata wins");
    },
  },
  {
    name: "resubmit on Anthropic needs the requests (no input file) and then sends only the failed one",
    async run(lib, ctx) {
      const c = providerClient(lib, ctx, "anthropic");
      const p = PROVIDER_CASES.anthropic;
      const requests = [p.line("a1"), p.line("a2", { fail: true })];
      const created = await c.submit(requests);
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 8_000 });
      const err = await rejection(() => c.resubmit(done), "resubmit without requests");
      assertBatchError(lib, err, { kind: "invalid_argument" }, "resubmit without requests");
      assert.match(err.message, /requests/);
      const retry = await c.resubmit(done, { requests });
      const retried = await c.waitFor(retry.id, { pollInterval: 50, timeout: 8_000 });
      const rows = [];
      for await (const r of c.results(retried)) rows.push(r.custom_id);
      assert.deepEqual(rows, ["a2"]);
      const usage = await c.usage(done);
      assert.equal(usage.requests, 1, `Anthropic's usage comes from its messages: ${show(usage)}`);
      assert.ok(usage.total_tokens > 0);
    },
  },
  {
    name: "usage uses a batch's own usage where the provider sends it",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      const batch = await c.retrieve("batch_oai_003");
      assert.ok(batch.usage, "the fixture has usage");
      const usage = await c.usage(batch);
      assert.equal(usage.input_tokens, batch.usage.input_tokens);
      assert.equal(usage.total_tokens, batch.usage.total_tokens);
      assert.equal(usage.requests, batch.request_counts.completed);
    },
  },
  {
    name: "verifyWebhook: OpenAI's own vector, signatures made here, and every way a delivery can be wrong",
    async run(lib) {
      const vector = {
        secret: "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
        body: '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}',
        headers: {
          "webhook-id": "wh_685c059ae39c8190af8c71ed1022a24d",
          "webhook-timestamp": "1750861210",
          "webhook-signature": "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=",
        },
      };
      const event = lib.verifyWebhook(vector.body, vector.headers, vector.secret, { tolerance: Infinity });
      assert.equal(event.data.id, "resp_123", "the vector verifies (without the time check)");
      const stale = thrown(() => lib.verifyWebhook(vector.body, vector.headers, vector.secret), "a 2025 timestamp");
      assertBatchError(lib, stale, { kind: "invalid_signature" }, "a stale delivery");
      assertNoSecret(stale, ["RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24"], "a stale delivery");
      // Fresh deliveries, signed with this runtime's Web Crypto.
      const raw = crypto.getRandomValues(new Uint8Array(32));
      const secret = `whsec_${toBase64(raw)}`;
      const now = String(Math.floor(Date.now() / 1000));
      const body = JSON.stringify({ id: "evt_1", object: "event", type: "batch.completed", created_at: Number(now), data: { id: "batch_abc" } });
      const signature = await sign(raw, "wh_1", now, body);
      const headers = { "Webhook-Id": "wh_1", "webhook-timestamp": now, "webhook-signature": `v1,AAAA ${signature}` };
      const good = lib.verifyWebhook(body, headers, secret);
      assert.deepEqual(good, JSON.parse(body), "the event, as sent");
      assert.equal(lib.verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret).type, "batch.completed", "bytes and a Headers object");
      const plain = await sign(new TextEncoder().encode("plain-secret-123"), "wh_2", now, body);
      const plainHeaders = { "webhook-id": "wh_2", "webhook-timestamp": now, "webhook-signature": plain };
      assert.equal(lib.verifyWebhook(body, plainHeaders, "plain-secret-123").data.id, "batch_abc", "a raw secret");
      const wrong = [
        ["a tampered body", () => lib.verifyWebhook(body.replace("batch_abc", "batch_abd"), headers, secret)],
        ["another secret", () => lib.verifyWebhook(body, headers, `whsec_${toBase64(new Uint8Array(32))}`)],
        ["no signature header", () => lib.verifyWebhook(body, { "webhook-id": "wh_1", "webhook-timestamp": now }, secret)],
        ["a timestamp 10 minutes old", async () => lib.verifyWebhook(body, { "webhook-id": "wh_1", "webhook-timestamp": String(Number(now) - 600), "webhook-signature": await sign(raw, "wh_1", String(Number(now) - 600), body) }, secret)],
        ["a timestamp 10 minutes ahead", async () => lib.verifyWebhook(body, { "webhook-id": "wh_1", "webhook-timestamp": String(Number(now) + 600), "webhook-signature": await sign(raw, "wh_1", String(Number(now) + 600), body) }, secret)],
        ["a body that is no event", async () => lib.verifyWebhook("[1]", { ...headers, "webhook-signature": await sign(raw, "wh_1", now, "[1]") }, secret)],
      ];
      for (const [what, attempt] of wrong) {
        let err;
        try {
          await attempt();
        } catch (e) {
          err = e;
        }
        if (!err) fail(`${what}: verified`);
        assertBatchError(lib, err, { kind: "invalid_signature" }, what);
        assertNoSecret(err, [secret, secret.slice(6)], what);
      }
      const empty = thrown(() => lib.verifyWebhook(body, headers, ""), "an empty secret");
      assertBatchError(lib, empty, { kind: "invalid_argument" }, "an empty secret");
      const parsed = thrown(() => lib.verifyWebhook(JSON.parse(body), headers, secret), "a parsed body");
      assertBatchError(lib, parsed, { kind: "invalid_argument" }, "a parsed body");
    },
  },
];

// ---- scenarios -------------------------------------------------------------------------------

export const scenarios = [
  {
    name: "fidelity: generated answers through retrieve, list and results equal JSON.parse of the same bytes",
    async run(lib) {
      for (const seed of [20261202, 7, 1234567]) {
        const difference = await differential(lib, seed);
        if (difference) fail(difference);
      }
    },
  },
  {
    name: "token360 retrieve matches the expected fixture (dialect auto)",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).token360 });
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve('batch_01abc')");
    },
  },
  {
    name: "token360 retrieve matches the expected fixture (dialect token360)",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).token360, dialect: "token360" });
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve('batch_01abc')");
    },
  },
  {
    name: "ppinfra list matches the expected page (dialect auto)",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).ppinfra });
      assert.deepEqual(await c.list(), ctx.fixtures.ppinfraExpected, "list()");
    },
  },
  {
    name: "ppinfra list matches the expected page (dialect ppinfra)",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).ppinfra, dialect: "ppinfra" });
      assert.deepEqual(await c.list(), ctx.fixtures.ppinfraExpected, "list()");
    },
  },
  {
    name: "openai pagination: limit 2 and after=last_id walk all 25 batches in order",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai, dialect: "openai" });
      const first = await c.list({ limit: 2 });
      assert.equal(first.object, "list", "first page .object");
      assert.equal(first.data.length, 2, "first page .data.length");
      assert.equal(first.has_more, true, "first page .has_more");
      assert.equal(first.first_id, "batch_oai_000", "first page .first_id");
      assert.equal(first.last_id, "batch_oai_001", "first page .last_id");
      const ids = first.data.map((b) => b.id);
      let page = first;
      let pages = 1;
      while (page.has_more) {
        if (++pages > 30) fail(`more than 30 pages for 25 batches (ids so far: ${show(ids)})`);
        page = await c.list({ limit: 2, after: page.last_id });
        assert.ok(page.data.length > 0 && page.data.length <= 2, `page ${pages} has 1..2 batches`);
        for (const b of page.data) {
          assert.equal(b.object, "batch", `${b.id}.object`);
          ids.push(b.id);
        }
        assert.equal(page.last_id, page.data.at(-1).id, `page ${pages} .last_id`);
      }
      assert.equal(pages, 13, "number of pages");
      assert.deepEqual(ids, OAI_IDS, "ids collected across pages");
    },
  },
  {
    name: "404 is a typed api error and the same client then works",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).token360 });
      const err = await rejection(() => c.retrieve("batch_does_not_exist"), "retrieve(unknown id)");
      assertBatchError(lib, err, { kind: "api", status: 404, code: "not_found", requestId: /^req_\d+$/ }, "404");
      const ok = await c.retrieve("batch_01abc");
      assert.deepEqual(ok, ctx.fixtures.token360Expected, "retrieve after the 404");
    },
  },
  {
    name: "malformed JSON is invalid_response and the same client then works",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        defaultHeaders: { "x-mock-fault": fault("malformed_json", 1, "malformed") },
      });
      const err = await rejection(() => c.retrieve("batch_01abc"), "retrieve with malformed_json");
      assertBatchError(lib, err, { kind: "invalid_response" }, "malformed_json");
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve after the fault");
    },
  },
  {
    name: "HTML 502 from a proxy is an api error with a short message",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        maxRetries: 0,
        defaultHeaders: { "x-mock-fault": fault("html", 1, "html") },
      });
      const err = await rejection(() => c.retrieve("batch_oai_000"), "retrieve with html 502");
      assertBatchError(lib, err, { kind: "api", status: 502 }, "html 502");
      assert.ok(err.message.length <= 500, `message is at most 500 chars (${err.message.length}: ${show(err.message)})`);
      assert.ok(
        !(err.message.includes("<head>") && err.message.includes("</html>")),
        `message is not the raw HTML page (${show(err.message)})`,
      );
    },
  },
  {
    name: "an error body with HTTP 200 is an api error (code batch_expired)",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        defaultHeaders: { "x-mock-fault": fault("error_body_200", 1, "err200") },
      });
      const err = await rejection(() => c.retrieve("batch_oai_003"), "retrieve with error_body_200");
      assertBatchError(lib, err, { kind: "api", code: "batch_expired" }, "error_body_200");
    },
  },
  {
    name: "invalid ids reject with invalid_argument and send nothing",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, { baseURL: urls(ctx).openai, fetch: rec.fetch });
      for (const id of ["", "   ", undefined, 42, ".", "..", "a\nb"]) {
        const what = `retrieve(${show(id)})`;
        const err = await rejection(() => c.retrieve(id), what);
        assertBatchError(lib, err, { kind: "invalid_argument", status: null }, what);
      }
      assert.equal(rec.calls.length, 0, `fetch calls (${show(rec.calls.map((x) => x.url))})`);
    },
  },
  {
    name: "ids are percent-encoded into the path",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const base = urls(ctx).openai;
      const c = client(lib, { baseURL: base, fetch: rec.fetch, maxRetries: 0 });
      try {
        await c.retrieve("batch a/b?c#d");
      } catch (err) {
        // The mock has no such batch; only the request matters here.
        assertBatchError(lib, err, { kind: "api", status: 404 }, "retrieve('batch a/b?c#d')");
      }
      assert.equal(rec.calls.length, 1, "fetch calls");
      assert.equal(rec.calls[0].url, `${base}/batches/batch%20a%2Fb%3Fc%23d`, "requested URL");
      assert.equal(rec.calls[0].method, "GET", "method");
    },
  },
  {
    name: "bad options throw invalid_argument synchronously",
    async run(lib, ctx) {
      const base = urls(ctx).openai;
      const cases = [
        ["missing apiKey", { baseURL: base }],
        ["empty options", {}],
        ["bad dialect", { apiKey: "x", baseURL: base, dialect: "klingon" }],
        ["bad baseURL", { apiKey: "x", baseURL: "not a url" }],
        ["negative timeout", { apiKey: "x", baseURL: base, timeout: -1 }],
      ];
      for (const [what, options] of cases) {
        const err = thrown(() => new lib.BatchClient(options), `new BatchClient(${what})`);
        assertBatchError(lib, err, { kind: "invalid_argument", status: null }, `new BatchClient(${what})`);
      }
      // And the good ones do not throw.
      for (const dialect of ["auto", "openai", "ppinfra", "token360"]) {
        new lib.BatchClient({ apiKey: "x", baseURL: base, dialect });
      }
    },
  },
  {
    name: "bad list parameters reject with invalid_argument and send nothing",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, { baseURL: urls(ctx).openai, fetch: rec.fetch });
      const cases = [[{ limit: "x" }, /`limit`.*"x"/], [{ limit: -1 }, /`limit`/], [{ limit: 2.5 }, /`limit`/], [{ limit: 2 ** 53 }, /`limit`/], [{ after: 5 }, /`after`.*number 5/], [{ after: {} }, /`after`.*object/]];
      for (const [params, message] of cases) {
        const err = await rejection(() => c.list(params), `list(${show(params)})`);
        assertBatchError(lib, err, { kind: "invalid_argument", message }, `list(${show(params)})`);
      }
      assert.equal(rec.calls.length, 0, "requests sent");
      assert.equal((await c.list({ limit: 3, after: null })).data.length, 3, "a good call still works");
    },
  },
  {
    name: "isTerminal table",
    async run(lib) {
      for (const s of TERMINAL) {
        assert.equal(lib.isTerminal(s), true, `isTerminal(${show(s)})`);
        assert.equal(lib.isTerminal({ id: "b", object: "batch", status: s }), true, `isTerminal({status: ${show(s)}})`);
      }
      for (const s of [...NON_TERMINAL, "weird", "", "PROGRESS_UNKNOWN"]) {
        assert.equal(lib.isTerminal(s), false, `isTerminal(${show(s)})`);
        assert.equal(lib.isTerminal({ id: "b", object: "batch", status: s }), false, `isTerminal({status: ${show(s)}})`);
      }
      for (const v of [null, undefined, 42, {}, []]) {
        assert.equal(lib.isTerminal(v), false, `isTerminal(${show(v)})`);
      }
    },
  },
  {
    name: "retry: 500 twice then success with maxRetries 2 (3 calls)",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        maxRetries: 2,
        fetch: rec.fetch,
        defaultHeaders: { "x-mock-fault": fault("status=500", 2, "r500") },
      });
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve after two 500s");
      assert.equal(rec.calls.length, 3, "fetch calls");
    },
  },
  {
    name: "retry: 500 with maxRetries 0 fails after one call",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        maxRetries: 0,
        fetch: rec.fetch,
        defaultHeaders: { "x-mock-fault": fault("status=500", 1, "r500z") },
      });
      const err = await rejection(() => c.retrieve("batch_01abc"), "retrieve with one 500");
      assertBatchError(lib, err, { kind: "api", status: 500, requestId: /^req_\d+$/ }, "500");
      assert.equal(rec.calls.length, 1, "fetch calls");
    },
  },
  {
    name: "retry: 400 is not retried",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        fetch: rec.fetch,
        defaultHeaders: { "x-mock-fault": fault("status=400", 1, "r400") },
      });
      const err = await rejection(() => c.retrieve("batch_01abc"), "retrieve with one 400");
      assertBatchError(lib, err, { kind: "api", status: 400 }, "400");
      assert.equal(rec.calls.length, 1, "fetch calls");
    },
  },
  {
    name: "retry: 429 is retried",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        fetch: rec.fetch,
        defaultHeaders: { "x-mock-fault": fault("status=429", 1, "r429") },
      });
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve after one 429");
      assert.equal(rec.calls.length, 2, "fetch calls");
    },
  },
  {
    name: "timeout: a hanging server gives kind timeout",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        timeout: 300,
        maxRetries: 0,
        defaultHeaders: { "x-mock-fault": fault("hang", 1, "hang") },
      });
      const t0 = Date.now();
      const err = await rejection(() => c.retrieve("batch_oai_000"), "retrieve on a hang", 8_000);
      const ms = Date.now() - t0;
      assertBatchError(lib, err, { kind: "timeout", status: null }, "hang with timeout 300");
      assert.below(ms, 5_000, "ms until the timeout error");
    },
  },
  {
    name: "abort: aborting during a hanging request gives kind aborted",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        defaultHeaders: { "x-mock-fault": fault("hang", 1, "abort") },
      });
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), 50);
      const err = await rejection(() => c.retrieve("batch_oai_000", { signal: ac.signal }), "retrieve, aborted", 8_000);
      const ms = Date.now() - t0;
      assertBatchError(lib, err, { kind: "aborted", status: null }, "aborted after 50 ms");
      assert.below(ms, 2_000, "ms until the aborted error");
    },
  },
  {
    name: "abort: an already-aborted signal sends nothing",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const c = client(lib, { baseURL: urls(ctx).openai, fetch: rec.fetch });
      const ac = new AbortController();
      ac.abort();
      const err = await rejection(() => c.retrieve("batch_oai_000", { signal: ac.signal }), "retrieve, pre-aborted");
      assertBatchError(lib, err, { kind: "aborted" }, "pre-aborted retrieve");
      const err2 = await rejection(() => c.list({ limit: 2 }, { signal: ac.signal }), "list, pre-aborted");
      assertBatchError(lib, err2, { kind: "aborted" }, "pre-aborted list");
      assert.equal(rec.calls.length, 0, "fetch calls");
    },
  },
  {
    name: "connection: nothing listening gives kind connection",
    async run(lib) {
      const c = new lib.BatchClient({ apiKey: API_KEY, baseURL: "http://127.0.0.1:9/v1", maxRetries: 0 });
      const err = await rejection(() => c.retrieve("batch_01abc"), "retrieve from 127.0.0.1:9");
      assertBatchError(lib, err, { kind: "connection", status: null }, "connection refused");
    },
  },
  {
    name: "connection: a dropped socket gives kind connection",
    async run(lib, ctx) {
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        maxRetries: 0,
        // Every request is dropped, not just the first: a browser's network stack transparently
        // resends a request whose reused keep-alive socket closed before any answer.
        defaultHeaders: { "x-mock-fault": `drop;key=drop-${randomSuffix()}` },
      });
      const err = await rejection(() => c.retrieve("batch_oai_000"), "retrieve on a dropped socket");
      assertBatchError(lib, err, { kind: "connection", status: null }, "drop");
    },
  },
  {
    name: "key secrecy: the API key appears in no error",
    async run(lib, ctx) {
      const tail = randomSuffix();
      const apiKey = `sk-test-SECRET-${tail}`;
      const secrets = [apiKey, `SECRET-${tail}`, tail];
      const u = urls(ctx);
      const check = async (what, options, call, kind) => {
        const c = new lib.BatchClient({ apiKey, maxRetries: 0, ...options });
        const err = await rejection(() => call(c), what, 8_000);
        assertBatchError(lib, err, { kind }, what);
        assertNoSecret(err, secrets, what);
        return err;
      };
      const echoed = await check(
        "echo_auth 400",
        { baseURL: u.openai, defaultHeaders: { "x-mock-fault": fault("echo_auth", 1, "echo") } },
        (c) => c.retrieve("batch_oai_000"),
        "api",
      );
      assert.equal(echoed.status, 400, "echo_auth status");
      await check("connection", { baseURL: "http://127.0.0.1:9/v1" }, (c) => c.retrieve("batch_01abc"), "connection");
      await check(
        "timeout",
        { baseURL: u.openai, timeout: 200, defaultHeaders: { "x-mock-fault": fault("hang", 1, "hangkey") } },
        (c) => c.retrieve("batch_oai_000"),
        "timeout",
      );
      await check("invalid id", { baseURL: u.openai }, (c) => c.retrieve(""), "invalid_argument");
      for (const [what, options] of [
        ["bad baseURL", { apiKey, baseURL: "not a url" }],
        ["bad dialect", { apiKey, baseURL: u.openai, dialect: "klingon" }],
        ["negative timeout", { apiKey, baseURL: u.openai, timeout: -1 }],
      ]) {
        const err = thrown(() => new lib.BatchClient(options), `new BatchClient(${what})`);
        assertBatchError(lib, err, { kind: "invalid_argument" }, `new BatchClient(${what})`);
        assertNoSecret(err, secrets, `new BatchClient(${what})`);
      }
      // A client itself must not show the key to console.log / JSON either.
      const c = new lib.BatchClient({ apiKey, baseURL: u.openai });
      for (const [label, text] of [
        ["JSON.stringify(client)", JSON.stringify(c) ?? ""],
        ["String(client)", String(c)],
        ["Object.keys(client)", Object.keys(c).map((k) => `${k}=${show(c[k], 10_000)}`).join(" ")],
      ]) {
        for (const s of secrets) assert.ok(!text.includes(s), `${label} does not contain the key`);
      }
    },
  },
  {
    name: "wrong types: typed invalid_response or a sane Batch, and the client keeps working",
    async run(lib, ctx) {
      // One client per call, each faulting once and never retrying, so each call sees the fault.
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        maxRetries: 0,
        defaultHeaders: { "x-mock-fault": fault("wrong_types", 1, "wrong1") },
      });
      const c2 = client(lib, {
        baseURL: urls(ctx).token360,
        maxRetries: 0,
        defaultHeaders: { "x-mock-fault": fault("wrong_types", 1, "wrong2") },
      });
      const checkBatch = (b, what) => {
        assert.ok(b !== null && typeof b === "object" && !Array.isArray(b), `${what} is an object`);
        assert.equal(b.status, 42, `${what}.status (kept as sent)`);
        const rc = b.request_counts;
        assert.ok(rc !== null && typeof rc === "object", `${what}.request_counts is an object: ${show(rc)}`);
        for (const k of ["total", "completed", "failed"]) {
          assert.ok(typeof rc[k] === "number" && Number.isFinite(rc[k]), `${what}.request_counts.${k} is a number: ${show(rc)}`);
        }
        assert.equal(b.created_at, null, `${what}.created_at`);
        assert.ok(b.metadata === null || isPlainObject(b.metadata), `${what}.metadata is null or a plain object: ${show(b.metadata)}`);
      };
      const settle = async (what, call) => {
        try {
          return { value: await call() };
        } catch (err) {
          assertBatchError(lib, err, { kind: "invalid_response" }, what);
          return { error: err };
        }
      };
      const one = await settle("retrieve with wrong_types", () => c.retrieve("batch_01abc"));
      if ("value" in one) checkBatch(one.value, "retrieve(...)");
      const page = await settle("list with wrong_types", () => c2.list());
      if ("value" in page) {
        assert.equal(page.value.object, "list", "page.object");
        assert.ok(Array.isArray(page.value.data) && page.value.data.length === 1, `page.data has one batch: ${show(page.value.data)}`);
        checkBatch(page.value.data[0], "page.data[0]");
      }
      assert.deepEqual(await c.retrieve("batch_01abc"), ctx.fixtures.token360Expected, "retrieve after the fault");
      const after = await c2.list({ limit: 1 });
      assert.equal(after.data.length, 1, "list after the fault: data.length");
    },
  },
  {
    name: "defaultHeaders are sent with every request",
    async run(lib, ctx) {
      const rec = recordingFetch();
      const marker = `hello-${randomSuffix()}`;
      const c = client(lib, {
        baseURL: urls(ctx).token360,
        fetch: rec.fetch,
        defaultHeaders: { "X-Test-Header": marker, "x-other": "2" },
      });
      await c.retrieve("batch_01abc");
      await c.list({ limit: 1 });
      assert.equal(rec.calls.length, 2, "fetch calls");
      for (const [i, call] of rec.calls.entries()) {
        assert.equal(call.headers["x-test-header"], marker, `call ${i} x-test-header`);
        assert.equal(call.headers["x-other"], "2", `call ${i} x-other`);
        assert.match(call.headers.authorization, /^Bearer x$/, `call ${i} authorization`);
      }
    },
  },
  // ---- hardening: arguments and secrets ------------------------------------------------------------
  {
    name: "argument errors are BatchErrors: watch(5), watch('x'), list(7), a key beyond Latin-1, a password in baseURL",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      for (const [what, call] of [
        ["watch(5)", () => c.watch(5)],
        ["watch('x')", () => c.watch("x")],
        ["list(7)", () => c.list(7)],
        ["retrieve('b', 5)", () => c.retrieve("batch_oai_000", 5)],
      ]) {
        const err = await rejection(call, what);
        assertBatchError(lib, err, { kind: "invalid_argument" }, what);
      }
      const key = thrown(() => new lib.BatchClient({ apiKey: "sk-ключ" }), "a key beyond U+00FF");
      assertBatchError(lib, key, { kind: "invalid_argument" }, "a key beyond U+00FF");
      const password = thrown(() => new lib.BatchClient({ apiKey: "x", baseURL: "https://user:hunter2-secret@example.com/v1" }), "a password in baseURL");
      assertBatchError(lib, password, { kind: "invalid_argument" }, "a password in baseURL");
      assertNoSecret(password, ["hunter2-secret"], "a password in baseURL");
      // null options are no options.
      assert.equal((await c.list(null)).object, "list", "list(null)");
      assert.equal((await c.retrieve("batch_oai_000", null)).id, "batch_oai_000", "retrieve(id, null)");
    },
  },
  {
    name: "a secret in defaultHeaders that the provider echoes is redacted",
    async run(lib, ctx) {
      const secret = `azure-key-${randomSuffix()}`;
      const c = client(lib, {
        baseURL: urls(ctx).openai,
        maxRetries: 0,
        defaultHeaders: { authorization: "Bearer x", "api-key": secret, "x-mock-fault": fault("echo_auth;header=api-key", 1, "echo-header") },
      });
      const err = await rejection(() => c.retrieve("batch_oai_000"), "retrieve with the api-key echoed");
      assertBatchError(lib, err, { kind: "api", status: 400 }, "echoed api-key");
      assertNoSecret(err, [secret], "echoed api-key");
      assert.match(err.message, /\[redacted\]/, "the echo is marked");
    },
  },
  {
    name: "listAll follows a provider cursor longer than 512 bytes or ending in a blank",
    async run(lib) {
      const cursors = [`${"c".repeat(900)}`, "cursor with a trailing blank "];
      const seen = [];
      const fetchFn = async (url) => {
        seen.push(new URL(url).searchParams.get("after"));
        const n = seen.length;
        const last = n <= cursors.length ? cursors[n - 1] : "end";
        const body = { object: "list", data: [{ id: last, status: "completed" }], last_id: last, has_more: n <= cursors.length };
        return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
      };
      const c = new lib.BatchClient({ apiKey: "x", fetch: fetchFn });
      const ids = [];
      for await (const b of c.listAll()) ids.push(b.id);
      assert.equal(ids.length, 3, "three pages");
      assert.deepEqual(seen, [null, ...cursors], "each cursor sent as the provider gave it");
    },
  },
  {
    name: "validateRequests: body.model is optional where the endpoint makes it so",
    async run(lib) {
      for (const url of ["/v1/moderations", "/v1/images/generations", "/v1/responses"]) {
        const report = lib.validateRequests([{ custom_id: "a", method: "POST", url, body: { input: "x" } }]);
        assert.equal(report.ok, true, `${url}: ${show(report.errors)}`);
      }
      const chat = lib.validateRequests([{ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { messages: [] } }]);
      assert.equal(chat.ok, false, "chat completions still need a model");
    },
  },
  {
    name: "validateRequests: past 1,000 problems, errors says how many more and problems counts them all",
    async run(lib) {
      const good = lib.validateRequests([{ custom_id: "a", method: "POST", url: "/v1/embeddings", body: { model: "m", input: "x" } }]);
      assert.equal(good.problems, 0);
      const report = lib.validateRequests("not json\n".repeat(1003));
      assert.equal(report.ok, false);
      assert.equal(report.count, 1003);
      assert.equal(report.problems, 1003);
      assert.equal(report.errors.length, 1001);
      assert.deepEqual(report.errors.at(-1), { line: null, message: "3 more problems not listed" });
      assert.equal(report.errors[999].line, 1000);
    },
  },
  // ---- the lifecycle: upload, create, waitFor, results (the mock moves a batch one status a step) ----
  ...["openai", "ppinfra"].map((dialect) => ({
    name: `lifecycle (${dialect}): uploadFile → create → waitFor → results, in order`,
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx)[dialect] });
      const ids = ["a", "b", "c"];
      const jsonl = lib.toJsonl(ids.map((id) => chatRequest(id, id === "b" ? { fail: true } : {})));
      const file = await c.uploadFile(jsonl, { filename: "in.jsonl" });
      assert.equal(file.purpose, "batch", "uploaded file purpose");
      const created = await c.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
      assert.equal(created.status, "validating", "status right after create");
      const seen = [];
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 8_000, onProgress: (b) => seen.push(b.status) });
      assert.equal(done.status, "completed", "final status");
      assert.ok(lib.isTerminal(done), "isTerminal(final)");
      assert.ok(seen.every((st) => TERMINAL.includes(st) || NON_TERMINAL.includes(st)), `normalised statuses: ${show(seen)}`);
      assert.equal(seen.at(-1), "completed", "the last progress call");
      assert.deepEqual(done.request_counts, { total: 3, completed: 2, failed: 1 }, "request_counts");
      const rows = [];
      for await (const r of c.results(done)) rows.push(r);
      assert.deepEqual(rows.map((r) => [r.source, r.custom_id]), [["output", "a"], ["output", "c"], ["error", "b"]], "rows");
      assert.match(rows[0].response.body.choices[0].message.content, /Mock answer to a/, "answer text");
      assert.equal(rows[0].error, null, "a good row has no error");
      assert.equal(rows[2].response.status_code, 400, "the failed row's status");
      assert.equal(rows[2].error?.code, "invalid_request_error", "the failed row's error code");
      const byId = [];
      for await (const r of c.results(done.id)) byId.push(r.custom_id);
      assert.deepEqual(byId, ["a", "c", "b"], "results by id");
    },
  })),
  {
    name: "results: 20,000 generated lines stream through with line numbers, errors and broken lines",
    async run(lib, ctx) {
      const id = `file-gen-${randomSuffix()}`;
      const made = await fetch(`${ctx.mockUrl}/__mock/files`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dialect: "openai", id, lines: 20_000, errorEvery: 100, malformedEvery: 1_000 }),
      });
      assert.equal(made.status, 201, "mock file registered");
      const c = client(lib, { baseURL: urls(ctx).openai });
      let count = 0;
      let failed = 0;
      let broken = 0;
      for await (const r of c.results({ output_file_id: id })) {
        count += 1;
        if (r.line !== count) fail(`line ${r.line} where ${count} was due`);
        if (r.error?.code === "invalid_line") broken += 1;
        else if (r.error) failed += 1;
        else if (r.custom_id !== `req-${count}`) fail(`line ${count}: custom_id ${show(r.custom_id)}`);
      }
      assert.equal(count, 20_000, "rows");
      assert.equal(broken, 20, "malformed lines (every 1000th)");
      assert.equal(failed, 200 - 20, "error lines (every 100th, malformed ones excepted)");
    },
  },
  {
    name: "results: breaking out of the loop and aborting both end the download",
    async run(lib, ctx) {
      const id = `file-gen-${randomSuffix()}`;
      await fetch(`${ctx.mockUrl}/__mock/files`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dialect: "openai", id, lines: 50_000 }),
      });
      const c = client(lib, { baseURL: urls(ctx).openai });
      let n = 0;
      for await (const r of c.results({ output_file_id: id })) {
        n = r.line;
        if (n === 10) break;
      }
      assert.equal(n, 10, "rows before the break");
      const controller = new AbortController();
      const err = await rejection(async () => {
        for await (const r of c.results({ output_file_id: id }, { signal: controller.signal })) {
          if (r.line === 5) controller.abort();
        }
      }, "results after abort");
      assertBatchError(lib, err, { kind: "aborted" }, "results after abort");
    },
  },
  {
    name: "uploadFile sends the spec's expires_after; a malformed one sends nothing",
    async run(lib, ctx) {
      const recorder = recordingFetch();
      const c = client(lib, { baseURL: urls(ctx).openai, fetch: recorder.fetch });
      const jsonl = lib.toJsonl([chatRequest("e1")]);
      const file = await c.uploadFile(jsonl, { expires_after: { anchor: "created_at", seconds: 86400 } });
      assert.equal(file.expires_at, file.created_at + 86400, `expires_at of ${show(file)}`);
      const plain = await c.uploadFile(jsonl);
      assert.equal(plain.expires_at, null, "no expiry asked, none set");
      // The provider's range check is the provider's: its 400 comes back as an api error.
      const short = await rejection(() => c.uploadFile(jsonl, { expires_after: { anchor: "created_at", seconds: 60 } }), "60 s");
      assertBatchError(lib, short, { kind: "api", status: 400 }, "expires_after of 60 s");
      const sent = recorder.calls.length;
      for (const bad of [5, { anchor: "created_at" }, { anchor: "", seconds: 3600 }, { anchor: "created_at", seconds: 1.5 }, { anchor: "created_at", seconds: -1 }, [1]]) {
        const err = await rejection(() => c.uploadFile(jsonl, { expires_after: bad }), `expires_after ${show(bad)}`);
        assertBatchError(lib, err, { kind: "invalid_argument" }, `expires_after ${show(bad)}`);
        assert.match(err.message, /expires_after/, "the message names the option");
      }
      assert.equal(recorder.calls.length, sent, "a malformed expires_after sends nothing");
    },
  },
  {
    name: "waitFor: an expired batch ends it; results then carry the unfinished requests from the error file",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      const file = await c.uploadFile(lib.toJsonl(["x", "y", "z", "w"].map((id) => chatRequest(id))));
      const created = await c.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { outcome: "expire" } });
      const done = await c.waitFor(created.id, { pollInterval: 50, timeout: 8_000 });
      assert.equal(done.status, "expired", "final status");
      const rows = [];
      for await (const r of c.results(done)) rows.push(r);
      assert.equal(rows.length, 4, "every request accounted for");
      const expired = rows.filter((r) => r.source === "error");
      assert.ok(expired.length >= 1, "some requests expired");
      assert.ok(expired.every((r) => r.error?.code === "batch_expired" && r.response === null), `error rows: ${show(expired)}`);
    },
  },
  {
    name: "waitFor: timeout and abort end it with their kinds, promptly",
    async run(lib, ctx) {
      const c = client(lib, { baseURL: urls(ctx).openai });
      // batch_oai_001 is in_progress for good (a fixture): waitFor can only stop by timeout or abort.
      let t0 = Date.now();
      const late = await rejection(() => c.waitFor("batch_oai_001", { pollInterval: 40, timeout: 300 }), "waitFor with timeout");
      assertBatchError(lib, late, { kind: "timeout" }, "waitFor with timeout");
      assert.below(Date.now() - t0, 2_000, "ms a 300 ms waitFor took");
      const controller = new AbortController();
      t0 = Date.now();
      setTimeout(() => controller.abort(), 150);
      const stopped = await rejection(() => c.waitFor("batch_oai_001", { pollInterval: 60_000, signal: controller.signal }), "aborted waitFor");
      assertBatchError(lib, stopped, { kind: "aborted" }, "aborted waitFor");
      assert.below(Date.now() - t0, 2_000, "ms until the abort ended a 60 s sleep");
    },
  },
  ...providerScenarios,
  ...jobScenarios,
];

/** Runs one scenario with a time limit; resolves to `{ name, ok, error, ms }`, never rejects. */
export async function runScenario(scenario, lib, ctx, timeoutMs = SCENARIO_TIMEOUT_MS) {
  const t0 = Date.now();
  let timer;
  try {
    await Promise.race([
      Promise.resolve().then(() => scenario.run(lib, ctx)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new AssertionError(`scenario did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name: scenario.name, ok: true, error: null, ms: Date.now() - t0 };
  } catch (err) {
    const message = err instanceof AssertionError ? err.message : `unexpected ${describeError(err)}\n${err?.stack ?? ""}`;
    return { name: scenario.name, ok: false, error: message, ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every scenario, one after another, and resolves to their results in order. */
export async function runAll(lib, ctx, { timeoutMs = SCENARIO_TIMEOUT_MS, deadlineMs = RUN_ALL_DEADLINE_MS } = {}) {
  const results = [];
  const t0 = Date.now();
  for (const scenario of scenarios) {
    if (Date.now() - t0 > deadlineMs) {
      results.push({ name: scenario.name, ok: false, error: `not run: runAll passed its ${deadlineMs} ms deadline`, ms: 0 });
      continue;
    }
    results.push(await runScenario(scenario, lib, ctx, timeoutMs));
  }
  return results;
}

// Kept exported for runtime-specific suites that want the same checks.
export { rejection, thrown, assertBatchError, recordingFetch, sleep };
