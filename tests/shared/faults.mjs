// The fault matrix (issue 4): one table of server faults, each run against the built package in
// Node (tests/node/faults.test.mjs), in workerd (tests/workerd/faults.test.mjs) and in headless
// Chromium (tests/browser/faults.test.mjs), and rendered into README.md's "Reliability" table by
// scripts/fault-table.mjs from what those runs wrote to target/fault-matrix/<runtime>.json.
//
// A row is plain data: the fault (a mock provider spec, armed as a rule on one route, see
// tests/mock-provider/README.md), the call that meets it, the client's options and what must come
// of it. Every row is run in three steps, split so that only the middle one happens inside the
// runtime under test:
//
//   const params = prepareRow(mock, row, { apiKey: newApiKey() }); // Node: fresh mock, files, fault armed
//   const seen = await runFaultRow(lib, row, params);  // the runtime under test: the call, observed as JSON
//   const verdict = judgeRow(row, runtime, seen, wireOf(mock, params), { apiKey }); // Node: every assertion
//
// `runFaultRow` needs nothing but fetch, AbortController, timers and `console`, like
// tests/shared/scenarios.mjs, so the same file is bundled into the Worker and loaded by the page.
// The mock of a fault run answers with `Connection: close` (startMock({ keepAlive: false })): a
// browser otherwise resends by itself a request whose *reused* keep-alive socket closed before any
// answer, which would make the server's request counts depend on connection reuse rather than on
// the library (see the note in tests/browser/faults.test.mjs).

import { errorViews, show } from "./scenarios.mjs";

/** The three runtimes, in the order of the README's columns. */
export const RUNTIMES = ["node", "workerd", "chromium"];

/**
 * How the harness starts the mock for a fault run: `Connection: close` on every answer (see above),
 * and a slow batch clock, so a cancelled batch stays `cancelling` for longer than any retry takes,
 * as real ones do for minutes.
 */
export const FAULT_MOCK_OPTIONS = { keepAlive: false, stepMs: 60_000 };

/** Longest one row may take in any runtime before it is reported as hung. */
export const ROW_TIMEOUT_MS = 20_000;

const BATCH = "batch_oai_000"; // validating: a plain fixture batch of the openai dialect
const CANCELLABLE = "batch_oai_001"; // in_progress
const DONE = "batch_oai_003"; // completed
const ENDPOINT = "/v1/chat/completions";

/** Result lines served for `results` rows: enough bytes that half a body cuts through the middle. */
export const RESULT_LINES = 24;

/** Fast defaults, so that a retry costs milliseconds and a hang a fraction of a second. */
const FAST = { maxRetries: 2, timeout: 2_000 };

const once = 1;
const always = undefined;

/** Rounds of list pages a create looks through after a failure that leaves its batch possible. */
const LOOKUPS = 3;

const retrieveRule = (fault, times) => ({ method: "GET", path: `/batches/${BATCH}`, fault, times });
const createRule = (fault, times) => ({ method: "POST", path: "/batches", fault, times });
const r = (n) => ({ [`GET /batches/${BATCH}`]: n });

/**
 * `id` (stable, used in result files), `fault` (README wording), `call`, `rule` (the mock fault:
 * `{ method, path, fault, times }`, times undefined = always), `client` (options besides apiKey and
 * baseURL), `expect`:
 *   outcome    "recovered" (the call resolved with the right value) or a BatchError kind
 *   status, code, messageMax   further BatchError fields, when an error is expected
 *   requests   what the mock saw, per "METHOD /path after the prefix"
 *   batches    (create) batches the server holds for the row's input file afterwards
 *   minMs, maxMs   bounds on the call's duration (a retry delay honoured, a timeout that fired)
 * `also` arms more rules (on other routes) for the same row.
 * `args` are extra options of the call (`waitFor`'s `timeout`).
 * `by` overrides `expect` for one runtime, only where its network stack genuinely differs. No row
 *   needs one today: against a server that closes every connection, Node (undici), workerd and
 *   Chromium turn each of these faults into the same outcome and the same requests (a dropped
 *   connection, before the headers or in the body, is `connection` in all three). With keep-alive,
 *   Chromium alone differs: see FAULT_MOCK_OPTIONS.
 * `todo` marks a known library bug (the row still runs and reports, but cannot fail the suite).
 */
