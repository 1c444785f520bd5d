// The dashboard: one page of batches at a time from a provider picked in the form, using the
// package exactly as an application would. Provider data only ever reaches the DOM as text.
import { BatchClient, isTerminal } from "llm-batches";

const PAGE_SIZE = 10;

/** The mock provider serves every dialect from this origin, so the CSP can stay 'self'. */
const PROVIDERS = {
  openai: { label: "Demo OpenAI", path: "/openai/v1", dialect: "openai" },
  ppinfra: { label: "Demo PPInfra", path: "/ppinfra/openai/v1", dialect: "ppinfra" },
  token360: { label: "Demo token360", path: "/token360/v1", dialect: "token360" },
};

const KNOWN_STATUSES = new Set([
  "validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled",
]);

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("controls"),
  provider: $("provider"),
  refresh: $("refresh"),
  error: $("error"),
  table: $("batches"),
  summary: $("summary"),
  rows: $("rows"),
  more: $("more"),
};

/** What is on screen; `controller` aborts a load that a newer one has made pointless. */
const view = { client: null, provider: null, batches: [], lastId: null, hasMore: false, controller: null };

function el(tag, { text, className, attrs } = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  return node;
}

function cell(label, ...children) {
  const td = el("td");
  // Shown as a label when the table collapses into cards on narrow screens.
  td.dataset.label = label;
  td.append(...children);
  return td;
}

function statusBadge(status) {
  const text = typeof status === "string" ? status : JSON.stringify(status);
  // A status we do not know is shown as sent, but never becomes a class name.
  const kind = KNOWN_STATUSES.has(status) ? status : "other";
  return el("span", { text: text.replaceAll("_", " "), className: `badge status-${kind}` });
}

function countsView({ total, completed, failed }) {
  const done = completed + failed;
  const bar = el("progress", {
    attrs: { max: String(Math.max(total, 1)), value: String(total > 0 ? done : 0), "aria-label": `${completed} completed, ${failed} failed, ${total} total` },
  });
  const numbers = el("span", { className: "counts" });
  numbers.append(el("span", { text: `${completed}`, className: "ok" }), " / ", el("span", { text: `${total}` }));
  if (failed > 0) numbers.append(" · ", el("span", { text: `${failed} failed`, className: "bad" }));
  const wrap = el("div", { className: "progress" });
  wrap.append(bar, numbers);
  return wrap;
}

function createdView(seconds) {
  if (seconds === null) return el("span", { text: "—", className: "muted" });
  const date = new Date(seconds * 1000);
  return el("time", { text: date.toLocaleString(), attrs: { datetime: date.toISOString() } });
}

function batchRow(batch) {
  const tr = el("tr");
  if (!isTerminal(batch)) tr.className = "active";
  tr.append(
    cell("ID", el("code", { text: String(batch.id) })),
    cell("Status", statusBadge(batch.status)),
    cell("Requests", countsView(batch.request_counts)),
    cell("Endpoint", el("code", { text: batch.endpoint ?? "—" })),
    cell("Created", createdView(batch.created_at)),
  );
  return tr;
}

function emptyRow(text) {
  const tr = el("tr", { className: "empty" });
  tr.append(el("td", { text, attrs: { colspan: "5" } }));
  return tr;
}

function render() {
  const { batches, hasMore, provider } = view;
  ui.rows.replaceChildren(...(batches.length ? batches.map(batchRow) : [emptyRow("No batches.")]));
  const running = batches.filter((b) => !isTerminal(b)).length;
  const shown = `${batches.length} batch${batches.length === 1 ? "" : "es"} from ${provider.label}`;
  ui.summary.textContent = `${shown}, ${running} still running${hasMore ? " (more available)" : ""}.`;
  ui.more.hidden = !hasMore;
}

function showError(error) {
  const where = error?.requestId ? ` (request ${error.requestId})` : "";
  ui.error.textContent = `Could not load batches: ${error?.message ?? error}${where}`;
}

function setBusy(busy) {
  ui.table.setAttribute("aria-busy", String(busy));
  ui.refresh.disabled = busy;
  ui.more.disabled = busy;
}

/** Loads the first page (`append` false) or the next one, dropping answers a newer load replaced. */
async function load({ append }) {
  view.controller?.abort();
  const controller = new AbortController();
  view.controller = controller;
  setBusy(true);
  ui.error.textContent = "";
  try {
    const params = append ? { limit: PAGE_SIZE, after: view.lastId } : { limit: PAGE_SIZE };
    const page = await view.client.list(params, { signal: controller.signal });
    view.batches = append ? [...view.batches, ...page.data] : page.data;
    view.lastId = page.last_id;
    view.hasMore = page.has_more && page.last_id !== null;
    render();
  } catch (error) {
    if (controller.signal.aborted) return;
    showError(error);
  } finally {
    if (view.controller === controller) {
      view.controller = null;
      setBusy(false);
    }
  }
}

function selectProvider(key) {
  const provider = PROVIDERS[key] ?? PROVIDERS.openai;
  ui.provider.value = Object.keys(PROVIDERS).find((k) => PROVIDERS[k] === provider);
  view.provider = provider;
  view.client = new BatchClient({ apiKey: "demo", baseURL: location.origin + provider.path, dialect: provider.dialect });
  view.batches = [];
  view.lastId = null;
  view.hasMore = false;
  // Keeps the choice across reloads and makes it linkable: /?provider=ppinfra
  const url = new URL(location.href);
  url.searchParams.set("provider", ui.provider.value);
  history.replaceState(null, "", url);
  return load({ append: false });
}

ui.provider.addEventListener("change", () => selectProvider(ui.provider.value));
ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  load({ append: false });
});
ui.more.addEventListener("click", () => load({ append: true }));

selectProvider(new URLSearchParams(location.search).get("provider"));
