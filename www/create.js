// Creating a batch from a JSONL file: dropped or picked, checked line by line with validateRequests
// before anything is uploaded, then sent with submit (upload + create).
import { validateRequests } from "llm-batches";
import { $, el, show } from "./dom.js";
import { bytes, count, parseMetadata } from "./format.js";

const SHOWN_ERRORS = 100;

/** The endpoint and model of a checked file, from its first line. */
function firstRequest(text) {
  try {
    const request = JSON.parse(text.slice(0, text.indexOf("\n") >>> 0));
    return { url: String(request.url), model: String(request.body.model) };
  } catch {
    return null;
  }
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
  };
  let checked = null; // { name, text } of a file that passed validation

  function reset() {
    checked = null;
    ui.form.reset();
    ui.report.textContent = "";
    ui.errors.replaceChildren();
    ui.errors.hidden = true;
    show(ui.alert, "");
    ui.submit.disabled = true;
    ui.drop.classList.remove("over");
  }

  function open(file) {
    if (!app.client) return;
    reset();
    if (!ui.dialog.open) ui.dialog.showModal();
    if (file) take(file);
  }

  async function take(file) {
    checked = null;
    ui.submit.disabled = true;
    ui.errors.replaceChildren();
    ui.errors.hidden = true;
    show(ui.alert, "");
    if (!file) return;
    const text = await file.text();
    let report;
    try {
      report = validateRequests(text);
    } catch (error) {
      report = { ok: false, count: 0, bytes: file.size, errors: [{ line: null, message: app.describeError(error) }] };
    }
    const name = file.name;
    if (report.ok) {
      const first = firstRequest(text);
      const what = first ? ` · ${first.url} · ${first.model}` : "";
      ui.report.dataset.ok = "true";
      ui.report.textContent = `✓ ${name}: ${count(report.count)} requests · ${bytes(report.bytes)}${what}. Ready to upload.`;
      checked = { name, text };
      ui.submit.disabled = false;
      return;
    }
    const n = report.errors.length;
    ui.report.dataset.ok = "false";
    ui.report.textContent = `✕ ${name}: ${n} problem${n === 1 ? "" : "s"}; nothing was uploaded. Fix the file and drop it again.`;
    ui.errors.replaceChildren(
      ...report.errors.slice(0, SHOWN_ERRORS).map((e) =>
        el("li", {}, el("span", { className: "where", text: e.line === null ? "file" : `line ${e.line}` }), ` ${e.message}`),
      ),
    );
    if (n > SHOWN_ERRORS) ui.errors.append(el("li", { className: "muted", text: `… and ${n - SHOWN_ERRORS} more` }));
    ui.errors.hidden = false;
  }

  async function submit() {
    if (!checked) return;
    let metadata;
    try {
      metadata = parseMetadata(ui.meta.value);
    } catch (error) {
      show(ui.alert, `Metadata: ${error.message}.`);
      ui.meta.focus();
      return;
    }
    ui.submit.disabled = true;
    ui.submit.textContent = "Uploading…";
    try {
      const batch = await app.client.submit(checked.text, { metadata, filename: checked.name });
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
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  for (const button of ui.dialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => ui.dialog.close());

  // Drag and drop: onto the drop zone, or anywhere on the page (which opens this dialog).
  ui.drop.addEventListener("dragleave", () => ui.drop.classList.remove("over"));
  document.addEventListener("dragover", (event) => {
    if (!app.client || !event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    ui.drop.classList.toggle("over", ui.drop.contains(event.target));
  });
  document.addEventListener("drop", (event) => {
    if (!app.client || !event.dataTransfer?.files.length) return;
    event.preventDefault();
    ui.drop.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (ui.dialog.open) take(file);
    else open(file);
  });

  return { open };
}