export const FAULT_ROWS = [
  // ---- retry delays the server asks for ---------------------------------------------------------
  {
    id: "429-retry-after-seconds",
    fault: "429 with `Retry-After: 1` (seconds)",
    call: "retrieve",
    rule: retrieveRule("status=429;retry_after_ms=none;retry_after=1", once),
    client: FAST,
    // 1 s is longer than our own first backoff (375–500 ms): waiting that long proves the header was read.
    expect: { outcome: "recovered", requests: r(2), minMs: 950 },
  },
  {
    id: "429-retry-after-date",
    fault: "429 with `Retry-After: <HTTP date>` 2 s ahead",
    call: "retrieve",
    rule: retrieveRule("status=429;retry_after_ms=none;retry_after_date=2", once),
    client: FAST,
    // The date has whole seconds, so the wait is between 1 and 2 s.
    expect: { outcome: "recovered", requests: r(2), minMs: 900 },
  },
  {
    id: "429-retry-after-ms",
    fault: "429 with `retry-after-ms: 700`",
    call: "retrieve",
    rule: retrieveRule("status=429;retry_after_ms=700;retry_after=30", once),
    client: FAST,
    // retry-after-ms wins over Retry-After (30 s would overrun the row).
    expect: { outcome: "recovered", requests: r(2), minMs: 680, maxMs: 10_000 },
  },
  {
    id: "429-retry-after-absurd",
    fault: "429 with `Retry-After: 3600`",
    call: "retrieve",
    rule: retrieveRule("status=429;retry_after_ms=none;retry_after=3600", once),
    client: FAST,
    // More than 60 s is not believed: our own backoff (375–500 ms) instead of an hour.
    expect: { outcome: "recovered", requests: r(2), maxMs: 5_000 },
  },
  {
    id: "429-exhausted",
    fault: "429",
    call: "retrieve",
    rule: retrieveRule("status=429", always),
    client: FAST,
    expect: { outcome: "api", status: 429, code: "rate_limit_exceeded", requests: r(3) },
  },
  // ---- server errors ------------------------------------------------------------------------------
  {
    id: "500-once",
    fault: "500",
    call: "retrieve",
    rule: retrieveRule("status=500", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "500-exhausted",
    fault: "500",
    call: "retrieve",
    rule: retrieveRule("status=500", always),
    client: FAST,
    expect: { outcome: "api", status: 500, code: "server_error", requests: r(3) },
  },
  {
    id: "500-twice",
    fault: "500",
    call: "retrieve",
    rule: retrieveRule("status=500", 2),
    client: FAST,
    expect: { outcome: "recovered", requests: r(3) },
  },
  {
    id: "408-once",
    fault: "408",
    call: "retrieve",
    rule: retrieveRule("status=408", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "409-once",
    fault: "409",
    call: "retrieve",
    rule: retrieveRule("status=409", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "502-html-once",
    fault: "502 HTML page from a proxy",
    call: "retrieve",
    rule: retrieveRule("html", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "502-html-exhausted",
    fault: "502 HTML page from a proxy",
    call: "retrieve",
    rule: retrieveRule("html", always),
    client: { ...FAST, maxRetries: 1 },
    expect: { outcome: "api", status: 502, messageMax: 501, requests: r(2) },
  },
  {
    id: "503-once",
    fault: "503",
    call: "retrieve",
    rule: retrieveRule("status=503", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "503-should-retry-false",
    fault: "503 with `x-should-retry: false`",
    call: "retrieve",
    rule: retrieveRule("status=503;should_retry=false", always),
    client: FAST,
    expect: { outcome: "api", status: 503, requests: r(1) },
  },
  {
    id: "504-once",
    fault: "504",
    call: "retrieve",
    rule: retrieveRule("status=504", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "504-exhausted",
    fault: "504",
    call: "retrieve",
    rule: retrieveRule("status=504", always),
    client: FAST,
    expect: { outcome: "api", status: 504, requests: r(3) },
  },
  {
    id: "400-should-retry-true",
    fault: "400 with `x-should-retry: true`",
    call: "retrieve",
    rule: retrieveRule("status=400;should_retry=true", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "400-not-retried",
    fault: "400",
    call: "retrieve",
    rule: retrieveRule("status=400", always),
    client: FAST,
    expect: { outcome: "api", status: 400, code: "invalid_request", requests: r(1) },
  },
  // ---- the connection ---------------------------------------------------------------------------
  {
    id: "drop-before-headers-once",
    fault: "connection dropped before any header",
    call: "retrieve",
    rule: retrieveRule("drop", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "drop-before-headers-exhausted",
    fault: "connection dropped before any header",
    call: "retrieve",
    rule: retrieveRule("drop", always),
    client: { ...FAST, maxRetries: 1 },
    expect: { outcome: "connection", requests: r(2) },
  },
  {
    id: "drop-mid-body-once",
    fault: "connection dropped halfway through the body",
    call: "retrieve",
    rule: retrieveRule("drop_mid_body", once),
    client: FAST,
    expect: { outcome: "recovered", requests: r(2) },
  },
  {
    id: "drop-mid-body-exhausted",
    fault: "connection dropped halfway through the body",
    call: "retrieve",
    rule: retrieveRule("drop_mid_body", always),
    client: { ...FAST, maxRetries: 1 },
    expect: { outcome: "connection", status: 200, requests: r(2) },
  },
  {
    id: "hang-once",
    fault: "no answer at all (hang)",
    call: "retrieve",
    rule: retrieveRule("hang", once),
    client: { ...FAST, timeout: 300 },
    expect: { outcome: "recovered", requests: r(2), minMs: 290 },
  },
  {
    id: "hang-exhausted",
    fault: "no answer at all (hang)",
    call: "retrieve",
    rule: retrieveRule("hang", always),
    client: { ...FAST, timeout: 300, maxRetries: 1 },
    // Two attempts of 300 ms and one backoff of at most 500 ms.
    expect: { outcome: "timeout", status: null, requests: r(2), minMs: 590, maxMs: 5_000 },
  },
  {
    id: "slow-drip",
    fault: "body trickles in (64 bytes every 20 ms), within the timeout",
    call: "retrieve",
    rule: retrieveRule("slow;bytes=64;every=20", always),
    client: FAST,
    expect: { outcome: "recovered", requests: r(1), minMs: 100 },
  },
  {
    id: "slow-stall",
    fault: "body stalls after 8 bytes",
    call: "retrieve",
    rule: retrieveRule("slow;bytes=8;every=10000", always),
    client: { ...FAST, timeout: 300, maxRetries: 1 },
    expect: { outcome: "timeout", status: 200, requests: r(2), minMs: 590, maxMs: 5_000 },
  },
  // ---- bodies we cannot use ----------------------------------------------------------------------
  {
    id: "malformed-json",
    fault: "200 with malformed JSON",
    call: "retrieve",
    rule: retrieveRule("malformed_json", once),
    client: FAST,
    expect: { outcome: "invalid_response", status: 200, requests: r(1) },
  },
  {
    id: "error-body-200",
    fault: '200 with an `{"error": …}` body',
    call: "retrieve",
    rule: retrieveRule("error_body_200", once),
    client: FAST,
    expect: { outcome: "api", code: "batch_expired", requests: r(1) },
  },
  {
    id: "wrong-types",
    fault: "200 with wrong JSON types (`id: 12345`, `status: 42`, …)",
    call: "retrieve",
    rule: retrieveRule("wrong_types", once),
    client: FAST,
    // A batch whose status is no string is no batch to act on: a typed error, never an exception.
    expect: { outcome: "invalid_response", status: 200, requests: r(1) },
  },
  {
    id: "huge-json",
    fault: "200 with a 50 MiB JSON body",
    call: "retrieve",
    rule: retrieveRule("huge;mb=50", once),
    client: { ...FAST, timeout: 15_000 },
    expect: { outcome: "recovered", requests: r(1), value: { id: "batch_huge" } },
  },
  {
    id: "huge-html",
    fault: "502 with a 50 MiB HTML page",
    call: "retrieve",
    rule: retrieveRule("huge;mb=50;status=502", once),
    client: { ...FAST, timeout: 15_000, maxRetries: 0 },
    // Cut at 500 characters, plus the "…" that says so.
    expect: { outcome: "api", status: 502, messageMax: 501, requests: r(1) },
  },
  {
    id: "echo-key",
    fault: "400 whose message quotes the `Authorization` header",
    call: "retrieve",
    rule: retrieveRule("echo_auth", once),
    client: FAST,
    expect: { outcome: "api", status: 400, code: "invalid_api_key", requests: r(1) },
  },
  {
    id: "echo-key-raw",
    fault: "400 whose message quotes the key alone (no `Bearer`)",
    call: "retrieve",
    rule: retrieveRule("echo_auth;bearer=no", once),
    client: FAST,
    expect: { outcome: "api", status: 400, code: "invalid_api_key", requests: r(1) },
  },
  {
    id: "echo-key-at-cut",
    fault: "400 whose long message quotes the key (no `Bearer`) across the 500-character cut",
    call: "retrieve",
    // "400 Bad Request: " + 425 dots + "Incorrect API key provided: " puts the key at character 470.
    rule: retrieveRule("echo_auth;bearer=no;pad=425", once),
    client: FAST,
    expect: { outcome: "api", status: 400, code: "invalid_api_key", requests: r(1) },
  },
  {
    id: "echo-key-at-cut-html",
    fault: "502 HTML page quoting the key (no `Bearer`) across the 500-character cut",
    call: "retrieve",
    rule: retrieveRule("echo_auth;bearer=no;pad=365;as=html", once),
    client: { ...FAST, maxRetries: 0 },
    expect: { outcome: "api", status: 502, messageMax: 501, requests: r(1) },
  },
  // ---- other reads and cancel --------------------------------------------------------------------
  {
    id: "list-503-once",
    fault: "503",
    call: "list",
    rule: { method: "GET", path: /^\/batches$/, fault: "status=503", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { "GET /batches": 2 } },
  },
  {
    id: "cancel-500-once",
    fault: "500",
    call: "cancel",
    rule: { method: "POST", path: "/cancel", fault: "status=500", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { [`POST /batches/${CANCELLABLE}/cancel`]: 2 } },
  },
  {
    id: "cancel-drop-after-accept",
    fault: "cancel applied, then the connection dropped",
    call: "cancel",
    rule: { method: "POST", path: "/cancel", fault: "drop_after_create", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { [`POST /batches/${CANCELLABLE}/cancel`]: 2 } },
  },
  {
    id: "results-503-once",
    fault: "503",
    call: "results",
    rule: { method: "GET", path: "/content", fault: "status=503", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { "GET /files/{file}/content": 2 } },
  },
  {
    id: "results-drop-mid-body",
    fault: "connection dropped halfway through the file",
    call: "results",
    rule: { method: "GET", path: "/content", fault: "drop_mid_body", times: once },
    client: FAST,
    // The stream is not resumed: the lines before the break come out, then the error.
    expect: { outcome: "connection", requests: { "GET /files/{file}/content": 1 } },
  },
  {
    id: "results-slow-drip",
    fault: "file trickles in (256 bytes every 10 ms)",
    call: "results",
    rule: { method: "GET", path: "/content", fault: "slow;bytes=256;every=10", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { "GET /files/{file}/content": 1 }, minMs: 100 },
  },
  {
    id: "results-stall",
    fault: "file stalls after 256 bytes",
    call: "results",
    rule: { method: "GET", path: "/content", fault: "slow;bytes=256;every=10000", times: once },
    client: { ...FAST, timeout: 300 },
    expect: { outcome: "timeout", requests: { "GET /files/{file}/content": 1 }, minMs: 290, maxMs: 5_000 },
  },
  {
    id: "waitfor-500-poll",
    fault: "500 on a poll",
    call: "waitFor",
    rule: { method: "GET", path: `/batches/${DONE}`, fault: "status=500", times: once },
    client: { ...FAST, maxRetries: 0 },
    // A failed poll is ridden out: the next one, after a backoff of 1 s, finds the batch done.
    expect: { outcome: "recovered", requests: { [`GET /batches/${DONE}`]: 2 }, minMs: 900 },
  },
  {
    id: "waitfor-503-past-deadline",
    fault: "503",
    call: "waitFor",
    rule: { method: "GET", path: `/batches/${DONE}`, fault: "status=503" },
    client: FAST,
    // One poll (three attempts, 10 ms apart), then the 1 s backoff runs into the 1 s deadline.
    args: { timeout: 1_000 },
    expect: { outcome: "timeout", requests: { [`GET /batches/${DONE}`]: 3 }, minMs: 950, maxMs: 2_500 },
  },
  {
    id: "waitfor-hang-past-deadline",
    fault: "no answer at all (hang)",
    call: "waitFor",
    rule: { method: "GET", path: `/batches/${DONE}`, fault: "hang" },
    client: FAST,
    // The attempt is cut at the deadline (800 ms), not at the client's 2 s timeout; nothing after it.
    args: { timeout: 800 },
    expect: { outcome: "timeout", requests: { [`GET /batches/${DONE}`]: 1 }, minMs: 750, maxMs: 1_900 },
  },
  // ---- create: retried only when nothing was made; after doubt, look before sending again -------
  {
    id: "create-429-once",
    fault: "429",
    call: "create",
    rule: createRule("status=429", once),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 2 }, batches: 1 },
  },
  {
    id: "create-429-exhausted",
    fault: "429",
    call: "create",
    rule: createRule("status=429", always),
    client: FAST,
    expect: { outcome: "api", status: 429, requests: { "POST /batches": 3 }, batches: 0 },
  },
  {
    id: "create-503-retry-after-once",
    fault: "503 with `retry-after-ms`",
    call: "create",
    rule: createRule("status=503", once),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 2 }, batches: 1 },
  },
  // After a failure that leaves a batch possible, the client looks for the batch of this very call
  // (by its marker in metadata) in LOOKUPS rounds of list pages, allowing for listing lag. It sends
  // again only after a 500 (the provider finished, with an error) that no round explains.
  {
    id: "create-503-no-hint",
    fault: "503 without a retry header",
    call: "create",
    rule: createRule("status=503;retry_after_ms=none", once),
    client: FAST,
    // A 503 may come from a proxy whose upstream still runs: look, and report rather than resend.
    expect: { outcome: "api", status: 503, requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0 },
  },
  {
    id: "create-500-once",
    fault: "500",
    call: "create",
    rule: createRule("status=500", once),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 2, "GET /batches": LOOKUPS }, batches: 1 },
  },
  {
    id: "create-500-exhausted",
    fault: "500",
    call: "create",
    rule: createRule("status=500", always),
    client: FAST,
    expect: { outcome: "api", status: 500, requests: { "POST /batches": 2, "GET /batches": 2 * LOOKUPS }, batches: 0 },
  },
  {
    id: "create-500-should-retry-true",
    fault: "500 with `x-should-retry: true`",
    call: "create",
    rule: createRule("status=500;should_retry=true", once),
    client: FAST,
    // The server's own word that a resend is safe is taken, without a lookup.
    expect: { outcome: "recovered", requests: { "POST /batches": 2 }, batches: 1 },
  },
  {
    id: "create-502-html-once",
    fault: "502 HTML page from a proxy",
    call: "create",
    rule: createRule("html", once),
    client: FAST,
    expect: { outcome: "api", status: 502, requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0 },
  },
  {
    id: "create-504-once",
    fault: "504",
    call: "create",
    rule: createRule("status=504", once),
    client: FAST,
    expect: { outcome: "api", status: 504, requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0 },
  },
  {
    id: "create-drop-before-headers-once",
    fault: "connection dropped before the batch was made",
    call: "create",
    rule: createRule("drop", once),
    client: FAST,
    // Indistinguishable from a drop after the batch was made that the list has not caught up with.
    expect: { outcome: "connection", requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0 },
  },
  {
    id: "create-drop-after-create",
    fault: "batch made, then the connection dropped",
    call: "create",
    rule: createRule("drop_after_create", always),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 1 },
  },
  {
    id: "create-drop-after-create-no-retries",
    fault: "batch made, then the connection dropped",
    call: "create",
    rule: createRule("drop_after_create", always),
    client: { ...FAST, maxRetries: 0 },
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 1 },
  },
  {
    id: "create-drop-after-create-lookup-fails",
    fault: "batch made, then the connection dropped; the lookup gets 500s",
    call: "create",
    rule: createRule("drop_after_create", always),
    also: [{ method: "GET", path: /^\/batches$/, fault: "status=500" }],
    client: FAST,
    // Unable to tell whether the batch exists, it reports the drop rather than risk a second one.
    expect: { outcome: "connection", requests: { "POST /batches": 1, "GET /batches": 3 }, batches: 1 },
  },
  {
    id: "create-older-batch-drop-before-headers",
    fault: "connection dropped before the batch was made; an older batch from the same file exists",
    call: "create",
    seed: "older",
    rule: createRule("drop", once),
    client: FAST,
    // The older batch is never taken for this call's: only the marker counts.
    expect: { outcome: "connection", requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 1 },
  },
  {
    id: "create-older-batch-drop-after-create",
    fault: "batch made, then the connection dropped; an older batch from the same file exists",
    call: "create",
    seed: "older",
    rule: createRule("drop_after_create", once),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 2 },
  },
  {
    id: "create-listed-late",
    fault: "batch made, then the connection dropped; the list shows it only 1 s later",
    call: "create",
    rule: createRule("drop_after_create", once),
    also: [{ method: "GET", path: /^\/batches$/, fault: "list_lag;ms=1000" }],
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 2 }, batches: 1, minMs: 1_400 },
  },
  {
    id: "create-listed-oldest-first",
    fault: "batch made, then the connection dropped; the list is oldest first",
    call: "create",
    rule: createRule("drop_after_create", once),
    also: [{ method: "GET", path: /^\/batches$/, fault: "oldest_first" }],
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 1 },
  },
  {
    id: "create-drop-mid-body",
    fault: "batch made, connection dropped halfway through the answer",
    call: "create",
    rule: createRule("drop_mid_body", always),
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 1 },
  },
  {
    id: "create-stall-after-create",
    fault: "batch made, then the answer stalls",
    call: "create",
    rule: createRule("slow;bytes=8;every=10000", always),
    client: { ...FAST, timeout: 300 },
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 1 }, batches: 1, minMs: 290 },
  },
  {
    id: "create-lands-after-timeout",
    fault: "no answer; the batch is made 1 s later, after the client's timeout",
    call: "create",
    rule: createRule("land_after;ms=1000", once),
    client: { ...FAST, timeout: 300 },
    // No resend after a timeout: the lookups find the batch once it lands.
    expect: { outcome: "recovered", requests: { "POST /batches": 1, "GET /batches": 2 }, batches: 1, minMs: 1_700 },
  },
  {
    id: "create-hang-once",
    fault: "no answer at all (hang)",
    call: "create",
    rule: createRule("hang", once),
    client: { ...FAST, timeout: 300 },
    expect: { outcome: "timeout", requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0, minMs: 290 },
  },
  {
    id: "create-malformed-json-once",
    fault: "200 with malformed JSON",
    call: "create",
    rule: createRule("malformed_json", once),
    client: FAST,
    // A 2xx means a batch was made; none is listed, so the client reports instead of making another.
    expect: { outcome: "invalid_response", requests: { "POST /batches": 1, "GET /batches": LOOKUPS }, batches: 0 },
  },
  {
    id: "create-error-body-200",
    fault: '200 with an `{"error": …}` body',
    call: "create",
    rule: createRule("error_body_200", once),
    client: FAST,
    expect: { outcome: "api", code: "batch_expired", requests: { "POST /batches": 1 }, batches: 0 },
  },
  // ---- uploadFile: retried only when nothing was stored; no lookup ------------------------------
  {
    id: "upload-429-once",
    fault: "429",
    call: "uploadFile",
    rule: { method: "POST", path: "/files", fault: "status=429", times: once },
    client: FAST,
    expect: { outcome: "recovered", requests: { "POST /files": 2 } },
  },
  {
    id: "upload-500-once",
    fault: "500",
    call: "uploadFile",
    rule: { method: "POST", path: "/files", fault: "status=500", times: once },
    client: FAST,
    expect: { outcome: "api", status: 500, requests: { "POST /files": 1 } },
  },
  {
    id: "upload-hang",
    fault: "no answer at all (hang)",
    call: "uploadFile",
    rule: { method: "POST", path: "/files", fault: "hang", times: once },
    client: { ...FAST, timeout: 300 },
    expect: { outcome: "timeout", requests: { "POST /files": 1 }, minMs: 290, maxMs: 5_000 },
  },
  {
    id: "upload-drop-after-create",
    fault: "file stored, then the connection dropped",
    call: "uploadFile",
    rule: { method: "POST", path: "/files", fault: "drop_after_create", times: once },
    client: FAST,
    expect: { outcome: "connection", requests: { "POST /files": 1 } },
  },
];

