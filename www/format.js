// Pure formatting: numbers, times and durations as the dashboard shows them. No DOM here.

export const STATUSES = ["validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled"];
const KNOWN = new Set(STATUSES);

/** The moment each status began, in the order a batch goes through them (expires_at is a deadline). */
export const TIMELINE = [
  ["created_at", "created"],
  ["in_progress_at", "in progress"],
  ["finalizing_at", "finalizing"],
  ["completed_at", "completed"],
  ["failed_at", "failed"],
  ["cancelling_at", "cancelling"],
  ["cancelled_at", "cancelled"],
  ["expired_at", "expired"],
];

const ENDED_AT = ["completed_at", "failed_at", "expired_at", "cancelled_at"];
const ENDED = new Set(["completed", "failed", "expired", "cancelled"]);

/** A status as words (`in_progress` -> `in progress`); anything unknown exactly as sent. */
export function statusText(status) {
  if (typeof status !== "string") return status === null || status === undefined ? "unknown" : JSON.stringify(status);
  return status.replaceAll("_", " ");
}

/** The class suffix of a status; only known statuses become class names. */
export function statusKind(status) {
  return KNOWN.has(status) ? status : "other";
}

export function percent(part, total) {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.round((part / total) * 100));
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
export const count = (n) => integer.format(n);

/** "1.2M", "34k", "512": a token count that fits a cell. */
export function tokens(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return count(n);
}

/**
 * What `usage` (`usageOf`'s shape) costs at `prices` (`{ input, output }`, per million tokens; a
 * price left out counts as 0), or null without usage or prices. Cached input is priced as input.
 */
export function cost(usage, prices) {
  if (!usage || !prices) return null;
  return (usage.input_tokens * (prices.input ?? 0) + usage.output_tokens * (prices.output ?? 0)) / 1e6;
}

const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 2 });

/** `$12.34`; below a cent two significant digits (`$0.0034`), below that `<$0.0001`; `$0.00` for nothing at all. */
export function money(amount) {
  if (amount > 0 && amount < 0.0001) return "<$0.0001";
  if (amount > 0 && amount < 0.01) return cents.format(amount);
  return dollars.format(amount);
}

/**
 * A price per million tokens as typed (`"2.50"`, `"0,15"`), or null when empty or not a number
 * of zero or more.
 */
export function parsePrice(text) {
  const trimmed = String(text ?? "").trim().replace(",", ".");
  if (trimmed === "") return null;
  const n = Number(trimmed);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `45 s`, `3 min 12 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

/** `3 minutes ago`, `in 2 hours`, from unix seconds. */
export function relative(seconds, nowMs) {
  const diff = seconds - nowMs / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size || unit === "second") {
      const value = Math.round(diff / size);
      return unit === "second" && Math.abs(value) < 10 ? "just now" : relativeFormat.format(value, unit);
    }
  }
  return "";
}

const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function exact(seconds) {
  return exactFormat.format(new Date(seconds * 1000));
}

export function isoTime(seconds) {
  return new Date(seconds * 1000).toISOString();
}

/** When the batch stopped moving, in unix seconds, or null while it runs. */
export function endedAt(batch) {
  for (const key of ENDED_AT) if (typeof batch[key] === "number") return batch[key];
  return null;
}

/** Milliseconds from creation to the end, or to now while it runs; null without created_at. */
export function elapsedMs(batch, nowMs) {
  if (typeof batch.created_at !== "number") return null;
  const end = endedAt(batch);
  return (end === null ? nowMs : end * 1000) - batch.created_at * 1000;
}

/**
 * Requests per millisecond, from what we saw change (`sample`: the first observation of this run,
 * `{ at, done }`) or else from the provider's own in_progress_at; null when there is no rate yet.
 */
export function rate(batch, sample, nowMs) {
  const done = batch.request_counts.completed + batch.request_counts.failed;
  if (sample && done > sample.done && nowMs > sample.at) return (done - sample.done) / (nowMs - sample.at);
  if (typeof batch.in_progress_at === "number" && done > 0) {
    const spent = nowMs - batch.in_progress_at * 1000;
    if (spent > 0) return done / spent;
  }
  return null;
}

/** Milliseconds until the batch's completion window closes (negative once past it), or null when it has ended or has no deadline. */
export function deadlineMs(batch, nowMs) {
  if (ENDED.has(batch.status) || typeof batch.expires_at !== "number") return null;
  return batch.expires_at * 1000 - nowMs;
}

/** Requests of an ended batch that never ran (it failed, expired or was cancelled first); null while it runs. */
export function notRun(batch) {
  if (!ENDED.has(batch.status)) return null;
  const { total, completed, failed } = batch.request_counts;
  return Math.max(0, total - completed - failed);
}

/** A deadline this close is worth a word even without a rate to compare it with. */
export const SOON_MS = 6 * 3_600_000;

/**
 * What the ETA column says: `{ kind, text, title }`. `kind` is `eta` (it should finish in time:
 * "~4 min"), `late` (at this rate it will not finish before its window closes: "expires in 2 h"),
 * `expires` (no rate yet, and the window closes within SOON_MS: "expires in 3 h"), `overdue` (the
 * window has closed but the provider has not ended it) or `none` ("—": ended, or nothing to say
 * yet; `title` still tells when the window closes).
 */
export function timeLeft(batch, sample, nowMs) {
  const none = { kind: "none", text: "—", title: "" };
  if (ENDED.has(batch.status)) return none;
  const left = deadlineMs(batch, nowMs);
  const window = typeof batch.completion_window === "string" ? `${batch.completion_window} ` : "";
  if (left !== null && left <= 0) {
    return { kind: "overdue", text: "overdue", title: `Its ${window}completion window ended ${duration(-left)} ago (${exact(batch.expires_at)}), and the provider has not ended it yet.` };
  }
  const eta = etaMs(batch, sample, nowMs);
  // A deadline to the minute is precise enough.
  const until = left === null ? null : duration(left < 60_000 ? left : Math.round(left / 60_000) * 60_000);
  const closes = left === null ? "" : `The window closes in ${until} (${exact(batch.expires_at)}).`;
  if (eta !== null && (left === null || eta <= left)) {
    return { kind: "eta", text: `~${duration(eta)}`, title: `Done in about ${duration(eta)} at the rate seen so far. ${closes}`.trim() };
  }
  if (left === null) return none;
  if (eta !== null) {
    return { kind: "late", text: `expires in ${until}`, title: `At the rate seen so far it needs ~${duration(eta)} more: it will not finish before its window closes. ${closes}` };
  }
  if (left > SOON_MS) return { ...none, title: closes };
  return { kind: "expires", text: `expires in ${until}`, title: closes };
}

/** Milliseconds left at the observed rate, or null when unknown or not running. */
export function etaMs(batch, sample, nowMs) {
  if (batch.status !== "in_progress") return null;
  const { total, completed, failed } = batch.request_counts;
  const r = rate(batch, sample, nowMs);
  if (!r || !(total > 0)) return null;
  return Math.max(0, (total - completed - failed) / r);
}

/** A metadata value as text: strings as they are, anything else as JSON. */
export function valueText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `job=nightly, team=search` -> `{ job: "nightly", team: "search" }`; throws on a pair without `=`. */
export function parseMetadata(text) {
  const metadata = {};
  for (const part of text.split(",")) {
    const pair = part.trim();
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`“${pair}” is not key=value`);
    metadata[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return Object.keys(metadata).length ? metadata : null;
}
