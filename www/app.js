// The dashboard: connect to a provider, keep its newest batches live with `client.watch`, load
// older pages on demand (`listAll`, a page at a time) and open any batch by id (`retrieve`); running
// batches off the newest page are kept live by a second `watch` of their ids. A batch opens in
// detail.js, a JSONL file becomes one in create.js, and overview.js sums it all up. It uses the
// package exactly as an application would. The API key lives in the client and the key field only,
// unless the user opts in to sessionStorage; it is never put in a URL, localStorage or the console.
import { BatchClient, BatchError, PROVIDERS, isTerminal, usageOf } from "llm-batches";
import { $, badge, chips, el, progress, show, timeAgo } from "./dom.js";
import { cost, count, deadlineMs, duration, elapsedMs, money, statusText, timeLeft, tokens, valueText } from "./format.js";
import { createDetail } from "./detail.js";
import { createCreator } from "./create.js";
import { createOverview } from "./overview.js";

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
/** What `watch` without ids follows: the newest page, of this many batches. */
const PAGE = 100;

const ui = {
  connection: $("connection"),
  connectionLabel: $("connection-label"),
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
  newBatchWhy: $("new-batch-why"),
  table: $("batches"),
  summary: $("summary"),
  rows: $("rows"),
  more: $("more"),
  moreStatus: $("more-status"),
  loadOlder: $("load-older"),
  loadAll: $("load-all"),
  announcer: $("announcer"),
};

const state = {
  client: null,
  preset: null,
  baseURL: "",
  batches: new Map(), // id -> the latest Batch
  rows: new Map(), // id -> its <tr>
  order: [], // every id, newest first
  samples: new Map(), // id -> { at, done }: first sight while in progress, for the ETA
  watch: null, // AbortController of the watch of the newest page
  onPage: new Set(), // ids that watch has reported
  older: null, // { controller, ids }: the watch of running batches off the newest page
  pager: null, // { controller, iterator } of listAll, for older pages
  loading: false, // older pages are being read
  allLoaded: false, // listAll came to its end
  lastUpdate: null, // when the last list page arrived (ms)
  stopped: false, // the watch ended with an error
  troubled: false, // a transient error since the last page
  reachable: false, // the last cycle got through: there is a provider to create batches with
  pending: [], // { batch, source }: "page", "ids", "list", "id" or "made"
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

/** `auto`: on page load (demo, or a remembered key), where the form folds away once connected. */
function connect({ auto = false } = {}) {
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
  stopOlderWatch();
  stopPager();
  clearTimeout(state.flushTimer);
  Object.assign(state, {
    client, preset, baseURL, lastUpdate: null, stopped: false, troubled: false, reachable: false, pending: [], flushTimer: null,
    order: [], allLoaded: false, loading: false,
  });
  state.batches.clear();
  state.rows.clear();
  state.samples.clear();
  state.onPage.clear();
  overview.reset();
  detail.close();
  show(ui.alert, "");
  ui.rows.replaceChildren();
  ui.connectionLabel.textContent = ` · ${preset.label} · ${hostOf(baseURL)}`;
  // Once connected the batches matter more than the form (on a phone always); the summary reopens it.
  if (auto || matchMedia("(max-width: 44rem)").matches) ui.connection.open = false;
  renderNewBatch();
  renderSummary();
  renderMore();
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
      onUpdate: (batch) => queue(batch, "page"),
      // Every cycle that got through is what "updated N s ago" counts from, changed or not, and
      // a point of the sparkline.
      onCycle: () => {
        if (state.watch !== controller) return;
        flushNow();
        markFresh();
        overview.sample(state.batches, Date.now());
      },
      // Transient trouble (network, 429, 5xx): the watch backs off and tries again by itself.
      onError: (error) => {
        if (state.watch !== controller) return;
        state.troubled = true;
        if (unreachable(error)) state.reachable = false;
        alertUser(`${describeError(error)} Retrying…`, "warn");
        renderFreshness();
        renderNewBatch();
      },
    })
    .catch((error) => {
      if (controller.signal.aborted) return;
      state.watch = null;
      state.stopped = true;
      state.reachable = false;
      stopOlderWatch();
      alertUser(describeError(error));
      // Whatever stopped it (a key refused, a wrong URL) is fixed in the form.
      ui.connection.open = true;
      renderFreshness();
      renderNewBatch();
    });
  renderFreshness();
}