// ---- in the runtime under test ---------------------------------------------------------------

/** Where `secrets` occur in `views` (label -> text), with a little context. */
function leaksIn(views, secrets) {
  const out = [];
  for (const [label, text] of Object.entries(views)) {
    // The first secret found is enough: the tail is part of the key.
    for (const secret of secrets) {
      const at = typeof text === "string" ? text.indexOf(secret) : -1;
      if (at < 0) continue;
      out.push(`${label}: …${text.slice(Math.max(0, at - 40), at + secret.length + 10)}…`);
      break;
    }
  }
  return out;
}

/** A distinctive key with 32 random hex digits, as every row's client uses. */
export function newApiKey() {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return `sk-test-SECRET-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * What of the key must never show: the whole key, its start with 6 random digits (a key cut short),
 * its last 8 digits (a key cut at the front). Neither can occur by chance.
 */
export function secretsOf(apiKey) {
  const tail = apiKey.slice(apiKey.lastIndexOf("-") + 1);
  return [apiKey, `SECRET-${tail.slice(0, 6)}`, tail.slice(-8)];
}

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"];

/** Records what is written to `console` while `fn` runs (and still writes it). */
async function capturingConsole(fn) {
  const lines = [];
  const saved = {};
  for (const name of CONSOLE_METHODS) {
    saved[name] = console[name];
    console[name] = (...args) => {
      lines.push(`console.${name}: ${args.map((a) => show(a, 100_000)).join(" ")}`);
      return saved[name].apply(console, args);
    };
  }
  try {
    return { result: await fn(), lines };
  } finally {
    for (const name of CONSOLE_METHODS) console[name] = saved[name];
  }
}

function timeLimit(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The call of a row; resolves to a small summary of what it returned. Errors propagate. */
async function perform(lib, row, params, client, progress) {
  switch (row.call) {
    case "retrieve": {
      const b = await client.retrieve(BATCH);
      const { id, object, status, created_at, request_counts, metadata } = b ?? {};
      return { id, object, status, created_at, request_counts, metadata };
    }
    case "list": {
      const page = await client.list({ limit: 5 });
      return { count: page?.data?.length ?? null, first_id: page?.first_id ?? null };
    }
    case "cancel": {
      const b = await client.cancel(CANCELLABLE);
      return { id: b?.id ?? null, status: b?.status ?? null };
    }
    case "waitFor": {
      const b = await client.waitFor(DONE, { pollInterval: 50, timeout: 10_000, ...row.args });
      return { id: b?.id ?? null, status: b?.status ?? null };
    }
    case "create": {
      const b = await client.create({ input_file_id: params.fileId, endpoint: ENDPOINT, metadata: { row: row.id } });
      return { id: b?.id ?? null, status: b?.status ?? null, input_file_id: b?.input_file_id ?? null };
    }
    case "uploadFile": {
      const f = await client.uploadFile(params.upload, { filename: `${row.id}.jsonl` });
      return { id: f?.id ?? null, filename: f?.filename ?? null };
    }
    case "results": {
      const batch = { id: "batch_results", object: "batch", status: "completed", output_file_id: params.fileId, error_file_id: null };
      const ids = [];
      for await (const line of client.results(batch)) {
        ids.push(line.custom_id);
        progress.count = ids.length;
      }
      return { count: ids.length, last: ids.at(-1) ?? null, errors: null };
    }
    default:
      throw new Error(`unknown call ${row.call}`);
  }
}

/**
 * Runs `row`'s call with a fresh client against `params.mockUrl` (where `prepareRow` armed the
 * fault) and reports what happened as plain JSON: `{ id, resolved, value, error, partial, leaks,
 * console, ms }`. Never rejects: a harness failure is reported as `harness`.
 */
export async function runFaultRow(lib, row, params) {
  const secrets = secretsOf(params.apiKey);
  const progress = { count: 0 };
  const out = { id: row.id, resolved: false, value: null, error: null, partial: null, leaks: [], console: [], ms: 0, harness: null };
  let client;
  try {
    client = new lib.BatchClient({ apiKey: params.apiKey, baseURL: `${params.mockUrl}/openai/v1`, ...row.client });
  } catch (err) {
    out.harness = `new BatchClient threw ${show(err)}`;
    return out;
  }
  const t0 = Date.now();
  const { result, lines } = await capturingConsole(async () => {
    try {
      return { value: await timeLimit(perform(lib, row, params, client, progress), ROW_TIMEOUT_MS - 2_000, row.id) };
    } catch (error) {
      return { error };
    }
  });
  out.ms = Date.now() - t0;
  out.console = lines;
  out.leaks.push(...leaksIn(Object.fromEntries(lines.map((l, i) => [`console line ${i + 1}`, l])), secrets));
  if ("value" in result) {
    out.resolved = true;
    out.value = result.value;
    out.leaks.push(...leaksIn({ "the resolved value": show(result.value, 100_000) }, secrets));
  } else {
    const err = result.error;
    out.error = {
      isBatchError: err instanceof lib.BatchError,
      isError: err instanceof Error,
      name: err?.name ?? null,
      kind: err?.kind ?? null,
      status: err?.status ?? null,
      code: err?.code ?? null,
      requestId: err?.requestId ?? null,
      message: typeof err?.message === "string" ? err.message : show(err),
    };
    out.partial = row.call === "results" ? progress.count : null;
    out.leaks.push(...leaksIn(errorViews(err, 100_000), secrets));
  }
  // The client itself, as console.log or a JSON dump would show it.
  out.leaks.push(...leaksIn({ "JSON.stringify(client)": show(client, 100_000), "String(client)": String(client) }, secrets));
  return out;
}

// ---- in Node, around the call ------------------------------------------------------------------

/** The input of `create` rows: two chat requests. */
const INPUT_JSONL = ["a", "b"]
  .map((id) => JSON.stringify({ custom_id: id, method: "POST", url: ENDPOINT, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: id }] } }))
  .join("\n");

/** The output file of `results` rows: RESULT_LINES results of about 250 bytes each. */
export const OUTPUT_JSONL = Array.from({ length: RESULT_LINES }, (_, i) =>
  JSON.stringify({
    id: `batch_req_${i + 1}`,
    custom_id: `req-${i + 1}`,
    response: { status_code: 200, request_id: `req_${i + 1}`, body: { object: "chat.completion", choices: [{ message: { content: `answer ${i + 1} ${"·".repeat(60)}` } }] } },
    error: null,
  }),
).join("\n") + "\n";

/**
 * Resets the mock, adds the files the row needs and arms its fault. `mock` is a running
 * `startMock()`; `apiKey` the distinctive key the row's client sends. Returns the call's params.
 */
export function prepareRow(mock, row, { apiKey, mockUrl = mock.url }) {
  mock.reset();
  const params = { apiKey, mockUrl, fileId: null, upload: null };
  if (row.call === "create") params.fileId = mock.addFile({ dialect: "openai", content: `${INPUT_JSONL}\n` }).id;
  // An older batch from the same input file, as a rerun of a job leaves behind.
  if (row.seed === "older") params.seeded = [mock.addBatch({ input_file_id: params.fileId, endpoint: ENDPOINT, metadata: { row: "older" } }).id];
  if (row.call === "results") params.fileId = mock.addFile({ dialect: "openai", content: OUTPUT_JSONL, purpose: "batch_output" }).id;
  if (row.call === "uploadFile") params.upload = `${INPUT_JSONL}\n`;
  mock.addFault(row.rule);
  for (const rule of row.also ?? []) mock.addFault(rule);
  return params;
}

/** What reached the mock during the row: counts per "METHOD /path", file ids as `{file}`. */
export function wireOf(mock, params) {
  const requests = {};
  const auth = new Set();
  for (const req of mock.requests) {
    if (req.method === "OPTIONS" || !req.path.startsWith("/openai/v1/")) continue;
    let path = req.path.slice("/openai/v1".length);
    if (params.fileId) path = path.replace(`/files/${params.fileId}/`, "/files/{file}/");
    const key = `${req.method} ${path}`;
    requests[key] = (requests[key] ?? 0) + 1;
    auth.add(req.headers.authorization ?? "");
  }
  const made = params.fileId ? mock.batches("openai").filter((b) => b.input_file_id === params.fileId) : [];
  return { requests, batches: made.map((b) => b.id), fileId: params.fileId, seeded: params.seeded ?? [], auth: [...auth] };
}

/** `expect` for `runtime`: the row's, with that runtime's overrides. */
export function expectationOf(row, runtime) {
  return { ...row.expect, ...(row.by?.[runtime] ?? {}) };
}

/** A one-word account of what happened, for the table: "recovered", "api 429", "timeout", … */
export function outcomeOf(seen) {
  if (seen.harness) return "harness error";
  if (seen.resolved) return "recovered";
  const e = seen.error;
  if (!e?.isBatchError) return `not a BatchError (${e?.name ?? "?"})`;
  return e.kind === "api" && e.status !== null ? `api ${e.status}` : e.kind;
}

const sameCounts = (a, b) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
};

/**
 * Every assertion of a row, from what the runtime saw (`seen`, from runFaultRow) and what the mock
 * saw (`wire`, from wireOf), plus console lines the harness captured outside the runtime
 * (`extraConsole`, e.g. Chromium's own). Returns `{ pass, failures: [string], outcome, requests,
 * batches }`.
 */
export function judgeRow(row, runtime, seen, wire, { extraConsole = [], apiKey } = {}) {
  const want = expectationOf(row, runtime);
  const failures = [];
  const fail = (msg) => failures.push(msg);
  const outcome = outcomeOf(seen);
  if (seen.harness) fail(`harness: ${seen.harness}`);
  if (want.outcome === "recovered") {
    if (!seen.resolved) fail(`expected the call to recover, it rejected with ${show(seen.error)}`);
    else checkValue(row, want, seen.value, wire, fail);
  } else if (seen.resolved) {
    fail(`expected a BatchError of kind ${want.outcome}, the call resolved with ${show(seen.value)}`);
  } else {
    const e = seen.error ?? {};
    if (!e.isBatchError || !e.isError || e.name !== "BatchError") fail(`expected a BatchError, got ${show(e)}`);
    if (e.kind !== want.outcome) fail(`kind: got ${show(e.kind)}, expected ${show(want.outcome)} (${show(e.message, 200)})`);
    for (const field of ["status", "code"]) {
      if (field in want && e[field] !== want[field]) fail(`${field}: got ${show(e[field])}, expected ${show(want[field])}`);
    }
    if (typeof e.message !== "string" || e.message.length === 0) fail("empty message");
    if (want.messageMax !== undefined && e.message.length > want.messageMax) {
      fail(`message is ${e.message.length} chars, expected at most ${want.messageMax}`);
    }
    if (/<\/?(html|head|body)\b/i.test(e.message ?? "")) fail(`message carries raw HTML: ${show(e.message, 200)}`);
  }
  if (want.requests && !sameCounts(wire.requests, want.requests)) {
    fail(`requests the mock saw: got ${show(wire.requests)}, expected ${show(want.requests)}`);
  }
  if (want.batches !== undefined && wire.batches.length !== want.batches) {
    fail(`batches created from the input file: got ${wire.batches.length} (${wire.batches.join(", ")}), expected ${want.batches}`);
  }
  if (want.minMs !== undefined && seen.ms < want.minMs) fail(`took ${seen.ms} ms, expected at least ${want.minMs} ms`);
  if (want.maxMs !== undefined && seen.ms > want.maxMs) fail(`took ${seen.ms} ms, expected at most ${want.maxMs} ms`);
  for (const leak of seen.leaks ?? []) fail(`the API key leaked through ${leak}`);
  if (apiKey) {
    for (const line of extraConsole) {
      for (const secret of secretsOf(apiKey)) if (line.includes(secret)) fail(`the API key leaked to the runtime's console: ${show(line, 200)}`);
    }
    for (const header of wire.auth) {
      if (header !== `Bearer ${apiKey}`) fail(`a request carried authorization ${show(header)}, not the row's key`);
    }
  }
  const total = Object.values(wire.requests).reduce((a, b) => a + b, 0);
  return {
    pass: failures.length === 0,
    failures,
    outcome,
    requests: total,
    routes: wire.requests,
    batches: want.batches === undefined ? null : wire.batches.length,
  };
}

