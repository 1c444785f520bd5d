#!/usr/bin/env node
// llm-batches: the Batch API from a terminal (`npx llm-batches --help`). Node.js >= 20, no
// dependencies beyond the package itself. Output for people goes to a terminal as tables and
// progress bars; when stdout is not a terminal it is plain lines, and `--json` is for programs.
import { createWriteStream, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BatchClient, BatchError, PROVIDERS, STATUSES, isTerminal, usageOf, validateRequests } from "./node.js";

const EXIT = { ok: 0, api: 1, usage: 2, invalid: 3, ended: 4, interrupted: 130, terminated: 143 };

const PROVIDER_NAMES = PROVIDERS.map((p) => p.name);
const KEY_VARS = PROVIDERS.map((p) => `  ${p.name.padEnd(22)} $${p.keyEnv}`).join("\n");

const HELP = `Usage: llm-batches <command> [options]

Drive a Batch API (${PROVIDERS.map((p) => p.label).join(", ")}) from the terminal.

Commands:
  list                   one page of batches, newest first  [--limit N] [--after ID | --page P] [--all]
                         [--status S]...: only batches of those statuses (repeated, or S,S)
  get ID                 one batch: its times in order of its life, with their local offset and how
                         long ago; elapsed, expiry, an ETA while it runs; model and tokens
  watch [ID...]          follow batches until they end: a live table with progress bars in a
                         terminal (with elapsed time and an ETA), one line per change otherwise;
                         without IDs, the newest page of batches, until Ctrl-C  [--interval D]
  submit FILE.jsonl      validate the requests, upload them and create a batch ("-" reads stdin);
                         a file over the provider's limits becomes several batches, one id a line
                         [--endpoint URL] [--window 24h] [--metadata KEY=VALUE]... [--wait]
  validate FILE.jsonl    only check a batch input file; sends nothing, needs no key; a UTF-8 BOM
                         is dropped, as the dashboard does
  results ID...          the batches' results (output file, then error file) as JSON lines on
                         stdout, progress and token totals on stderr            [--out FILE]
                         (Ctrl-C with --out says how many lines the partial FILE holds)
  resubmit ID            submit again, as one new batch, the requests of an ended batch that did
                         not succeed (prints its id, or nothing)  [--requests FILE.jsonl] [--wait]
  cancel ID              cancel a batch

Connection:
  --provider NAME        ${PROVIDER_NAMES.join(" | ")}
                         (env LLM_BATCHES_PROVIDER; default openai)
  --base-url URL         the API's base URL, version path included; default: env
                         LLM_BATCHES_BASE_URL, else (openai) OPENAI_BASE_URL, else the provider's
  --api-key-env NAME     read the API key from $NAME instead of the provider's variable
  --api-version V        Azure's dated API (e.g. 2024-10-21; env AZURE_OPENAI_API_VERSION)
  --timeout D            per request (default 60s)
  --max-retries N        retries of a failed read (default 2)

Output:
  --json                 JSON on stdout (list: the page, or an array with --all; watch: one
                         batch per line); errors as {"error": {...}} on stderr
  -q, --quiet            no progress or notes on stderr
  --interval D           between polls of watch and submit --wait (default 30s; a provider's
                         openai-poll-after-ms wins for --wait)
  -h, --help             this text
  -V, --version          the version

D is a duration: 500ms, 30s, 5m, 1h, or a number of seconds. S is a status, one of
${STATUSES.join(", ")}.

Exit codes:
  0    done
  1    the provider answered with an error or could not be reached; a batch without results
  2    usage: unknown command or option (with the closest one), missing argument, no API key,
       unreadable file
  3    the input file is invalid (submit, validate): every problem with its lines, the same
       problem on many lines once ("lines 1–3, 7 (4 lines): ...")
  4    a batch waited for ended failed, expired or cancelled (submit --wait, watch ID...)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM). Either says what it leaves behind: the
       batches submit --wait leaves running (and billed), the lines of a partial results --out

The key is only ever read from the environment, never from an argument, and never printed.
Each provider's key is read from its own variable and only sent to that provider's host:
${KEY_VARS}
A base URL on another host (a proxy, a gateway) needs its key named with --api-key-env NAME
or set in LLM_BATCHES_API_KEY; OPENAI_BASE_URL pairs with OPENAI_API_KEY, as in the OpenAI SDK.
`;

const OPTIONS = {
  provider: { type: "string" },
  "base-url": { type: "string" },
  "api-key-env": { type: "string" },
  "api-version": { type: "string" },
  page: { type: "string" },
  timeout: { type: "string" },
  "max-retries": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  interval: { type: "string" },
  limit: { type: "string" },
  status: { type: "string", multiple: true },
  after: { type: "string" },
  all: { type: "boolean" },
  endpoint: { type: "string" },
  window: { type: "string" },
  metadata: { type: "string", multiple: true },
  wait: { type: "boolean" },
  out: { type: "string", short: "o" },
  requests: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
};

const COMMON = ["provider", "base-url", "api-key-env", "api-version", "timeout", "max-retries", "json", "quiet", "help", "version"];
const COMMANDS = {
  list: { args: [0, 0], options: ["limit", "after", "page", "all", "status"], run: list },
  get: { args: [1, 1], options: [], run: get },
  watch: { args: [0, Infinity], options: ["interval"], run: watch },
  submit: { args: [1, 1], options: ["endpoint", "window", "metadata", "wait", "interval"], run: submit },
  validate: { args: [1, 1], options: ["endpoint"], run: validate, offline: true },
  results: { args: [1, Infinity], options: ["out"], run: results },
  resubmit: { args: [1, 1], options: ["requests", "metadata", "wait", "interval"], run: resubmit },
  cancel: { args: [1, 1], options: [], run: cancel },
};

class UsageError extends Error {}
class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

// ---- terminal output --------------------------------------------------------------------------

// Provider text reaches a terminal only through these two. Control characters (C0, DEL, C1, which
// carry escape and OSC sequences: colours, title changes, hidden links) and bidirectional
// overrides are shown as \uXXXX escapes, so an id, status or message cannot drive the terminal.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escape = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Text for a terminal: provider text with its control characters escaped. */
function safe(text) {
  return String(text).replace(UNSAFE, escape);
}

