// The dashboard: connect to a provider, keep its newest batches live with `client.watch`, and open
// any of them (detail.js) or create one from a JSONL file (create.js). It uses the package exactly
// as an application would. The API key lives in the client and the key field only, unless the user
// opts in to sessionStorage; it is never put in a URL, localStorage or the console.
import { BatchClient, BatchError, PROVIDERS, isTerminal, usageOf } from "llm-batches";
import { $, badge, chips, el, progress, show, timeAgo } from "./dom.js";
import { duration, elapsedMs, etaMs, statusText, valueText } from "./format.js";
import { createDetail } from "./detail.js";
import { createCreator } from "./create.js";

/** The demo presets talk to the mock provider that serves this page, so they need no key. */
const DEMOS = [
  ["openai", "/openai/v1"],
  ["ppinfra", "/ppinfra/openai/v1"],
  ["anthropic", "/anthropic/v1"],
  ["mistral", "/mistral/v1"],
];
const labelOf = (name) => PROVIDERS.find((p) => p.name === name)?.label ?? name;
/** One preset per demo and per provider of the package's table, then any OpenAI-compatible URL. */
const PRESETS = {
  ...Object.fromEntries(
    DEMOS.map(([provider, path]) => [`demo-${provider}`, { label: `Demo mock (${labelOf(provider)})`, provider, path, demo: true, poll: 2_000 }]),
  ),
  ...Object.fromEntries(PROVIDERS.map((p) => [p.name, { label: p.label, provider: p.name, url: p.baseURL, poll: 15_000 }])),
  custom: { label: "custom provider", provider: "openai", dialect: "auto", poll: 15_000 },
};
const REMEMBER = "llm-batches-dashboard";
const TIME_REFRESH_MS = 5_000;

const ui = {
  connection: $("connection"),
  connect: $("connect"),
  preset: $("preset"),
  baseUrl: $("base-url"),
  apiKey: $("api-key"),
  remember: $("remember"),
  alert: $("alert"),
  freshness: $("freshness"),
  filter: $("filter"),
  search: $("search"),
  newBatch: $("new-batch"),
  summary: $("summary"),
  rows: $("rows"),
  announcer: $("announcer"),
};

const state = {
  client: null,
  preset: null,
  baseURL: "",
  batches: new Map(), // id -> the latest Batch
  rows: new Map(), // id -> its <tr>
  samples: new Map(), // id -> { at, done }: first sight while in progress, for the ETA
  watch: null, // AbortController of the running watch
  lastUpdate: null, // when the last list page arrived (ms)
  stopped: false, // the watch ended with an error
  troubled: false, // a transient error since the last page
  pending: [],
  flushTimer: null,
};

// ---- errors -----------------------------------------------------------------------------------

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return "the provider";
  }
}

/** What went wrong, in words a user can act on. Provider text is only ever shown as text. */
function describeError(error) {
  if (!(error instanceof BatchError)) return String(error?.message ?? error);
  const host = hostOf(state.baseURL);
  const request = error.requestId ? ` (request ${error.requestId})` : "";
  switch (error.kind) {
    case "connection":
      return `Cannot reach ${host}: the provider is unreachable, or it does not allow requests from this page (CORS).`;
    case "timeout":
      return `${host} did not answer in time.`;
    case "invalid_response":
      return `${host} sent something that is not a Batch API answer: ${error.message}`;
    case "invalid_argument":
      return error.message;
    case "api":
      if (error.status === 401) return `The API key was rejected (401): check it and connect again.${request}`;
      if (error.status === 403) return `This key may not use the Batch API (403): ${error.message}${request}`;
      if (error.status === 404 && error.code !== "not_found") return `No Batch API at this base URL (404): check it.${request}`;
      if (error.status === 429) return `Rate limited by ${host} (429); slowing down.${request}`;
      return `${host} answered ${error.status ?? "with an error"}: ${error.message}${request}`;
    default:
      return error.message;
  }
}

function alertUser(text, kind = "error") {
  ui.alert.dataset.kind = kind;
  show(ui.alert, text);
}

// ---- connection -------------------------------------------------------------------------------

function presetURL(preset) {
  return preset.path ? location.origin + preset.path : (preset.url ?? "");
}