/** Whether an error means no provider is answering (as opposed to one that refuses a request). */
function unreachable(error) {
  return !(error instanceof BatchError) || error.kind === "connection" || error.kind === "timeout" || (error.status ?? 0) >= 500;
}

/** The running batches the newest page does not hold: loaded from older pages, opened by id, or pushed off by newer ones. */
function offPage() {
  const ids = [];
  state.order.forEach((id, index) => {
    if (!isTerminal(state.batches.get(id)) && (index >= PAGE || !state.onPage.has(id))) ids.push(id);
  });
  return ids;
}

function stopOlderWatch() {
  state.older?.controller.abort();
  state.older = null;
}

/**
 * Keeps the running batches off the newest page live with a watch of their ids; restarted when
 * one is added (a watch drops ids by itself as they end). `force`: restart it in any case.
 */
function syncOlderWatch(force = false) {
  if (!state.client || state.stopped || document.hidden) return;
  const wanted = offPage();
  const current = state.older?.ids;
  if (!force && (current ? wanted.every((id) => current.has(id)) : wanted.length === 0)) return;
  stopOlderWatch();
  if (wanted.length === 0) return;
  const controller = new AbortController();
  const watched = { controller, ids: new Set(wanted) };
  state.older = watched;
  state.client
    .watch({
      ids: wanted,
      pollInterval: state.preset.poll,
      signal: controller.signal,
      onUpdate: (batch) => {
        if (state.older === watched) queue(batch, "ids");
      },
      // A batch that went away (404) is dropped by the watch; the page watch reports the rest.
      onError: (error) => {
        if (state.older === watched && error.status === 404) alertUser(`${describeError(error)} It is no longer followed.`, "warn");
      },
    })
    .then(() => {
      if (state.older === watched) state.older = null;
    })
    .catch((error) => {
      if (controller.signal.aborted || state.older !== watched) return;
      state.older = null;
      alertUser(describeError(error));
    });
}

