#!/usr/bin/env node
// llm-batches: the Batch API from a terminal (`npx llm-batches --help`). Node.js >= 20, no
// dependencies beyond the package itself. Output for people goes to a terminal as tables and
// progress bars; when stdout is not a terminal it is plain lines, and `--json` is for programs.
import { createWriteStream, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { BatchClient, BatchError, PROVIDERS, isTerminal, usageOf, validateRequests } from "./node.js";

const EXIT = { ok: 0, api: 1, usage: 2, invalid: 3, ended: 4, interrupted: 130, terminated: 143 };

const PROVIDER_NAMES = PROVIDERS.map((p) => p.name);
const KEY_VARS = PROVIDERS.map((p) => `  ${p.name.padEnd(22)} $${p.keyEnv}`).join("\n");

const HELP = `Usage: llm-batches <command> [options]

Drive a Batch API (${PROVIDERS.map((p) => p.label).join(", ")}) from the terminal.

Commands:
  list                   one page of batches, newest first  [--limit N] [--after ID | --page P] [--all]
  get ID                 one batch
  watch [ID...]          follow batches until they end: a live table with progress bars in a
                         terminal, one line per change otherwise; without IDs, the newest page
                         of batches, until Ctrl-C                               [--interval D]
  submit FILE.jsonl      validate the requests, upload them and create a batch ("-" reads stdin);
                         a file over the provider's limits becomes several batches, one id a line
                         [--endpoint URL] [--window 24h] [--metadata KEY=VALUE]... [--wait]
  validate FILE.jsonl    only check a batch input file; sends nothing, needs no key
  results ID...          the batches' results (output file, then error file) as JSON lines on
                         stdout, progress and token totals on stderr            [--out FILE]
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

D is a duration: 500ms, 30s, 5m, 1h, or a number of seconds.

Exit codes:
  0    done
  1    the provider answered with an error or could not be reached; a batch without results
  2    usage: unknown command or option, missing argument, no API key, unreadable file
  3    the input file is invalid (submit, validate): every problem is listed with its line
  4    a batch waited for ended failed, expired or cancelled (submit --wait, watch ID...)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)

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
  list: { args: [0, 0], options: ["limit", "after", "page", "all"], run: list },
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

function localTime(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const d = new Date(seconds * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
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
  const params = { limit, after: values.after, page: values.page };
  if (values.all) {
    if (values.json) {
      out.write("[");
      let first = true;
      for await (const batch of client.listAll(params, { signal })) {
        await write(out, `${first ? "\n" : ",\n"}${json(batch)}`);
        first = false;
      }
      out.write(first ? "]\n" : "\n]\n");
      return EXIT.ok;
    }
    const all = [];
    for await (const batch of client.listAll(params, { signal })) all.push(batch);
    printBatchTable(out, all);
    return EXIT.ok;
  }
  const page = await client.list(params, { signal });
  if (values.json) {
    out.write(`${json(page)}\n`);
  } else {
    printBatchTable(out, page.data);
    if (page.has_more) note(ctx, `more: llm-batches list ${nextPageArgs(ctx, page)}`);
  }
  return EXIT.ok;
}

/** The options that ask for the page after `page`, as the provider pages. */
function nextPageArgs(ctx, page) {
  const provider = ctx.client.provider;
  if (provider === "gemini" && page.nextPageToken) return `--page ${page.nextPageToken}`;
  if (provider === "mistral") return `--page ${Number(ctx.values.page ?? 0) + 1}`;
  if (provider === "groq" && page.paging?.next_cursor) return `--after ${page.paging.next_cursor}`;
  return `--after ${page.last_id}`;
}

function printBatchTable(out, batches) {
  if (batches.length === 0) {
    out.write("no batches\n");
    return;
  }
  const on = color(out);
  const rows = batches.map((b) => [b.id ?? "", statusText(b), progressText(b), localTime(b.created_at), b.endpoint ?? ""]);
  const lines = table(["ID", "STATUS", "PROGRESS", "CREATED", "ENDPOINT"], rows, {
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
  const rows = [
    ["id", batch.id],
    ["status", paint(on, STATUS_STYLE[batch.status], safe(statusText(batch)))],
    ["requests", `${progressText(batch)}, ${percent(batch)}%`],
    ["endpoint", batch.endpoint],
    ["completion_window", batch.completion_window],
    ["input_file_id", batch.input_file_id],
    ["output_file_id", batch.output_file_id],
    ["error_file_id", batch.error_file_id],
  ];
  for (const [key, value] of Object.entries(batch)) {
    if (key.endsWith("_at") && typeof value === "number") rows.push([safe(key), `${localTime(value)}  (${value})`]);
  }
  if (batch.metadata && Object.keys(batch.metadata).length) rows.push(["metadata", json(batch.metadata)]);
  const tokens = usageLine([batch]);
  if (tokens) rows.push(["tokens", tokens.replace(/^tokens: /, "")]);
  for (const e of batch.errors?.data ?? []) {
    rows.push(["error", `${e.code ?? "error"}: ${e.message ?? ""}${e.line ? ` (line ${e.line})` : ""}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const shown = rows.filter(([, v]) => v !== null && v !== undefined);
  // The status is escaped before it is painted; every other value is escaped here.
  out.write(`${shown.map(([k, v]) => `${k.padEnd(width)}  ${k === "status" ? v : safe(v)}`).join("\n")}\n`);
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
  const rows = batches.map(([id, b]) =>
    b === null ? [id, "…", "", "", ""] : [id, statusText(b), bar(percent(b) / 100, 20), `${percent(b)}%`.padStart(4), progressText(b)],
  );
  const lines = rows.length
    ? table(["ID", "STATUS", "PROGRESS", "", "REQUESTS"], rows, { on, styles: [null, (s) => STATUS_STYLE[s], () => "cyan"], width })
    : ["waiting for the first list page…"];
  if (hidden) lines.push(paint(on, "dim", `… and ${hidden} more`));
  const running = [...latest.values()].filter((b) => b === null || !isTerminal(b)).length;
  const when = updated ? `updated ${updated.toLocaleTimeString()}` : "starting";
  const error = lastError ? `  ·  ${paint(on, "red", `last error: ${safe(lastError.message)}`)}` : "";
  lines.push(fit([{ text: `${latest.size} batches, ${running} running  ·  ${when}  ·  Ctrl-C to stop` }], width, on) + error);
  return lines;
}