/** JSON text that reads back to the same value and has no raw control character outside ASCII
 * (JSON.stringify already escapes C0). */
function json(value) {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, escape);
}

const color = (stream) => stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
const SGR = { green: 32, red: 31, yellow: 33, cyan: 36, blue: 34, dim: 2 };
const paint = (on, style, text) => (on && style && text.trim() ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text);
const STATUS_STYLE = {
  completed: "green", failed: "red", expired: "red", cancelled: "yellow", cancelling: "yellow",
  in_progress: "cyan", validating: "blue", finalizing: "blue",
};

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A progress bar of `width` cells for a fraction in 0..1, in eighths of a cell. */
function bar(fraction, width) {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8];
  return "█".repeat(full) + part + " ".repeat(width - full - (part ? 1 : 0));
}

function counts(batch) {
  const { total = 0, completed = 0, failed = 0 } = batch.request_counts ?? {};
  return { total, done: completed + failed, failed };
}

function progressText(batch) {
  const { total, done, failed } = counts(batch);
  return `${done}/${total}${failed ? ` (${failed} failed)` : ""}`;
}

function percent(batch) {
  const { total, done } = counts(batch);
  if (batch.status === "completed") return 100;
  return total > 0 ? Math.floor((done / total) * 100) : 0;
}

/** Unix seconds as local time: "2026-11-20 14:10"; `precise`: "2026-11-20 14:10:05+01:00" (ISO 8601's
 * fields with a space for the T, the offset of the local time zone that day). */
function localTime(seconds, precise = false) {
  if (seconds === null || seconds === undefined) return "";
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return String(seconds);
  const p = (n) => String(n).padStart(2, "0");
  const minutes = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  if (!precise) return minutes;
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${minutes}:${p(d.getSeconds())}${offset < 0 ? "-" : "+"}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

/** A length of time for people, cut to its two largest units: "45 s", "3 min", "2 h 5 min", "3 d 4 h". */
function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 60) return `${s} s`;
  if (m < 60) return `${m} min`;
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Unix seconds from `now` (ms): "3 min ago", "in 2 h". */
function relative(seconds, now) {
  const ms = seconds * 1000 - now;
  if (Math.abs(ms) < 1000) return "now";
  return ms > 0 ? `in ${span(ms)}` : `${span(ms)} ago`;
}

// The timestamps of a batch's life, in that order (one batch has only some of them); expires_at,
// its deadline, comes after them and after any other the provider sends.
const LIFE_TIMES = ["created_at", "in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at"];
const END_TIMES = ["completed_at", "failed_at", "expired_at", "cancelled_at"];

const isTime = (value) => typeof value === "number" && Number.isFinite(value);
const overdue = (b, now) => !isTerminal(b) && isTime(b.expires_at) && b.expires_at * 1000 < now;

/**
 * How long batches followed together have taken and will take, from what they say (times are the
 * provider's, so a slow poll does not skew them): `elapsed` from the first creation to the last end
 * (or now), "" when unknown; `eta` "" once all ended, "overdue" when one still running is past its
 * deadline, else the pace of the running ones since they started projected over their remaining
 * requests ("?" before there is a pace).
 */
function timing(batches, now = Date.now()) {
  const created = batches.map((b) => b.created_at).filter(isTime);
  const running = batches.filter((b) => !isTerminal(b));
  const end = running.length ? now / 1000 : Math.max(...batches.flatMap((b) => END_TIMES.map((k) => b[k]).filter(isTime)));
  const elapsed = created.length && Number.isFinite(end) ? span((end - Math.min(...created)) * 1000) : "";
  if (running.length === 0) return { elapsed, eta: "" };
  if (running.some((b) => overdue(b, now))) return { elapsed, eta: "overdue" };
  let total = 0;
  let done = 0;
  let started = Infinity;
  for (const b of running) {
    const c = counts(b);
    total += c.total;
    done += c.done;
    const at = isTime(b.in_progress_at) ? b.in_progress_at : b.created_at;
    if (isTime(at)) started = Math.min(started, at * 1000);
  }
  const spent = now - started;
  if (done === 0 || done >= total || !(spent >= 1000)) return { elapsed, eta: "?" };
  return { elapsed, eta: span((spent * (total - done)) / done) };
}

// A status no dialect maps is kept as sent, which may even be a number or an object.
function statusText(batch) {
  if (batch.status === null || batch.status === undefined) return "unknown";
  return typeof batch.status === "string" ? batch.status : json(batch.status);
}