function markFresh() {
  const first = state.lastUpdate === null;
  state.lastUpdate = Date.now();
  state.troubled = false;
  state.reachable = true;
  if (ui.alert.dataset.kind === "warn") show(ui.alert, "");
  renderFreshness();
  renderNewBatch();
  if (first) {
    applyFilter();
    renderSummary();
    renderMore();
  }
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
function queue(batch, source) {
  state.pending.push({ batch, source });
  state.flushTimer ??= setTimeout(flush, 30);
}

function flushNow() {
  clearTimeout(state.flushTimer);
  flush();
}

/**
 * A batch the page got by itself: `"made"` (created or cancelled here: the newest page will list
 * it) or `"id"` (retrieved by id, wherever it is).
 */
function upsert(batch, source = "made") {
  queue(batch, source);
  flushNow();
}

function flush() {
  state.flushTimer = null;
  const now = Date.now();
  const changes = [];
  const touched = new Set();
  let added = false;
  for (const { batch, source } of state.pending.splice(0)) {
    if (typeof batch?.id !== "string") continue;
    const before = state.batches.get(batch.id);
    // A batch the page already holds is kept fresh by a watch: a page read a moment ago is no newer.
    if (source === "list" && before) continue;
    state.batches.set(batch.id, batch);
    touched.add(batch.id);
    if (source === "page" || (source === "made" && !before)) state.onPage.add(batch.id);
    overview.observe(batch);
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
  renderMore();
  detail.refresh(touched);
  if (changes.length) {
    const more = changes.length > 3 ? `, and ${changes.length - 3} more changed` : "";
    announce(`${changes.slice(0, 3).join("; ")}${more}.`);
  }
  syncOlderWatch();
}

// ---- older pages and batches by id -------------------------------------------------------------

function stopPager() {
  if (!state.pager) return;
  state.pager.controller.abort();
  state.pager.iterator.return?.().catch(() => {});
  state.pager = null;
}

/**
 * Reads older pages through `listAll` (which follows each provider's own paging) until `PAGE`
 * batches new to the page arrived, or every one with `all`. The first call reads the newest page
 * again: the watch does not say where its page ends.
 */
async function loadOlder({ all = false } = {}) {
  if (state.loading || state.allLoaded || !state.client) return;
  const client = state.client;
  if (!state.pager) {
    const controller = new AbortController();
    state.pager = { controller, iterator: client.listAll({ limit: PAGE }, { signal: controller.signal }) };
  }
  const { iterator } = state.pager;
  state.loading = true;
  renderMore();
  let fresh = 0;
  try {
    while (all || fresh < PAGE) {
      const { value, done } = await iterator.next();
      if (client !== state.client) return;
      if (done) {
        state.allLoaded = true;
        state.pager = null;
        break;
      }
      if (!state.batches.has(value.id)) fresh += 1;
      queue(value, "list");
    }
  } catch (error) {
    if (client !== state.client) return;
    stopPager();
    alertUser(describeError(error));
  } finally {
    if (client === state.client) {
      state.loading = false;
      flushNow();
      renderMore();
    }
  }
  if (client !== state.client) return;
  announce(fresh ? `Loaded ${count(fresh)} older batch${fresh === 1 ? "" : "es"}.` : "No older batches.");
}

function renderMore() {
  const connected = Boolean(state.client) && state.lastUpdate !== null;
  ui.more.hidden = !connected;
  if (!connected) return;
  const n = state.batches.size;
  let text;
  if (state.loading) text = `Loading older batches… ${count(n)} so far.`;
  else if (state.allLoaded) text = `All ${count(n)} batches are loaded.`;
  else if (state.onPage.size >= PAGE) text = `The newest ${count(n)} batches are loaded; older ones are on further pages.`;
  else text = `${count(n)} batch${n === 1 ? "" : "es"} loaded.`;
  ui.moreStatus.textContent = text;
  ui.loadOlder.hidden = ui.loadAll.hidden = state.allLoaded;
  ui.loadOlder.disabled = ui.loadAll.disabled = state.loading;
}

/** Opens batch `id`: from the table, or retrieved from the provider (and kept live if it runs). */
async function openById(raw) {
  const id = raw.trim();
  if (!id || !state.client) return;
  if (state.batches.has(id)) {
    detail.open(id);
    return;
  }
  const client = state.client;
  announce(`Looking up ${id}…`);
  try {
    const batch = await client.retrieve(id);
    if (client !== state.client) return;
    upsert(batch, "id");
    detail.open(batch.id);
  } catch (error) {
    if (client !== state.client) return;
    const notFound = error instanceof BatchError && error.status === 404 && error.code !== null;
    alertUser(notFound ? `${hostOf(state.baseURL)} has no batch “${id}” (404).${error.requestId ? ` (request ${error.requestId})` : ""}` : describeError(error));
  }
}

function announce(text) {
  ui.announcer.textContent = text;
}

// ---- the table --------------------------------------------------------------------------------

/** The columns; `fact` ones make the one line of facts of a phone's card. */
const COLUMNS = [
  ["ID"],
  ["Status"],
  ["Progress"],
  ["Model", "fact"],
  ["Tokens", "fact num"],
  ["Cost", "fact num col-cost"],
  ["Created", "fact"],
  ["ETA", "fact"],
  ["Metadata"],
];

function rowFor(id) {
  let tr = state.rows.get(id);
  if (tr) return tr;
  tr = el("tr");
  for (const [label, className] of COLUMNS) tr.append(el("td", { className, attrs: { "data-label": label } }));
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
  const model = typeof batch.model === "string" && batch.model ? batch.model : null;
  cells[3].replaceChildren(...(model ? [el("span", { className: "model", text: model })] : []), el("code", { className: "endpoint", text: batch.endpoint ?? "—" }));
  cells[3].classList.toggle("none", !model);
  renderTokens(tr, batch);
  cells[8].replaceChildren(chips(batch.metadata, 3));
  renderTimes(tr, batch, now);
  tr.classList.toggle("running", !isTerminal(batch));
  if (moved) {
    tr.classList.remove("changed");
    void tr.offsetWidth; // restarts the highlight animation
    tr.classList.add("changed");
  }
}

/** Tokens and, with prices, what they cost. */
function renderTokens(tr, batch) {
  const [tokenCell, costCell] = [tr.cells[4], tr.cells[5]];
  const used = usageOf(batch);
  tokenCell.textContent = used ? tokens(used.total_tokens) : "—";
  tokenCell.title = used ? `${count(used.input_tokens)} in, ${count(used.output_tokens)} out` : "";
  tokenCell.classList.toggle("none", !used);
  const spent = cost(used, overview.prices);
  costCell.textContent = spent === null ? "—" : money(spent);
  costCell.classList.toggle("none", spent === null);
  // Nothing used yet (a batch still validating): said quietly, and not at all on a phone's card.
  const zero = Boolean(used) && used.total_tokens === 0;
  tokenCell.classList.toggle("zero", zero);
  costCell.classList.toggle("zero", zero);
}

/** Created (and, once ended, how long it took) and what is left of it. */
function renderTimes(tr, batch, now) {
  const cells = tr.cells;
  const created = [timeAgo(batch.created_at, now)];
  const elapsed = elapsedMs(batch, now);
  if (isTerminal(batch) && elapsed !== null) created.push(el("span", { className: "took", text: `took ${duration(elapsed)}` }));
  cells[6].replaceChildren(...created);
  const left = timeLeft(batch, state.samples.get(batch.id), now);
  cells[7].replaceChildren(el("span", { className: `eta is-${left.kind}`, text: left.text, title: left.title }));
  cells[7].classList.toggle("none", left.kind === "none");
  // A phone's card says one of the two: what is left, or else when it was created.
  cells[6].classList.toggle("none", left.kind !== "none");
  tr.classList.toggle("overdue", left.kind === "overdue");
}

function createdOf(batch) {
  return typeof batch.created_at === "number" ? batch.created_at : -Infinity;
}

/** Newest first, as providers list them. */
function reorder() {
  state.order = [...state.batches.keys()].sort((a, b) => {
    const x = state.batches.get(a);
    const y = state.batches.get(b);
    return createdOf(y) - createdOf(x) || (a < b ? 1 : a > b ? -1 : 0);
  });
  ui.rows.replaceChildren(...state.order.map((id) => state.rows.get(id)));
}

function isOverdue(batch, now) {
  const left = deadlineMs(batch, now);
  return left !== null && left <= 0;
}

function matches(batch, filter, query, now) {
  if (filter === "running" && isTerminal(batch)) return false;
  if (filter === "overdue" && !isOverdue(batch, now)) return false;
  if (filter && filter !== "running" && filter !== "overdue" && batch.status !== filter) return false;
  if (!query) return true;
  const words = [batch.id, batch.endpoint, batch.model];
  for (const [key, value] of Object.entries(batch.metadata ?? {})) words.push(key, valueText(value), `${key}=${valueText(value)}`);
  return words.some((word) => typeof word === "string" && word.toLowerCase().includes(query));
}

let emptyRow = null;
let emptyKey = null;

/** The query could be a batch id: one word. */
const idLike = (query) => query !== "" && !/\s/.test(query) && query.length <= 200;

function applyFilter() {
  const filter = ui.filter.value;
  const raw = ui.search.value.trim();
  const query = raw.toLowerCase();
  const now = Date.now();
  let shown = 0;
  for (const [id, tr] of state.rows) {
    const visible = matches(state.batches.get(id), filter, query, now);
    tr.hidden = !visible;
    if (visible) shown += 1;
  }
  const key = shown === 0 && state.lastUpdate !== null ? JSON.stringify([state.batches.size > 0, raw, state.allLoaded, state.loading]) : null;
  // The same message stays the same node, so a focused button in it keeps its focus.
  if (key !== null && key === emptyKey && emptyRow) {
    if (emptyRow.parentNode !== ui.rows || emptyRow !== ui.rows.lastElementChild) ui.rows.append(emptyRow);
    return shown;
  }
  emptyRow?.remove();
  emptyRow = null;
  emptyKey = key;
  if (key !== null) {
    const cell = el("td", { attrs: { colspan: String(COLUMNS.length) } });
    emptyRow = el("tr", { className: "empty" }, cell);
    if (!state.batches.size) cell.append("No batches yet.");
    else {
      const loaded = state.allLoaded ? "" : " loaded";
      cell.append(el("p", { text: raw ? `No${loaded} batch matches “${raw}”.` : `No${loaded} batch matches the filter.` }));
      const actions = el("p", { className: "actions" });
      if (raw && idLike(raw)) {
        const open = el("button", { text: `Open “${raw}” by id`, attrs: { type: "button", "data-action": "open-id" } });
        open.addEventListener("click", () => openById(raw));
        actions.append(open);
      }
      if (!state.allLoaded) {
        const older = el("button", { text: "Search older pages too", attrs: { type: "button", "data-action": "search-older" } });
        older.disabled = state.loading;
        older.addEventListener("click", () => loadOlder({ all: true }));
        actions.append(older);
      }
      if (actions.childNodes.length) cell.append(actions);
    }
    ui.rows.append(emptyRow);
  }
  return shown;
}

function renderSummary() {
  const all = [...state.batches.values()];
  const now = Date.now();
  const running = all.filter((b) => !isTerminal(b)).length;
  const shownBatches = [];
  for (const [id, tr] of state.rows) if (!tr.hidden) shownBatches.push(state.batches.get(id));
  const connected = Boolean(state.client) && (state.lastUpdate !== null || all.length > 0);
  if (!state.client) ui.summary.textContent = "Not connected.";
  else if (!connected) ui.summary.textContent = `Waiting for ${state.preset.label}…`;
  else {
    const filtered = shownBatches.length < all.length ? ` · ${count(shownBatches.length)} shown` : "";
    const older = !state.allLoaded && state.onPage.size >= PAGE ? " · older pages not loaded" : "";
    ui.summary.textContent = `${count(all.length)} batches from ${state.preset.label} · ${count(running)} running${filtered}${older}`;
  }
  overview.render({ all, shown: shownBatches, nowMs: now, connected });
  ui.table.classList.toggle("priced", Boolean(overview.prices));
  for (const option of ui.filter.options) {
    if (!option.value) continue;
    let n;
    if (option.value === "running") n = running;
    else if (option.value === "overdue") n = all.filter((b) => isOverdue(b, now)).length;
    else n = all.filter((b) => b.status === option.value).length;
    const name = { running: "Running", overdue: "Overdue" }[option.value] ?? statusText(option.value);
    option.textContent = `${name} (${n})`;
  }
}

/** "New batch…" needs a provider that answers. */
function renderNewBatch() {
  const can = canCreate();
  ui.newBatch.disabled = !can;
  let why = "";
  if (!state.client) why = "Connect to a provider first.";
  else if (state.stopped) why = "The connection stopped: see the message above.";
  else if (!can && state.lastUpdate === null) why = `Waiting for ${state.preset.label} to answer.`;
  else if (!can) why = `${hostOf(state.baseURL)} cannot be reached right now.`;
  ui.newBatchWhy.textContent = why;
  ui.newBatch.title = why;
}

function canCreate() {
  return Boolean(state.client) && state.reachable && !state.stopped;
}

function refreshTimes() {
  if (document.hidden) return;
  const now = Date.now();
  for (const [id, tr] of state.rows) renderTimes(tr, state.batches.get(id), now);
  renderSummary();
}

function refreshCosts() {
  for (const [id, tr] of state.rows) renderTokens(tr, state.batches.get(id));
  renderSummary();
  detail.refresh(new Set(state.batches.keys()));
}

// ---- wiring -----------------------------------------------------------------------------------

const overview = createOverview();
const app = {
  get client() {
    return state.client;
  },
  get canCreate() {
    return canCreate();
  },
  get prices() {
    return overview.prices;
  },
  get samples() {
    return state.samples;
  },
  batches: state.batches,
  describeError,
  announce,
  upsert,
};
const detail = createDetail(app);
const creator = createCreator(app);
overview.onPrices = refreshCosts;

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
// Enter opens the one batch the search leaves, or looks the text up as an id.
ui.search.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  event.preventDefault();
  const raw = ui.search.value.trim();
  if (!raw) return;
  const shown = [...state.rows].filter(([, tr]) => !tr.hidden).map(([id]) => id);
  if (shown.length === 1) detail.open(shown[0]);
  else if (shown.length === 0 && idLike(raw)) openById(raw);
});
ui.newBatch.addEventListener("click", () => {
  if (canCreate()) creator.open();
});
ui.loadOlder.addEventListener("click", () => loadOlder());
ui.loadAll.addEventListener("click", () => loadOlder({ all: true }));
document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    state.watch?.abort();
    state.watch = null;
    stopOlderWatch();
    renderFreshness();
  } else {
    refreshTimes();
    startWatch();
    syncOlderWatch(true);
  }
});
setInterval(renderFreshness, 1_000);
setInterval(refreshTimes, TIME_REFRESH_MS);

fillPresets();
if (!restore()) selectPreset("demo-openai");
if (PRESETS[ui.preset.value].demo || ui.apiKey.value) connect({ auto: true });