/** JSON with object keys sorted, so that equal values compare equal whatever their key order. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

function checkValue(row, want, value, wire, fail) {
  const eq = (got, expected, what) => {
    if (got !== expected) fail(`${what}: got ${show(got)}, expected ${show(expected)}`);
  };
  switch (row.call) {
    case "retrieve":
      eq(value.id, want.value?.id ?? BATCH, "batch id");
      eq(value.object, "batch", "batch object");
      for (const [key, expected] of Object.entries(want.value ?? {})) {
        if (canonical(value[key]) !== canonical(expected)) fail(`batch.${key}: got ${show(value[key])}, expected ${show(expected)}`);
      }
      break;
    case "list":
      eq(value.count, 5, "page size");
      break;
    case "cancel":
      eq(value.id, CANCELLABLE, "batch id");
      eq(value.status, "cancelling", "status after cancel");
      break;
    case "waitFor":
      eq(value.id, DONE, "batch id");
      eq(value.status, "completed", "status");
      break;
    case "create":
      // The batch the caller gets is the one the server made, whichever attempt made it.
      eq(value.input_file_id, wire.fileId, "input_file_id");
      if (wire.seeded.includes(value.id)) fail(`resolved with ${value.id}, an older batch from the same file, not the one this call made`);
      {
        const made = wire.batches.filter((id) => !wire.seeded.includes(id));
        if (made.length === 1) eq(value.id, made[0], "the returned batch is the one the server made");
      }
      break;
    case "uploadFile":
      eq(typeof value.id, "string", "typeof file id");
      break;
    case "results":
      eq(value.count, RESULT_LINES, "result lines");
      eq(value.last, `req-${RESULT_LINES}`, "last custom_id");
      break;
    default:
      fail(`unknown call ${row.call}`);
  }
}

/** The whole record of one runtime's run, as written to target/fault-matrix/<runtime>.json. */
export function runRecord(runtime, version, verdicts, durationMs) {
  return {
    runtime,
    version,
    finished: new Date().toISOString(),
    durationMs,
    rows: verdicts,
  };
}

/** `times` of a rule in words. */
export function timesOf(rule) {
  if (rule.times === undefined) return "every time";
  return rule.times === 1 ? "once" : `${rule.times} times`;
}