/** Rows of cells as aligned columns; `styles[i]` colours column i when `on`. Lines fit `width`. */
function table(header, rows, { on, styles = [], width = Infinity }) {
  rows = rows.map((r) => r.map((c) => safe(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells, style) =>
    fit(cells.map((c, i) => ({ text: i === cells.length - 1 ? String(c) : String(c).padEnd(widths[i]), style: style?.(i, c) })), width, on);
  return [line(header, () => "dim"), ...rows.map((r) => line(r, (i, c) => styles[i]?.(c)))];
}

/** Joins styled cells with two spaces, cut to `width` visible characters (a live table must not wrap). */
function fit(cells, width, on) {
  let left = width;
  const out = [];
  for (const [i, { text, style }] of cells.entries()) {
    const sep = i === 0 ? "" : "  ";
    if (left <= sep.length) break;
    const visible = (sep + text).slice(0, left);
    left -= visible.length;
    out.push(sep.slice(0, visible.length) + paint(on, style, visible.slice(sep.length)));
  }
  return out.join("").trimEnd();
}

let cursorHidden = null;
function hideCursor(stream) {
  stream.write("\x1b[?25l");
  cursorHidden = stream;
}
function showCursor() {
  cursorHidden?.write("\x1b[?25h");
  cursorHidden = null;
}
// Also on a second Ctrl-C, which exits at once.
process.on("exit", showCursor);

/** Redraws a block of lines in place on a terminal. */
class LiveBlock {
  #lines = 0;
  constructor(stream) {
    this.stream = stream;
  }
  draw(lines) {
    const up = this.#lines ? `\x1b[${this.#lines}F` : "";
    this.stream.write(`${up}\x1b[J${lines.join("\n")}\n`);
    this.#lines = lines.length;
  }
}

/** One line of progress on stderr, redrawn in place on a terminal, calls at most ~10 a second. */
class ProgressLine {
  #last = 0;
  #shown = "";
  constructor(stream, enabled) {
    this.stream = stream;
    this.enabled = enabled && stream.isTTY;
  }
  update(text, force = false) {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const width = (this.stream.columns || 80) - 1;
    this.#shown = safe(text).slice(0, width);
    this.stream.write(`\r\x1b[K${this.#shown}`);
  }
  done() {
    if (this.enabled && this.#shown) this.stream.write("\r\x1b[K");
    this.#shown = "";
  }
}

// ---- the commands -----------------------------------------------------------------------------

async function list(ctx) {
  const { values, client, signal, out } = ctx;
  const limit = values.limit === undefined ? undefined : intOption("--limit", values.limit, 1);
  const statuses = statusOption(values.status);
  const wanted = (b) => !statuses || statuses.includes(b.status);
  const none = statuses ? `no ${statuses.join(" or ")} batches${values.all ? "" : " on this page"}` : "no batches";
  const params = { limit, after: values.after, page: values.page };
  if (values.all) {
    if (values.json) {
      out.write("[");
      let first = true;
      for await (const batch of client.listAll(params, { signal })) {
        if (!wanted(batch)) continue;
        await write(out, `${first ? "\n" : ",\n"}${json(batch)}`);
        first = false;
      }
      out.write(first ? "]\n" : "\n]\n");
      return EXIT.ok;
    }
    const all = [];
    for await (const batch of client.listAll(params, { signal })) if (wanted(batch)) all.push(batch);
    printBatchTable(out, all, none);
    return EXIT.ok;
  }
  const page = await client.list(params, { signal });
  const data = page.data.filter(wanted);
  if (values.json) {
    out.write(`${json(statuses ? { ...page, data } : page)}\n`);
  } else {
    printBatchTable(out, data, none);
    if (page.has_more) note(ctx, `more: llm-batches list ${nextPageArgs(ctx, page)}`);
  }
  return EXIT.ok;
}

/** `--status` values (repeated, or comma-separated) -> known statuses; null without any. */
function statusOption(values = []) {
  const statuses = values.flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  for (const s of statuses) {
    if (!STATUSES.includes(s)) throw new UsageError(`--status wants one of ${STATUSES.join(", ")}, not "${s}"${didYouMean(s, STATUSES)}`);
  }
  return statuses.length ? [...new Set(statuses)] : null;
}

/** The options that ask for the page after `page`, as the provider pages, with the same size and filter. */
function nextPageArgs(ctx, page) {
  const { values, client } = ctx;
  let cursor = `--after ${page.last_id}`;
  if (client.provider === "gemini" && page.nextPageToken) cursor = `--page ${page.nextPageToken}`;
  else if (client.provider === "mistral") cursor = `--page ${Number(values.page ?? 0) + 1}`;
  else if (client.provider === "groq" && page.paging?.next_cursor) cursor = `--after ${page.paging.next_cursor}`;
  const limit = values.limit === undefined ? "" : ` --limit ${values.limit}`;
  const status = values.status ? ` --status ${statusOption(values.status).join(",")}` : "";
  return `${cursor}${limit}${status}`;
}

function printBatchTable(out, batches, none = "no batches") {
  if (batches.length === 0) {
    out.write(`${none}\n`);
    return;
  }
  const on = color(out);
  const rows = batches.map((b) => [b.id ?? "", statusText(b), progressText(b), b.model ?? "", localTime(b.created_at), b.endpoint ?? ""]);
  const lines = table(["ID", "STATUS", "PROGRESS", "MODEL", "CREATED", "ENDPOINT"], rows, {
    on,
    styles: [null, (s) => STATUS_STYLE[s]],
    width: out.isTTY ? out.columns || 120 : Infinity,
  });
  out.write(`${lines.join("\n")}\n`);
}

async function get(ctx) {
  const batch = await ctx.client.retrieve(ctx.positionals[0], { signal: ctx.signal });
  if (ctx.values.json) ctx.out.write(`${json(batch)}\n`);
  else printBatch(ctx.out, batch);
  return EXIT.ok;
}

function printBatch(out, batch) {
  const on = color(out);
  const now = Date.now();
  const { elapsed, eta } = timing([batch], now);
  const running = !isTerminal(batch);
  const rows = [
    ["id", batch.id],
    ["status", paint(on, STATUS_STYLE[batch.status], safe(statusText(batch)))],
    ["model", batch.model],
    ["requests", `${progressText(batch)}, ${percent(batch)}%`],
    ["endpoint", batch.endpoint],
    ["completion_window", batch.completion_window],
    ["input_file_id", batch.input_file_id],
    ["output_file_id", batch.output_file_id],
    ["error_file_id", batch.error_file_id],
    ...timeRows(batch, now),
    ["elapsed", elapsed && `${elapsed}${running ? " so far" : ""}`],
    // Only an estimate: an overdue batch says so on its deadline's row, and "?" tells nothing.
    ["eta", running && eta !== "overdue" && eta !== "?" ? eta : null],
  ];
  if (batch.metadata && Object.keys(batch.metadata).length) rows.push(["metadata", json(batch.metadata)]);
  const tokens = usageLine([batch]);
  if (tokens) rows.push(["tokens", tokens.replace(/^tokens: /, "")]);
  for (const e of batch.errors?.data ?? []) {
    rows.push(["error", `${e.code ?? "error"}: ${e.message ?? ""}${e.line ? ` (line ${e.line})` : ""}`]);
  }
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== "");
  const width = Math.max(...shown.map(([k]) => k.length));
  // The status is escaped before it is painted; every other value is escaped here.
  out.write(`${shown.map(([k, v]) => `${k.padEnd(width)}  ${k === "status" ? v : safe(v)}`).join("\n")}\n`);
}

/**
 * A row for each `*_at` the batch has, in the order of its life, the deadline last: local time with
 * its offset, then how long ago; the deadline of a batch still running says when it expires, or that
 * it is overdue.
 */
function timeRows(batch, now) {
  const rank = (key) => (key === "expires_at" ? LIFE_TIMES.length + 1 : LIFE_TIMES.includes(key) ? LIFE_TIMES.indexOf(key) : LIFE_TIMES.length);
  const keys = Object.keys(batch).filter((key) => key.endsWith("_at") && isTime(batch[key]));
  return keys
    .sort((a, b) => rank(a) - rank(b))
    .map((key) => {
      const at = batch[key];
      let when = relative(at, now);
      if (key === "expires_at" && !isTerminal(batch)) when = overdue(batch, now) ? `overdue by ${span(now - at * 1000)}` : `expires ${when}`;
      return [safe(key), `${localTime(at, true)}  (${when})`];
    });
}

async function watch(ctx) {
  const { values, client, signal, out, positionals } = ctx;
  const ids = positionals.length ? [...new Set(positionals)] : undefined;
  const pollInterval = duration("--interval", values.interval ?? "30s");
  const live = !values.json && out.isTTY;
  const latest = new Map((ids ?? []).map((id) => [id, null]));
  let lastError = null;
  let updated = null;
  const block = live ? new LiveBlock(out) : null;
  let timer = null;
  const render = () => {
    timer = null;
    block.draw(watchTable(out, latest, { ids, updated, lastError }));
  };
  const schedule = () => {
    if (live && !timer) timer = setTimeout(render, 50);
  };
  // The ELAPSED and ETA columns move between polls too.
  const tick = live ? setInterval(schedule, 1000) : null;
  if (live) {
    hideCursor(out);
    render();
  }
  try {
    const done = await client.watch({
      ids,
      pollInterval,
      signal,
      onUpdate: (batch) => {
        latest.set(batch.id, batch);
        updated = new Date();
        if (values.json) out.write(`${json(batch)}\n`);
        else if (live) schedule();
        else out.write(`${plainLine(batch)}\n`);
      },
      onError: (error) => {
        lastError = error;
        if (live) schedule();
        else warn(ctx, error);
      },
    });
    if (live) {
      clearTimeout(timer);
      render();
    }
    const missing = (ids ?? []).filter((id) => !done.some((b) => b.id === id));
    if (missing.length) return fail(ctx, `not found: ${missing.join(", ")}`, EXIT.api);
    const bad = done.filter((b) => b.status !== "completed");
    if (bad.length) {
      note(ctx, `ended without completing: ${bad.map((b) => `${b.id} (${statusText(b)})`).join(", ")}`);
      return EXIT.ended;
    }
    return EXIT.ok;
  } finally {
    if (live) {
      clearInterval(tick);
      clearTimeout(timer);
      showCursor(out);
    }
  }
}

function plainLine(batch) {
  const tokens = usageLine([batch]);
  return safe(`${new Date().toISOString()}  ${batch.id}  ${statusText(batch)}  ${progressText(batch)}  ${percent(batch)}%${tokens ? `  ${tokens}` : ""}`);
}

function watchTable(out, latest, { ids, updated, lastError }) {
  const on = color(out);
  const width = (out.columns || 100) - 1;
  const height = Math.max(3, (out.rows || 24) - 4); // header, "… more", footer, and the cursor's line
  let batches = [...latest.entries()];
  if (!ids) {
    // The newest page: running batches first, then by age.
    batches.sort(([, a], [, b]) => Number(isTerminal(a)) - Number(isTerminal(b)) || (b.created_at ?? 0) - (a.created_at ?? 0));
  }
  const hidden = Math.max(0, batches.length - height);
  batches = batches.slice(0, height);
  const now = Date.now();
  const rows = batches.map(([id, b]) => {
    if (b === null) return [id, "…", "", "", "", "", ""];
    const { elapsed, eta } = timing([b], now);
    return [id, statusText(b), bar(percent(b) / 100, 20), `${percent(b)}%`.padStart(4), progressText(b), elapsed, eta];
  });
  const styles = [null, (s) => STATUS_STYLE[s], () => "cyan", null, null, null, (s) => (s === "overdue" ? "red" : null)];
  const lines = rows.length
    ? table(["ID", "STATUS", "PROGRESS", "", "REQUESTS", "ELAPSED", "ETA"], rows, { on, styles, width })
    : ["waiting for the first list page…"];
  if (hidden) lines.push(paint(on, "dim", `… and ${hidden} more`));
  const running = [...latest.values()].filter((b) => b === null || !isTerminal(b)).length;
  const when = updated ? `updated ${updated.toLocaleTimeString()}` : "starting";
  const error = lastError ? `  ·  ${paint(on, "red", `last error: ${safe(lastError.message)}`)}` : "";
  lines.push(fit([{ text: `${latest.size} batches, ${running} running  ·  ${when}  ·  Ctrl-C to stop` }], width, on) + error);
  return lines;
}

/**
 * A file's text ("-": stdin) without the UTF-8 BOM some editors write first: the rule the dashboard
 * follows (a browser's decoder drops it), so a file passes in both or in neither.
 */
async function readText(file) {
  let text;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Reads and checks a batch input file; prints its problems. Returns the text, or throws Exit(3). */
async function readRequests(ctx) {
  const file = ctx.positionals[0];
  const text = await readText(file);
  // submit cuts a file over the provider's limits into several batches: those limits are no problem.
  const report = validateRequests(text, { endpoint: ctx.values.endpoint, provider: ctx.providerName, split: true });
  if (!report.ok) {
    if (ctx.values.json) ctx.out.write(`${json(report)}\n`);
    printProblems(file, report);
    process.stderr.write(`llm-batches: ${safe(file)} is not a valid batch input (${count(report.problems, "problem")}); nothing was sent\n`);
    throw new Exit(EXIT.invalid);
  }
  return { file, text, report };
}

const SHOWN_PROBLEMS = 20; // distinct problems printed; the rest are counted
const SHOWN_RANGES = 10; // line ranges printed for one problem

/**
 * Prints the problems of `report` (read from `file`) on stderr, each distinct message once with the
 * lines it is on, in the order of its first line: "f:4: …", "f: lines 1–3, 7, 9–12 (8 lines): …".
 * validateRequests lists the first 1,000 and then one entry (no line) that counts the rest, which is
 * printed last as it is.
 */
function printProblems(file, { errors, problems }) {
  const listed = problems > errors.length ? errors.slice(0, -1) : errors;
  const unlisted = errors.slice(listed.length).map(({ message }) => message);
  const groups = new Map();
  for (const { line, message } of listed) {
    const group = groups.get(message) ?? { message, lines: [], times: 0 };
    group.times += 1;
    if (line !== null) group.lines.push(line);
    groups.set(message, group);
  }
  const all = [...groups.values()];
  const say = (text) => process.stderr.write(`${safe(text)}\n`);
  for (const { message, lines } of all.slice(0, SHOWN_PROBLEMS)) say(`${file}${where(lines)}: ${message}`);
  const hidden = all.slice(SHOWN_PROBLEMS);
  if (hidden.length) {
    const times = hidden.reduce((n, g) => n + g.times, 0);
    say(`… and ${count(hidden.length, "other problem")}${times > hidden.length ? ` (${times.toLocaleString("en-US")} times)` : ""} not shown; --json lists them all`);
  }
  for (const message of unlisted) say(`${file}: ${message}`);
}

/** ":4", or ": lines 1–3, 7, 9–12 (8 lines)", or "" for a problem of the whole input. */
function where(lines) {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  if (sorted.length === 0) return "";
  if (sorted.length === 1) return `:${sorted[0]}`;
  const ranges = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else ranges.push([n, n]);
  }
  const text = ranges.slice(0, SHOWN_RANGES).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  if (ranges.length > SHOWN_RANGES) text.push("…");
  return `: lines ${text.join(", ")}${ranges.length > 1 ? ` (${count(sorted.length, "line")})` : ""}`;
}

/** "1 line", "1,234 lines". */
function count(n, noun) {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

/** ", N batches for <provider>" when a file is over one batch's limits (submit splits it). */
function partsNote(provider, report) {
  const byRequests = provider.maxRequests ? Math.ceil(report.count / provider.maxRequests) : 1;
  const byBytes = provider.maxBytes ? Math.ceil(report.bytes / provider.maxBytes) : 1;
  const parts = Math.max(byRequests, byBytes);
  return parts > 1 ? ` (at least ${parts} batches for ${provider.label}: submit splits it)` : "";
}

async function validate(ctx) {
  const { file, report } = await readRequests(ctx);
  if (ctx.values.json) ctx.out.write(`${json(report)}\n`);
  else ctx.out.write(`${file}: ${report.count} requests, ${formatBytes(report.bytes)}: ok${partsNote(ctx.provider, report)}\n`);
  return EXIT.ok;
}

async function submit(ctx) {
  const { values, client, signal, out } = ctx;
  const metadata = parseMetadata(values.metadata);
  const { file, text, report } = await readRequests(ctx);
  note(ctx, `${file}: ${report.count} requests, ${formatBytes(report.bytes)}: uploading…`);
  const filename = file === "-" ? "input.jsonl" : path.basename(file);
  let batches;
  try {
    batches = await client.submitAll(text, { endpoint: values.endpoint, completion_window: values.window, metadata, filename, signal });
  } catch (error) {
    // Part of a job made it: those batches are real, and their ids must not be lost.
    for (const b of error?.batches ?? []) if (!values.json) out.write(`${safe(b.id)}\n`);
    if (error?.batches?.length) ctx.leftBehind = () => stillRunning(error.batches);
    throw error;
  }
  for (const b of batches) {
    note(ctx, `created ${b.id} (${statusText(b)})${batches.length > 1 ? `, part ${b.metadata?.part ?? "?"}` : ""}`);
    if (!values.json) out.write(`${safe(b.id)}\n`);
  }
  if (values.wait) batches = await waitAll(ctx, batches);
  if (values.json) out.write(`${json(batches.length === 1 ? batches[0] : batches)}\n`);
  return values.wait ? ended(ctx, batches) : EXIT.ok;
}

/**
 * Follows batches until all have ended, in one progress display: a bar over every request of all
 * of them in a terminal, a line per change otherwise.
 */
async function waitAll(ctx, batches) {
  const { values, client, signal } = ctx;
  const pollInterval = duration("--interval", values.interval ?? "30s");
  const progress = new ProgressLine(process.stderr, !values.quiet);
  const latest = new Map(batches.map((b) => [b.id, b]));
  const lastLine = new Map();
  // An interrupt leaves these running, and billed: say so, with how to follow them.
  ctx.leftBehind = () => stillRunning([...latest.values()]);
  const show = () => {
    const all = [...latest.values()];
    const sum = all.reduce((s, b) => { const c = counts(b); return { total: s.total + c.total, done: s.done + c.done, failed: s.failed + c.failed }; }, { total: 0, done: 0, failed: 0 });
    const ended = all.filter((b) => isTerminal(b)).length;
    const share = sum.total > 0 ? sum.done / sum.total : ended / all.length;
    const label = all.length === 1 ? `${all[0].id}  ${statusText(all[0]).padEnd(11)}` : `${all.length} batches, ${ended} ended`;
    const { elapsed, eta } = timing(all);
    const times = `${elapsed ? `  elapsed ${elapsed}` : ""}${eta ? `  ETA ${eta}` : ""}`;
    progress.update(`${label} ${bar(share, 24)} ${String(Math.floor(share * 100)).padStart(3)}%  ${sum.done}/${sum.total}${sum.failed ? ` (${sum.failed} failed)` : ""}${times}`, true);
  };
  const onUpdate = (b) => {
    latest.set(b.id, b);
    const line = `${statusText(b)} ${progressText(b)}`;
    if (!progress.enabled && lastLine.get(b.id) !== line) note(ctx, `${b.id} ${line}`);
    lastLine.set(b.id, line);
    show();
  };
  for (const b of batches) onUpdate(b);
  // The elapsed time moves between polls too.
  const tick = progress.enabled ? setInterval(show, 1000) : null;
  try {
    if (batches.length === 1) {
      // One batch: waitFor, which also follows the provider's own openai-poll-after-ms.
      latest.set(batches[0].id, await client.waitFor(batches[0].id, { pollInterval, signal, onProgress: onUpdate }));
    } else {
      const done = await client.watch({ ids: batches.map((b) => b.id), pollInterval, signal, onUpdate, onError: (e) => warn(ctx, e) });
      for (const b of done) latest.set(b.id, b);
    }
  } finally {
    clearInterval(tick);
    progress.done();
  }
  return batches.map((b) => latest.get(b.id));
}

/**
 * What an interrupt leaves behind of `batches` (`{ message, ids }`: those not seen ended, and how to
 * follow them), or null when all ended.
 */
function stillRunning(batches) {
  const running = batches.filter((b) => !isTerminal(b));
  if (running.length === 0) return null;
  const ids = running.map((b) => b.id);
  const list = ids.join(" ");
  const message =
    running.length === 1
      ? `${list} is still ${statusText(running[0])}: it goes on, and is billed, without this command; follow it with llm-batches watch ${list}, or stop it with llm-batches cancel ${list}`
      : `${running.length} batches are still running: they go on, and are billed, without this command; follow them with llm-batches watch ${list}, or stop each with llm-batches cancel ID`;
  return { message, ids };
}

/** The exit code of batches waited for: 0 when all completed, else 4, saying which did not. */
function ended(ctx, batches) {
  const bad = batches.filter((b) => b.status !== "completed");
  const tokens = usageLine(batches);
  if (bad.length === 0) {
    const ids = batches.map((b) => b.id).join(" ");
    note(ctx, `${batches.length === 1 ? `${batches[0].id} completed: ${progressText(batches[0])}` : `${batches.length} batches completed`}${tokens ? `; ${tokens}` : ""}; fetch with: llm-batches results ${ids}`);
    return EXIT.ok;
  }
  for (const b of bad) {
    const why = b.errors?.data?.[0]?.message;
    note(ctx, `${b.id} ended ${statusText(b)}${why ? `: ${why}` : ""}`);
  }
  return EXIT.ended;
}

/** "tokens: 1,234 in, 567 out, 1,801 total (12 cached)", from what the batches say; "" when nothing. */
function usageLine(items) {
  const sum = { input_tokens: 0, output_tokens: 0, total_tokens: 0, cached_tokens: 0, counted: 0 };
  for (const item of items) {
    const u = usageOf(item);
    if (!u) continue;
    sum.counted += 1;
    for (const k of ["input_tokens", "output_tokens", "total_tokens", "cached_tokens"]) sum[k] += u[k];
  }
  if (sum.counted === 0) return "";
  const n = (x) => x.toLocaleString("en-US");
  return `tokens: ${n(sum.input_tokens)} in, ${n(sum.output_tokens)} out, ${n(sum.total_tokens)} total${sum.cached_tokens ? ` (${n(sum.cached_tokens)} cached)` : ""}`;
}

async function resubmit(ctx) {
  const { values, client, signal, out } = ctx;
  const requests = values.requests ? await readText(values.requests) : undefined;
  const metadata = parseMetadata(values.metadata);
  const batch = await client.resubmit(ctx.positionals[0], { requests, metadata, signal });
  if (batch === null) {
    note(ctx, `every request of ${ctx.positionals[0]} succeeded: nothing to resubmit`);
    if (values.json) out.write("null\n");
    return EXIT.ok;
  }
  note(ctx, `created ${batch.id} (${statusText(batch)}) with ${counts(batch).total || "the"} requests that did not succeed`);
  if (!values.json) out.write(`${safe(batch.id)}\n`);
  const done = values.wait ? await waitAll(ctx, [batch]) : [batch];
  if (values.json) out.write(`${json(done[0])}\n`);
  return values.wait ? ended(ctx, done) : EXIT.ok;
}

async function results(ctx) {
  const { values, client, signal } = ctx;
  const ids = [...new Set(ctx.positionals)];
  const batches = [];
  for (const id of ids) batches.push(await client.retrieve(id, { signal }));
  for (const batch of batches) {
    // Files (or Anthropic's results URL) come once a batch has ended; some providers fill them earlier.
    if (!isTerminal(batch) && !batch.output_file_id && !batch.error_file_id) {
      return fail(ctx, `batch ${batch.id} is ${statusText(batch)}: its results are not ready yet`, EXIT.api);
    }
  }
  const sink = values.out ? await openOut(values.out) : process.stdout;
  // Results printed to a terminal would be garbled by a progress line redrawn between them.
  const progress = new ProgressLine(process.stderr, !values.quiet && (Boolean(values.out) || !process.stdout.isTTY));
  const total = batches.reduce((n, b) => n + counts(b).total, 0);
  const tokens = { input_tokens: 0, output_tokens: 0, total_tokens: 0, cached_tokens: 0, counted: 0 };
  let lines = 0;
  let errors = 0;
  let bytes = 0;
  if (values.out) {
    ctx.leftBehind = () => ({
      message: `${total ? `${lines.toLocaleString("en-US")} of ${count(total, "line")}` : count(lines, "line")} written to ${values.out}: the file is partial`,
      out: values.out,
      lines,
      partial: true,
    });
  }
  try {
    for await (const result of client.results(batches, { signal })) {
      const text = `${json(result)}\n`;
      lines += 1;
      bytes += Buffer.byteLength(text);
      if (result.error) errors += 1;
      const used = usageOf(result);
      if (used) {
        tokens.counted += 1;
        for (const k of ["input_tokens", "output_tokens", "total_tokens", "cached_tokens"]) tokens[k] += used[k];
      }
      await write(sink, text);
      if (sink.failure) throw sink.failure;
      const share = total > 0 ? Math.min(1, lines / total) : 0;
      progress.update(`results ${bar(share, 24)} ${lines}${total ? `/${total}` : ""} lines, ${errors} errors, ${formatBytes(bytes)}`);
    }
  } finally {
    progress.done();
    if (values.out) await new Promise((resolve) => sink.end(resolve));
  }
  ctx.leftBehind = null;
  const { counted, ...usage } = tokens;
  const summary = { ids, out: values.out ?? null, lines, errors, bytes, usage: counted ? usage : null };
  if (ids.length === 1) summary.id = ids[0];
  if (values.json && values.out) ctx.out.write(`${json(summary)}\n`);
  const n = (x) => x.toLocaleString("en-US");
  const tokenText = counted ? `; tokens: ${n(usage.input_tokens)} in, ${n(usage.output_tokens)} out, ${n(usage.total_tokens)} total${usage.cached_tokens ? ` (${n(usage.cached_tokens)} cached)` : ""}` : "";
  note(ctx, `${lines} results (${errors} with an error)${values.out ? ` written to ${values.out}` : ""}${tokenText}`);
  return EXIT.ok;
}

/** A file for `--out`, opened before anything is downloaded; a later write error is kept on `failure`. */
async function openOut(file) {
  const stream = createWriteStream(file);
  try {
    await new Promise((resolve, reject) => stream.once("open", resolve).once("error", reject));
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${error.code ?? error.message}`);
  }
  stream.on("error", (error) => {
    stream.failure = error;
  });
  return stream;
}

async function cancel(ctx) {
  const batch = await ctx.client.cancel(ctx.positionals[0], { signal: ctx.signal });
  if (ctx.values.json) ctx.out.write(`${json(batch)}\n`);
  else ctx.out.write(`${safe(`${batch.id}  ${statusText(batch)}`)}\n`);
  return EXIT.ok;
}

// ---- plumbing ---------------------------------------------------------------------------------

function note(ctx, text) {
  if (!ctx.values.quiet) process.stderr.write(`${safe(redact(ctx, text))}\n`);
}

function warn(ctx, error) {
  if (ctx.values.json) process.stderr.write(`${json({ warning: errorJson(ctx, error) })}\n`);
  else if (!ctx.values.quiet) process.stderr.write(`llm-batches: warning: ${safe(redact(ctx, describe(error)))}\n`);
}

/**
 * Says `message` on stderr: "llm-batches: error: …" (`kind` in place of "error" for another than the
 * CLI's own "cli"), or with --json `{"error": {kind, message, …detail}}`. Returns `code`.
 */
function fail(ctx, message, code, kind = "cli", detail = {}) {
  if (ctx.values.json) process.stderr.write(`${json({ error: { kind, message: redact(ctx, message), ...detail } })}\n`);
  else process.stderr.write(`llm-batches: ${kind === "cli" ? "error" : kind}: ${safe(redact(ctx, message))}\n`);
  return code;
}

function describe(error) {
  if (!(error instanceof BatchError)) return String(error?.message ?? error);
  const details = [
    error.status === null ? null : `HTTP ${error.status}`,
    error.code === null ? null : `code ${error.code}`,
    error.requestId === null ? null : `request ${error.requestId}`,
  ].filter(Boolean);
  return `${error.message}${details.length ? ` (${details.join(", ")})` : ""}`;
}

function errorJson(ctx, error) {
  if (!(error instanceof BatchError)) return { kind: "cli", message: redact(ctx, String(error?.message ?? error)) };
  return { kind: error.kind, status: error.status, code: error.code, request_id: error.requestId, message: redact(ctx, error.message) };
}

/**
 * The library never puts the key in a message; this is the CLI's own guarantee on top. A string too
 * short to be a real key would only mangle words.
 */
function redact(ctx, text) {
  return ctx.apiKey?.length >= 8 ? String(text).split(ctx.apiKey).join("[redacted]") : String(text);
}

/** Writes and waits for the stream to drain when its buffer is full. */
function write(stream, text) {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off("error", onError);
      resolve();
    };
    const onError = (error) => {
      stream.off("drain", onDrain);
      reject(error);
    };
    stream.once("drain", onDrain).once("error", onError);
  });
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function duration(flag, text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(text).trim());
  if (!m) throw new UsageError(`${flag} wants a duration such as 500ms, 30s or 5m, not "${text}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"];
  if (ms < 1 || ms > 2_147_483_647) throw new UsageError(`${flag} is out of range: ${text}`);
  return Math.round(ms);
}

function intOption(flag, text, min) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} wants an integer of at least ${min}, not "${text}"`);
  return n;
}

function parseMetadata(pairs = []) {
  if (pairs.length === 0) return undefined;
  const metadata = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at < 1) throw new UsageError(`--metadata wants KEY=VALUE, not "${pair}"`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return metadata;
}

function version() {
  return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
}

/** Reads the arguments and the environment; throws UsageError for anything wrong. */
function configure(argv, env) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? unknownOption(argv, error) : error.message);
  }
  const { values, positionals } = parsed;
  if (values.help || values.version) return { values, positionals };
  const [name, ...rest] = positionals;
  if (!name) throw new UsageError("no command given");
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  if (!command) throw new UsageError(`unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}`);
  const [min, max] = command.args;
  if (rest.length < min) throw new UsageError(`${name} needs ${min === 1 ? "an argument" : `${min} arguments`} (see --help)`);
  if (rest.length > max) throw new UsageError(`${name} takes ${max === 0 ? "no arguments" : `at most ${max}`}, got ${rest.length}`);
  for (const key of Object.keys(values)) {
    if (!COMMON.includes(key) && !command.options.includes(key)) {
      const owners = Object.keys(COMMANDS).filter((n) => COMMANDS[n].options.includes(key));
      throw new UsageError(`--${key} does not apply to ${name} (only to ${owners.join(", ")})`);
    }
  }
  const ctx = { name, command, values, positionals: rest, out: process.stdout };
  const providerName = values.provider ?? (env.LLM_BATCHES_PROVIDER || "openai");
  const provider = PROVIDERS.find((p) => p.name === providerName);
  if (!provider) throw new UsageError(`unknown provider "${providerName}" (one of: ${PROVIDER_NAMES.join(", ")})`);
  ctx.providerName = provider.name;
  ctx.provider = provider;
  if (command.offline) return ctx;

  const { baseURL, keyVar } = connection(values, env, provider);
  const apiKey = env[keyVar];
  if (!apiKey) {
    throw new UsageError(
      values["api-key-env"] || keyVar === "LLM_BATCHES_API_KEY"
        ? `$${keyVar} is not set`
        : `no API key: set ${keyVar} for ${provider.label}, or name another variable with --api-key-env NAME`,
    );
  }
  ctx.apiKey = apiKey;
  const options = { apiKey, baseURL, provider: provider.name };
  const apiVersion = values["api-version"] ?? (provider.name === "azure" ? env.AZURE_OPENAI_API_VERSION : undefined);
  if (apiVersion) options.apiVersion = apiVersion;
  if (values.timeout !== undefined) options.timeout = duration("--timeout", values.timeout);
  if (values["max-retries"] !== undefined) options.maxRetries = intOption("--max-retries", values["max-retries"], 0);
  ctx.client = new BatchClient(options);
  return ctx;
}

/**
 * "unknown option --limt; did you mean --limit?": the closest option of the command given (of any
 * command when none is), from parseArgs' error.
 */
function unknownOption(argv, error) {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (!option) return error.message;
  if (!option.startsWith("--")) return `unknown option ${option}`;
  const name = argv.find((arg) => Object.hasOwn(COMMANDS, arg));
  const names = name ? [...COMMON, ...COMMANDS[name].options] : Object.keys(OPTIONS);
  return `unknown option ${option}${didYouMean(option.slice(2), names, "--")}`;
}

/** "; did you mean X?" for the candidate closest to `word` (shown after `prefix`), or "" when none is close. */
function didYouMean(word, candidates, prefix = "") {
  const typed = word.toLowerCase();
  let best = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // A prefix ("--interv") is as good as one typo.
    const d = typed.length >= 3 && candidate.startsWith(typed) ? 1 : editDistance(typed, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(typed.length / 3)) ? `; did you mean ${prefix}${best}?` : "";
}

/** Edits (insert, delete, replace, swap two neighbours) between `a` and `b`. */
function editDistance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Where requests go and which variable holds the key for that place. A provider's variable is only
 * read for its own host (or, without a default host, the resource the user names): a key set for
 * one provider never goes to another, nor to a proxy named on the command line.
 */
function connection(values, env, provider) {
  let baseURL = provider.baseURL || undefined;
  let from = "provider";
  if (values["base-url"] !== undefined) [baseURL, from] = [values["base-url"], "--base-url"];
  else if (env.LLM_BATCHES_BASE_URL) [baseURL, from] = [env.LLM_BATCHES_BASE_URL, "LLM_BATCHES_BASE_URL"];
  else if (provider.name === "openai" && env.OPENAI_BASE_URL) [baseURL, from] = [env.OPENAI_BASE_URL, "OPENAI_BASE_URL"];
  if (values["api-key-env"]) return { baseURL, keyVar: values["api-key-env"] };
  if (env.LLM_BATCHES_API_KEY) return { baseURL, keyVar: "LLM_BATCHES_API_KEY" };
  const own = from === "provider" || from === "OPENAI_BASE_URL" || !provider.baseURL || hostOf(baseURL) === hostOf(provider.baseURL);
  if (!own) {
    throw new UsageError(
      `${from} points at ${hostOf(baseURL) || baseURL}, not ${provider.label}'s host: $${provider.keyEnv} is only sent to ${hostOf(provider.baseURL)}; ` +
        "name the variable that holds this host's key with --api-key-env NAME, or set LLM_BATCHES_API_KEY",
    );
  }
  return { baseURL, keyVar: provider.keyEnv };
}