/** The provider menu: the demos, then the package's providers, then a custom URL. */
function fillPresets() {
  const option = (key, text) => el("option", { text, attrs: { value: key } });
  const group = (label, keys) => {
    const node = el("optgroup", { attrs: { label } });
    for (const key of keys) node.append(option(key, PRESETS[key].label.replace(/^Demo mock \((.*)\)$/, "Demo mock · $1")));
    return node;
  };
  const keys = Object.keys(PRESETS);
  ui.preset.replaceChildren(
    group("Demo (no key)", keys.filter((k) => PRESETS[k].demo)),
    group("Providers", keys.filter((k) => !PRESETS[k].demo && k !== "custom")),
    option("custom", "Custom base URL"),
  );
}

function selectPreset(key) {
  ui.preset.value = Object.hasOwn(PRESETS, key) ? key : "demo-openai";
  const preset = PRESETS[ui.preset.value];
  // Custom, and providers without a default host (an Azure resource), take a URL.
  const editable = !preset.demo && !preset.url;
  ui.baseUrl.readOnly = !editable;
  ui.baseUrl.value = editable ? "" : presetURL(preset);
  ui.baseUrl.placeholder = ui.preset.value === "azure" ? "https://RESOURCE.openai.azure.com/openai/v1" : editable ? "https://provider.example/v1" : "";
  // A key belongs to one provider: switching providers must not send it to another.
  ui.apiKey.value = "";
  ui.apiKey.placeholder = preset.demo ? "not needed for the demo" : "sk-…";
}

function saveOrForget() {
  if (ui.remember.checked) {
    const saved = { preset: ui.preset.value, baseURL: ui.baseUrl.value, apiKey: ui.apiKey.value };
    sessionStorage.setItem(REMEMBER, JSON.stringify(saved));
  } else {
    sessionStorage.removeItem(REMEMBER);
  }
}

function restore() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(REMEMBER) ?? "null");
  } catch {
    sessionStorage.removeItem(REMEMBER);
  }
  if (!saved || typeof saved !== "object") return false;
  selectPreset(saved.preset);
  if (!ui.baseUrl.readOnly) ui.baseUrl.value = String(saved.baseURL ?? "");
  ui.apiKey.value = String(saved.apiKey ?? "");
  ui.remember.checked = true;
  return true;
}

function connect() {
  const preset = PRESETS[ui.preset.value];
  const baseURL = ui.baseUrl.value.trim();
  let url;
  try {
    url = new URL(baseURL);
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol)) {
    alertUser("Enter the provider's base URL, such as https://api.openai.com/v1.");
    ui.baseUrl.focus();
    return;
  }
  const apiKey = ui.apiKey.value.trim() || (preset.demo ? "demo" : "");
  if (!apiKey) {
    alertUser(`Enter your ${preset.label} API key.`);
    ui.apiKey.focus();
    return;
  }
  let client;
  try {
    client = new BatchClient({ apiKey, baseURL, provider: preset.provider, dialect: preset.dialect, maxRetries: 1 });
  } catch (error) {
    alertUser(describeError(error));
    return;
  }
  saveOrForget();
  state.watch?.abort();
  Object.assign(state, { client, preset, baseURL, lastUpdate: null, stopped: false, troubled: false, pending: [] });
  state.batches.clear();
  state.rows.clear();
  state.samples.clear();
  detail.close();
  show(ui.alert, "");
  ui.rows.replaceChildren();
  ui.newBatch.disabled = false;
  // On a phone the table matters more than the form once connected; the summary reopens it.
  if (matchMedia("(max-width: 44rem)").matches) ui.connection.open = false;
  renderSummary();
  startWatch();
}

// ---- live updates -----------------------------------------------------------------------------

function startWatch() {
  state.watch?.abort();
  state.watch = null;
  if (!state.client || state.stopped || document.hidden) return renderFreshness();
  const controller = new AbortController();
  state.watch = controller;
  state.client
    .watch({
      pollInterval: state.preset.poll,
      signal: controller.signal,
      onUpdate: (batch) => queue(batch),
      // Every cycle that got through is what "updated N s ago" counts from, changed or not.
      onCycle: () => {
        if (state.watch === controller) markFresh();
      },
      // Transient trouble (network, 429, 5xx): the watch backs off and tries again by itself.
      onError: (error) => {
        if (state.watch !== controller) return;
        state.troubled = true;
        alertUser(`${describeError(error)} Retrying…`, "warn");
        renderFreshness();
      },
    })
    .catch((error) => {
      if (controller.signal.aborted) return;
      state.watch = null;
      state.stopped = true;
      alertUser(describeError(error));
      renderFreshness();
    });
  renderFreshness();
}

function markFresh() {
  state.lastUpdate = Date.now();
  state.troubled = false;
  if (ui.alert.dataset.kind === "warn") show(ui.alert, "");
  renderFreshness();
}