/** Reads and checks a batch input file; prints its problems. Returns the text, or throws Exit(3). */
async function readRequests(ctx) {
  const file = ctx.positionals[0];
  let text;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`);
  }
  // submit cuts a file over the provider's limits into several batches: those limits are no problem.
  const report = validateRequests(text, { endpoint: ctx.values.endpoint, provider: ctx.providerName, split: true });
  if (!report.ok) {
    if (ctx.values.json) ctx.out.write(`${json(report)}\n`);
    const shown = report.errors.slice(0, 50);
    for (const e of shown) process.stderr.write(`${safe(file)}${e.line === null ? "" : `:${e.line}`}: ${safe(e.message)}\n`);
    if (report.errors.length > shown.length) process.stderr.write(`… and ${report.errors.length - shown.length} more problems\n`);
    process.stderr.write(`llm-batches: ${file} is not a valid batch input (${report.errors.length} problem${report.errors.length === 1 ? "" : "s"}); nothing was sent\n`);
    throw new Exit(EXIT.invalid);
  }
  return { file, text, report };
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
  const show = () => {
    const all = [...latest.values()];
    const sum = all.reduce((s, b) => { const c = counts(b); return { total: s.total + c.total, done: s.done + c.done, failed: s.failed + c.failed }; }, { total: 0, done: 0, failed: 0 });
    const ended = all.filter((b) => isTerminal(b)).length;
    const share = sum.total > 0 ? sum.done / sum.total : ended / all.length;
    const label = all.length === 1 ? `${all[0].id}  ${statusText(all[0]).padEnd(11)}` : `${all.length} batches, ${ended} ended`;
    progress.update(`${label} ${bar(share, 24)} ${String(Math.floor(share * 100)).padStart(3)}%  ${sum.done}/${sum.total}${sum.failed ? ` (${sum.failed} failed)` : ""}`, true);
  };
  const onUpdate = (b) => {
    latest.set(b.id, b);
    const line = `${statusText(b)} ${progressText(b)}`;
    if (!progress.enabled && lastLine.get(b.id) !== line) note(ctx, `${b.id} ${line}`);
    lastLine.set(b.id, line);
    show();
  };
  for (const b of batches) onUpdate(b);
  try {
    if (batches.length === 1) {
      // One batch: waitFor, which also follows the provider's own openai-poll-after-ms.
      latest.set(batches[0].id, await client.waitFor(batches[0].id, { pollInterval, signal, onProgress: onUpdate }));
    } else {
      const done = await client.watch({ ids: batches.map((b) => b.id), pollInterval, signal, onUpdate, onError: (e) => warn(ctx, e) });
      for (const b of done) latest.set(b.id, b);
    }
  } finally {
    progress.done();
  }
  return batches.map((b) => latest.get(b.id));
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
  let requests;
  if (values.requests) {
    try {
      requests = await readFile(values.requests, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read ${values.requests}: ${error.code ?? error.message}`);
    }
  }
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

function fail(ctx, message, code) {
  if (ctx.values.json) process.stderr.write(`${json({ error: { kind: "cli", message } })}\n`);
  else process.stderr.write(`llm-batches: error: ${safe(redact(ctx, message))}\n`);
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
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help || values.version) return { values, positionals };
  const [name, ...rest] = positionals;
  if (!name) throw new UsageError("no command given");
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const [min, max] = command.args;
  if (rest.length < min) throw new UsageError(`${name} needs ${min === 1 ? "an argument" : `${min} arguments`} (see --help)`);
  if (rest.length > max) throw new UsageError(`${name} takes ${max === 0 ? "no arguments" : `at most ${max}`}, got ${rest.length}`);
  for (const key of Object.keys(values)) {
    if (!COMMON.includes(key) && !command.options.includes(key)) throw new UsageError(`--${key} does not apply to ${name}`);
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
  let stoppedBy = null;
  const stop = (signal) => {
    // A second Ctrl-C does not wait for the request in flight to wind down.
    if (stoppedBy) process.exit(signal === "SIGINT" ? EXIT.interrupted : EXIT.terminated);
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

  let ctx = { values: {} };
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
    if (stoppedBy) {
      if (!ctx.values.json) process.stderr.write("\n");
      return stoppedBy === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
    }
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
