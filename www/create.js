// Creating a batch from a JSONL file: dropped or picked, checked line by line with validateRequests
// (with the provider's rules, for the endpoint chosen) before anything is uploaded, then sent with
// submit (upload + create) with the chosen endpoint and completion window.
import { PROVIDERS, validateRequests } from "llm-batches";
import { $, el, show } from "./dom.js";
import { bytes, count, parseMetadata } from "./format.js";

const SHOWN_ERRORS = 100;

const CHAT = "/v1/chat/completions";
/**
 * The endpoints each provider's batches take, as its documentation lists them (a file's own `url`
 * is offered too); providers not named here get the two most hosts accept.
 */
const ENDPOINTS = {
  openai: [CHAT, "/v1/responses", "/v1/embeddings", "/v1/completions", "/v1/moderations"],
  azure: [CHAT, "/v1/responses", "/v1/embeddings"],
  anthropic: ["/v1/messages"],
  mistral: [CHAT, "/v1/embeddings", "/v1/fim/completions", "/v1/moderations", "/v1/chat/moderations"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"].map((model) => `/v1beta/models/${model}:generateContent`),
  together: [CHAT, "/v1/completions"],
  groq: [CHAT, "/v1/audio/transcriptions", "/v1/audio/translations"],
  token360: [CHAT],
  siliconflow: [CHAT],
  zhipu: ["/v4/chat/completions"],
  deepinfra: [CHAT, "/v1/completions", "/v1/embeddings"],
};
const DEFAULT_ENDPOINTS = [CHAT, "/v1/embeddings"];

/** The `url` and model of a file's first line, whichever are there. */
function firstRequest(text) {
  try {
    const request = JSON.parse(text.slice(0, text.indexOf("\n") >>> 0));
    const body = request.body ?? request.params ?? request.request;
    return {
      url: typeof request.url === "string" && request.url.startsWith("/") ? request.url : null,
      model: typeof body?.model === "string" ? body.model : null,
    };
  } catch {
    return null;
  }
}

/** A problem with the whole file as a sentence: "there are no requests" -> "There are no requests." */
function sentence(message) {
  const text = String(message ?? "").trim();
  if (!text) return "";
  const capital = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function createCreator(app) {
  const ui = {
    dialog: $("create"),
    form: $("create-form"),
    drop: $("drop"),
    file: $("file-input"),
    report: $("file-report"),
    errors: $("line-errors"),
    meta: $("create-meta"),
    alert: $("create-alert"),
    submit: $("submit-batch"),
    endpoint: $("create-endpoint"),
    window: $("create-window"),
    note: $("create-options-note"),
  };
  let loaded = null; // { name, text } of the file on show
  let checked = null; // the same, once it passed validation for the chosen endpoint
  let provider = null; // the PROVIDERS row of the client

  function option(value, text = value) {
    return el("option", { text, attrs: { value } });
  }

  /** The endpoint and window menus, for the client's provider. */
  function fillOptions() {
    const name = app.client.provider;
    provider = PROVIDERS.find((p) => p.name === name) ?? null;
    const endpoints = ENDPOINTS[name] ?? DEFAULT_ENDPOINTS;
    ui.endpoint.replaceChildren(...endpoints.map((e) => option(e)));
    const windows = provider?.windows ?? [];
    ui.window.replaceChildren(...(windows.length ? windows.map((w) => option(w)) : [option("", "set by the provider")]));
    ui.window.value = windows.includes("24h") ? "24h" : (windows[0] ?? "");
    ui.window.disabled = windows.length < 2;
    const label = provider?.label ?? name;
    const notes = [`${label} batches take ${endpoints.length === 1 ? "only this endpoint" : "these endpoints"}`];
    notes.push(windows.length ? (windows.length === 1 ? `and only a ${windows[0]} window` : `and windows of ${windows.join(", ")}`) : "and the provider sets the window itself");
    ui.note.textContent = `${notes.join(" ")}.`;
    const metadata = provider?.metadata !== false;
    ui.meta.disabled = !metadata;
    ui.meta.placeholder = metadata ? "job=nightly, team=search" : `${label} batches carry no metadata`;
  }

  /** A file's own `url` joins the menu (and is chosen) when the provider's list lacks it. */
  function offerEndpoint(url) {
    if (!url) return;
    if (![...ui.endpoint.options].some((o) => o.value === url)) ui.endpoint.append(option(url, `${url} (from the file)`));
    ui.endpoint.value = url;
  }

  function clearFile() {
    loaded = null;
    checked = null;
    ui.report.textContent = "";
    ui.errors.replaceChildren();
    ui.errors.hidden = true;
    ui.submit.disabled = true;
  }

  function reset() {
    ui.form.reset();
    clearFile();
    show(ui.alert, "");
    ui.drop.classList.remove("over");
    fillOptions();
  }

  function open(file) {
    if (!app.canCreate) return;
    reset();
    if (!ui.dialog.open) ui.dialog.showModal();
    if (file) take(file);
  }

  async function take(file) {
    clearFile();
    show(ui.alert, "");
    if (!file) return;
    const text = await file.text();
    loaded = { name: file.name, text, size: file.size };
    offerEndpoint(firstRequest(text)?.url);
    check();
  }

  /** Checks the file on show for the chosen endpoint, with the provider's rules. */
  function check() {
    checked = null;
    ui.submit.disabled = true;
    ui.errors.replaceChildren();
    ui.errors.hidden = true;
    if (!loaded) return;
    const { name, text, size } = loaded;
    let report;
    try {
      report = validateRequests(text, { provider: provider?.name, endpoint: ui.endpoint.value });
    } catch (error) {
      report = { ok: false, count: 0, bytes: size, errors: [{ line: null, message: app.describeError(error) }] };
    }
    if (report.ok) {
      const model = firstRequest(text)?.model;
      ui.report.dataset.ok = "true";
      ui.report.textContent = `✓ ${name}: ${count(report.count)} requests · ${bytes(report.bytes)}${model ? ` · ${model}` : ""}. Ready to upload.`;
      checked = loaded;
      ui.submit.disabled = false;
      return;
    }
    const n = report.errors.length;
    ui.report.dataset.ok = "false";
    ui.report.textContent = `✕ ${name}: ${n} problem${n === 1 ? "" : "s"}; nothing was uploaded. Fix the file and drop it again.`;
    // Problems with the whole file first, as sentences; then each line's, after its number.
    const errors = [...report.errors.filter((e) => e.line === null), ...report.errors.filter((e) => e.line !== null)];
    ui.errors.replaceChildren(
      ...errors.slice(0, SHOWN_ERRORS).map((e) =>
        e.line === null
          ? el("li", { className: "whole", text: sentence(e.message) })
          : el("li", {}, el("span", { className: "where", text: `Line ${e.line}` }), ` ${e.message}`),
      ),
    );
    if (n > SHOWN_ERRORS) ui.errors.append(el("li", { className: "muted", text: `… and ${n - SHOWN_ERRORS} more` }));
    ui.errors.hidden = false;
  }

  async function submit() {
    if (!checked) return;
    let metadata;
    try {
      metadata = ui.meta.disabled ? null : parseMetadata(ui.meta.value);
    } catch (error) {
      show(ui.alert, `Metadata: ${error.message}.`);
      ui.meta.focus();
      return;
    }
    const options = { metadata, filename: checked.name, endpoint: ui.endpoint.value };
    if (ui.window.value) options.completion_window = ui.window.value;
    ui.submit.disabled = true;
    ui.submit.textContent = "Uploading…";
    try {
      const batch = await app.client.submit(checked.text, options);
      app.upsert(batch);
      app.announce(`Created ${batch.id}.`);
      ui.dialog.close();
    } catch (error) {
      show(ui.alert, app.describeError(error));
      ui.submit.disabled = false;
    } finally {
      ui.submit.textContent = "Upload and create";
    }
  }

  ui.file.addEventListener("change", () => take(ui.file.files[0]));
  ui.endpoint.addEventListener("change", check);
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  for (const button of ui.dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => ui.dialog.close());

  // Drag and drop: onto the drop zone, or anywhere on the page (which opens this dialog).
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  document.addEventListener("dragover", (event) => {
    if (!app.canCreate || !event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    ui.drop.classList.toggle("over", ui.drop.contains(event.target));
  });
  document.addEventListener("drop", (event) => {
    if (!app.canCreate || !event.dataTransfer?.files.length) return;
    event.preventDefault();
    ui.drop.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (ui.dialog.open) take(file);
    else open(file);
  });

  return { open };
}