function renderFreshness() {
  let text;
  let mode;
  if (!state.client) [text, mode] = ["Not connected", "idle"];
  else if (state.stopped) [text, mode] = ["Stopped: see the message below", "error"];
  else if (document.hidden) [text, mode] = ["Paused while the tab is hidden", "paused"];
  else if (state.troubled) [text, mode] = ["Provider not answering · retrying", "stale"];
  else if (state.lastUpdate === null) [text, mode] = ["Connecting…", "busy"];
  else {
    const age = Math.floor((Date.now() - state.lastUpdate) / 1000);
    mode = age * 1000 > 3 * state.preset.poll + 5_000 ? "stale" : "live";
    text = `${state.preset.label} · updated ${age < 1 ? "just now" : `${age} s ago`}`;
  }
  if (ui.freshness.textContent !== text) ui.freshness.textContent = text;
  ui.freshness.dataset.state = mode;
}

/** watch() reports a whole page in one go; the table is redrawn once for all of it. */
function queue(batch) {
  state.pending.push(batch);
  state.flushTimer ??= setTimeout(flush, 30);
}

function upsert(batch) {
  queue(batch);
  clearTimeout(state.flushTimer);
  flush();
}

function flush() {
  state.flushTimer = null;
  const now = Date.now();
  const changes = [];
  const touched = new Set();
  let added = false;
  for (const batch of state.pending.splice(0)) {
    if (typeof batch?.id !== "string") continue;
    const before = state.batches.get(batch.id);
    state.batches.set(batch.id, batch);
    touched.add(batch.id);
    if (batch.status === "in_progress" && !state.samples.has(batch.id)) {
      state.samples.set(batch.id, { at: now, done: batch.request_counts.completed + batch.request_counts.failed });
    }
    const moved = Boolean(before) && before.status !== batch.status;
    if (!before) added = true;
    if (moved) changes.push(`${batch.id} is now ${statusText(batch.status)}`);
    renderRow(batch.id, now, moved);
  }
  if (added) reorder();
  applyFilter();
  renderSummary();
  detail.refresh(touched);
  if (changes.length) {
    const more = changes.length > 3 ? `, and ${changes.length - 3} more changed` : "";
    announce(`${changes.slice(0, 3).join("; ")}${more}.`);
  }
}

function announce(text) {
  ui.announcer.textContent = text;
}

// ---- the table --------------------------------------------------------------------------------

const COLUMNS = ["ID", "Status", "Progress", "Tokens", "Endpoint", "Created", "Elapsed", "ETA", "Metadata"];

/** "1.2M", "34k", "512": a token count that fits a cell. */
function tokens(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return n.toLocaleString("en-US");
}

function rowFor(id) {
  let tr = state.rows.get(id);
  if (tr) return tr;
  tr = el("tr");
  for (const label of COLUMNS) tr.append(el("td", { attrs: { "data-label": label } }));
  const open = el("button", { className: "link", text: id, attrs: { type: "button", "aria-haspopup": "dialog" } });
  open.addEventListener("click", () => detail.open(id));
  tr.cells[0].append(open);
  // The whole row opens the detail for a mouse; the id button is the keyboard's way in.
  tr.addEventListener("click", (event) => {
    if (!event.target.closest("button, a") && !getSelection().toString()) detail.open(id);
  });
  state.rows.set(id, tr);
  return tr;
}

/** `moved`: the status changed, which the row shows with a brief highlight. */
function renderRow(id, now, moved) {
  const batch = state.batches.get(id);
  const tr = rowFor(id);
  const cells = tr.cells;
  cells[1].replaceChildren(badge(batch.status));
  cells[2].replaceChildren(progress(batch.request_counts));
  const used = usageOf(batch);
  cells[3].textContent = used ? tokens(used.total_tokens) : "—";
  cells[3].title = used ? `${used.input_tokens.toLocaleString("en-US")} in, ${used.output_tokens.toLocaleString("en-US")} out` : "";
  cells[4].replaceChildren(el("code", { text: batch.endpoint ?? "—" }));
  cells[8].replaceChildren(chips(batch.metadata, 3));
  renderTimes(tr, batch, now);
  tr.classList.toggle("running", !isTerminal(batch));
  if (moved) {
    tr.classList.remove("changed");
    void tr.offsetWidth; // restarts the highlight animation
    tr.classList.add("changed");
  }
}