function hostOf(url) {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return "";
  }
}

async function main(argv, env) {
  const controller = new AbortController();
  // Until the arguments are read: a usage error of a `--json` run is JSON too.
  let ctx = { values: { json: argv.includes("--json") } };
  let stoppedBy = null;
  let told = false;
  // Ends the ^C line and says, once, what the command leaves behind (`ctx.leftBehind()`: batches still
  // running, a partial file, as `{ message, …detail for --json }`); the exit code.
  const interrupted = () => {
    const code = stoppedBy === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
    if (told) return code;
    told = true;
    if (!ctx.values.json) process.stderr.write("\n");
    const { message, ...detail } = ctx.leftBehind?.() ?? {};
    return message ? fail(ctx, message, code, stoppedBy === "SIGINT" ? "interrupted" : "terminated", detail) : code;
  };
  const stop = (signal) => {
    // A second Ctrl-C does not wait for the request in flight to wind down.
    if (stoppedBy) process.exit(interrupted());
    stoppedBy = signal;
    controller.abort();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // `llm-batches results ID | head`: a closed pipe ends the output, it is not an error.
  process.stdout.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });

  try {
    ctx = configure(argv, env);
    if (ctx.values.help) {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    if (ctx.values.version) {
      process.stdout.write(`${version()}\n`);
      return EXIT.ok;
    }
    ctx.signal = controller.signal;
    return await ctx.command.run(ctx);
  } catch (error) {
    if (error instanceof Exit) return error.code;
    if (stoppedBy) return interrupted();
    if (error instanceof UsageError) {
      fail(ctx, error.message, EXIT.usage);
      if (!ctx.values.json) process.stderr.write("Run llm-batches --help for the commands and options.\n");
      return EXIT.usage;
    }
    if (ctx.values.json) process.stderr.write(`${json({ error: errorJson(ctx, error) })}\n`);
    else process.stderr.write(`llm-batches: error: ${safe(redact(ctx, describe(error)))}\n`);
    // `invalid_argument`: the library refused before sending anything, as for a bad id or option.
    if (error instanceof BatchError) return error.kind === "invalid_argument" ? EXIT.usage : EXIT.api;
    return EXIT.api;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