function renderTimes(tr, batch, now) {
  const cells = tr.cells;
  cells[5].replaceChildren(timeAgo(batch.created_at, now));
  const elapsed = elapsedMs(batch, now);
  cells[6].textContent = elapsed === null ? "—" : duration(elapsed);
  const eta = etaMs(batch, state.samples.get(batch.id), now);
  cells[7].textContent = eta === null ? "—" : `~${duration(eta)}`;
}

function createdOf(batch) {
  return typeof batch.created_at === "number" ? batch.created_at : -Infinity;
}

/** Newest first, as providers list them. */
function reorder() {
  const ids = [...state.batches.keys()].sort((a, b) => {
    const x = state.batches.get(a);
    const y = state.batches.get(b);
    return createdOf(y) - createdOf(x) || (a < b ? 1 : a > b ? -1 : 0);
  });
  ui.rows.replaceChildren(...ids.map((id) => state.rows.get(id)));
}

function matches(batch, filter, query) {
  if (filter === "running" && isTerminal(batch)) return false;
  if (filter && filter !== "running" && batch.status !== filter) return false;
  if (!query) return true;
  const words = [batch.id, batch.endpoint, batch.model];
  for (const [key, value] of Object.entries(batch.metadata ?? {})) words.push(key, valueText(value), `${key}=${valueText(value)}`);
  return words.some((word) => typeof word === "string" && word.toLowerCase().includes(query));
}

let emptyRow = null;

function applyFilter() {
  const filter = ui.filter.value;
  const query = ui.search.value.trim().toLowerCase();
  let shown = 0;
  for (const [id, tr] of state.rows) {
    const visible = matches(state.batches.get(id), filter, query);
    tr.hidden = !visible;
    if (visible) shown += 1;
  }
  emptyRow?.remove();
  emptyRow = null;
  if (shown === 0 && state.lastUpdate !== null) {
    const text = state.batches.size ? "No batch matches the filter." : "No batches yet.";
    emptyRow = el("tr", { className: "empty" }, el("td", { text, attrs: { colspan: String(COLUMNS.length) } }));
    ui.rows.append(emptyRow);
  }
  return shown;
}

function renderSummary() {
  const all = [...state.batches.values()];
  const running = all.filter((b) => !isTerminal(b)).length;
  const shown = [...state.rows.values()].filter((tr) => !tr.hidden).length;
  if (!state.client) ui.summary.textContent = "Not connected.";
  else if (state.lastUpdate === null && all.length === 0) ui.summary.textContent = `Waiting for ${state.preset.label}…`;
  else {
    const filtered = shown < all.length ? ` · ${shown} shown` : "";
    // Tokens of the batches on show that say (OpenAI's); the detail counts any other from its results.
    let total = 0;
    for (const [id, tr] of state.rows) if (!tr.hidden) total += usageOf(state.batches.get(id))?.total_tokens ?? 0;
    const spent = total ? ` · ${tokens(total)} tokens` : "";
    ui.summary.textContent = `${all.length} batches from ${state.preset.label} · ${running} running${filtered}${spent}`;
  }
  for (const option of ui.filter.options) {
    if (!option.value) continue;
    const n = option.value === "running" ? running : all.filter((b) => b.status === option.value).length;
    option.textContent = `${option.value === "running" ? "Running" : statusText(option.value)} (${n})`;
  }
}

function refreshTimes() {
  if (document.hidden) return;
  const now = Date.now();
  for (const [id, tr] of state.rows) renderTimes(tr, state.batches.get(id), now);
}

// ---- wiring -----------------------------------------------------------------------------------

const app = {
  get client() {
    return state.client;
  },
  batches: state.batches,
  describeError,
  announce,
  upsert,
};
const detail = createDetail(app);
const creator = createCreator(app);

ui.connect.addEventListener("submit", (event) => {
  event.preventDefault();
  connect();
});
ui.preset.addEventListener("change", () => {
  selectPreset(ui.preset.value);
  if (PRESETS[ui.preset.value].demo) connect();
  else (ui.baseUrl.readOnly ? ui.apiKey : ui.baseUrl).focus();
});
ui.remember.addEventListener("change", saveOrForget);
for (const input of [ui.filter, ui.search]) {
  input.addEventListener("input", () => {
    applyFilter();
    renderSummary();
  });
}
ui.newBatch.addEventListener("click", () => creator.open());
document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    state.watch?.abort();
    state.watch = null;
    renderFreshness();
  } else {
    refreshTimes();
    startWatch();
  }
});
setInterval(renderFreshness, 1_000);
setInterval(refreshTimes, TIME_REFRESH_MS);

fillPresets();
if (!restore()) selectPreset("demo-openai");
if (PRESETS[ui.preset.value].demo || ui.apiKey.value) connect();
