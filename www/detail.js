// The detail dialog of one batch: timeline, counts, tokens, errors, files, the first results, cancel,
// and "resubmit failed". It follows the batch live: the table calls refresh() with the ids each
// update touched.
import { isTerminal, usageOf } from "llm-batches";
import { $, badge, chips, el, progress, show } from "./dom.js";
import { cost, count, duration, exact, isoTime, money, notRun, relative, statusText, timeLeft, TIMELINE } from "./format.js";

const PREVIEW_ROWS = 20;
const RESULT_CHARS = 240;

/** What a result line says, in one line of text. */
function resultText(result) {
  if (result.error) return [result.error.code, result.error.message].filter(Boolean).join(": ") || "error";
  const body = result.response?.body;
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content === "string") return content;
  const embedding = Array.isArray(body?.data) ? body.data[0]?.embedding : undefined;
  if (Array.isArray(embedding)) return `embedding, ${embedding.length} dimensions`;
  if (typeof body?.output_text === "string") return body.output_text;
  return JSON.stringify(body) ?? "";
}

function clip(text) {
  return text.length > RESULT_CHARS ? `${text.slice(0, RESULT_CHARS)}…` : text;
}

export function createDetail(app) {
  const ui = {
    dialog: $("detail"),
    title: $("detail-title"),
    summary: $("detail-summary"),
    timeline: $("detail-timeline"),
    counts: $("detail-counts"),
    meta: $("detail-meta"),
    files: $("detail-files"),
    errorsSection: $("detail-errors-section"),
    errors: $("detail-errors"),
    previewStatus: $("preview-status"),
    preview: $("preview"),
    raw: $("detail-raw"),
    alert: $("detail-alert"),
    cancel: $("cancel-batch"),
    confirm: $("confirm-cancel"),
    confirmText: $("confirm-text"),
    tokens: $("detail-tokens"),
    resubmit: $("resubmit-batch"),
    confirmResubmit: $("confirm-resubmit"),
    resubmitText: $("resubmit-text"),
  };
  const counted = new Map(); // id -> usage counted from its results
  let current = null; // the id on show
  let previewFor = null; // the files the preview was loaded from
  let previewAbort = null;

  function open(id) {
    current = id;
    previewFor = null;
    show(ui.alert, "");
    render();
    if (!ui.dialog.open) ui.dialog.showModal();
  }

  function close() {
    if (ui.dialog.open) ui.dialog.close();
  }

  function render() {
    const batch = app.batches.get(current);
    if (!batch) return;
    const now = Date.now();
    ui.title.textContent = batch.id;
    const facts = el("p", { className: "facts" }, el("code", { text: batch.endpoint ?? "—" }));
    if (typeof batch.model === "string") facts.append(" · ", el("span", { text: batch.model }));
    if (typeof batch.completion_window === "string") facts.append(` · window ${batch.completion_window}`);
    const left = timeLeft(batch, app.samples.get(batch.id), now);
    if (left.kind === "overdue") {
      facts.append(" · ", el("strong", { className: "warn-text", text: `overdue: its window ended ${duration(now - batch.expires_at * 1000)} ago` }));
    } else if (left.kind === "eta") {
      facts.append(` · done in ${left.text}`);
    } else if (left.kind !== "none") {
      facts.append(" · ", el("span", { className: left.kind === "late" ? "warn-text" : "", text: left.kind === "late" ? `${left.text}: too soon to finish at this rate` : left.text }));
    }
    ui.summary.replaceChildren(badge(batch.status), progress(batch.request_counts), facts);

    const steps = TIMELINE.filter(([key]) => typeof batch[key] === "number").map(([key, label]) => [batch[key], label, key]);
    steps.sort((a, b) => a[0] - b[0]);
    if (typeof batch.expires_at === "number" && !isTerminal(batch)) steps.push([batch.expires_at, "expires", "expires_at"]);
    ui.timeline.replaceChildren(
      ...steps.map(([seconds, label, key]) =>
        el(
          "li",
          { className: key === "expires_at" ? "deadline" : "" },
          el("span", { className: "what", text: label }),
          el("time", { text: exact(seconds), attrs: { datetime: isoTime(seconds) } }),
          el("span", { className: "muted", text: relative(seconds, now) }),
        ),
      ),
    );

    const { total, completed, failed } = batch.request_counts;
    // What is left runs later while the batch runs; once it has ended early, it never will.
    const never = notRun(batch);
    const pairs = [["total", total], ["completed", completed], ["failed", failed]];
    if (never === null) pairs.push(["remaining", Math.max(0, total - completed - failed)]);
    else if (never > 0 || batch.status !== "completed") pairs.push(["not run", never]);
    ui.counts.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: count(v) })]));

    ui.meta.replaceChildren(chips(batch.metadata));
    renderFiles(batch);
    renderTokens(batch);
    // Something to resubmit: an ended batch with requests that failed or never ran.
    const unfinished = isTerminal(batch) && (failed > 0 || completed < total || batch.status !== "completed");
    ui.resubmit.hidden = !unfinished;

    const errors = batch.errors?.data ?? [];
    ui.errorsSection.hidden = errors.length === 0;
    ui.errors.replaceChildren(
      ...errors.map((e) => {
        const where = e.line === null || e.line === undefined ? "" : `line ${e.line}: `;
        return el("li", {}, e.code ? el("code", { text: e.code }) : "", ` ${where}${e.message ?? ""}`);
      }),
    );

    ui.raw.textContent = JSON.stringify(batch, null, 2);
    const cancellable = !isTerminal(batch) && batch.status !== "cancelling";
    ui.cancel.hidden = !cancellable;

    const files = `${batch.output_file_id}|${batch.error_file_id}`;
    if (files !== previewFor) {
      previewFor = files;
      loadPreview(batch);
    }
  }

  function renderTokens(batch) {
    const used = usageOf(batch) ?? counted.get(batch.id);
    if (used) {
      const pairs = [["input", count(used.input_tokens)], ["output", count(used.output_tokens)], ["total", count(used.total_tokens)], ["cached", count(used.cached_tokens)]];
      const spent = cost(used, app.prices);
      if (spent !== null) pairs.push(["cost", money(spent)]);
      const list = el("dl", { className: "pairs" }, ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
      const from = usageOf(batch) ? "as the provider reports it" : `added up from ${count(used.requests)} results`;
      const priced = spent === null ? "" : ", priced as set under Prices";
      ui.tokens.replaceChildren(list, el("p", { className: "muted", text: `${from}${priced}` }));
      return;
    }
    if (!isTerminal(batch)) {
      ui.tokens.replaceChildren(el("p", { className: "muted", text: "Counted once the batch ends." }));
      return;
    }
    const button = el("button", { text: "Count from the results", attrs: { type: "button" } });
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Counting…";
      try {
        counted.set(batch.id, await app.client.usage(batch));
        if (current === batch.id) renderTokens(batch);
      } catch (error) {
        show(ui.alert, app.describeError(error));
        button.disabled = false;
        button.textContent = "Count from the results";
      }
    });
    ui.tokens.replaceChildren(button);
  }

  function renderFiles(batch) {
    const rows = [["input", batch.input_file_id, false], ["output", batch.output_file_id, true], ["errors", batch.error_file_id, true]];
    ui.files.replaceChildren(
      ...rows.map(([label, id, downloadable]) => {
        const line = el("p", {}, el("span", { className: "what", text: label }), " ");
        if (!id) line.append(el("span", { className: "muted", text: "none" }));
        else if (!downloadable) line.append(el("code", { text: id }));
        else {
          const button = el("button", { text: `Download ${id}`, attrs: { type: "button" } });
          button.addEventListener("click", () => download(id, `${batch.id}_${label}.jsonl`, button));
          line.append(button);
        }
        return line;
      }),
    );
  }

  async function download(fileId, filename, button) {
    const text = button.textContent;
    button.disabled = true;
    button.textContent = "Downloading…";
    try {
      const response = await app.client.fileContent(fileId);
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { attrs: { href: url, download: filename } });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      show(ui.alert, app.describeError(error));
    } finally {
      button.disabled = false;
      button.textContent = text;
    }
  }

  async function loadPreview(batch) {
    previewAbort?.abort();
    const tbody = ui.preview.tBodies[0];
    if (!batch.output_file_id && !batch.error_file_id) {
      previewAbort = null;
      ui.preview.hidden = true;
      ui.previewStatus.textContent = isTerminal(batch) ? "This batch has no result files." : "Results can be previewed once the batch ends.";
      return;
    }
    const controller = new AbortController();
    previewAbort = controller;
    ui.previewStatus.textContent = "Loading results…";
    const rows = [];
    try {
      for await (const result of app.client.results(batch, { signal: controller.signal })) {
        rows.push(result);
        if (rows.length >= PREVIEW_ROWS) break;
      }
    } catch (error) {
      if (!controller.signal.aborted) ui.previewStatus.textContent = `Could not read the results: ${app.describeError(error)}`;
      return;
    }
    if (controller.signal.aborted) return;
    tbody.replaceChildren(
      ...rows.map((r) => {
        const failed = Boolean(r.error) || (r.response?.status_code ?? 200) >= 400;
        const status = r.error && !r.response ? (r.error.code ?? "error") : String(r.response?.status_code ?? "—");
        return el(
          "tr",
          { className: failed ? "failed" : "" },
          el("td", { text: `${r.source === "error" ? "E" : ""}${r.line}`, title: `line ${r.line} of the ${r.source} file` }),
          el("td", {}, el("code", { text: r.custom_id ?? "—" })),
          el("td", { className: failed ? "bad-text" : "ok-text", text: status }),
          el("td", { text: clip(resultText(r)) }),
        );
      }),
    );
    ui.preview.hidden = rows.length === 0;
    ui.previewStatus.textContent = rows.length ? `The first ${rows.length} results (output file, then error file).` : "The result files are empty.";
  }

  ui.cancel.addEventListener("click", () => {
    const batch = app.batches.get(current);
    if (!batch) return;
    ui.confirmText.textContent = `${batch.id} is ${statusText(batch.status)}. Requests not finished yet will not run; finished ones stay in its results.`;
    ui.confirm.returnValue = "";
    ui.confirm.showModal();
  });

  ui.confirm.addEventListener("close", async () => {
    if (ui.confirm.returnValue !== "cancel" || !current) return;
    const id = current;
    ui.cancel.disabled = true;
    ui.cancel.textContent = "Cancelling…";
    try {
      const batch = await app.client.cancel(id);
      app.upsert(batch);
      app.announce(`${id} is now ${statusText(batch.status)}.`);
    } catch (error) {
      show(ui.alert, app.describeError(error));
    } finally {
      ui.cancel.disabled = false;
      ui.cancel.textContent = "Cancel batch…";
    }
  });

  ui.resubmit.addEventListener("click", () => {
    const batch = app.batches.get(current);
    if (!batch) return;
    const { total, completed } = batch.request_counts;
    const left = total ? `${count(Math.max(0, total - completed))} of its ${count(total)} requests` : "its requests that did not succeed";
    ui.resubmitText.textContent = `${batch.id} is ${statusText(batch.status)}. A new batch will hold ${left}: the failed, expired, cancelled and never-run ones, read from its files.`;
    ui.confirmResubmit.returnValue = "";
    ui.confirmResubmit.showModal();
  });

  ui.confirmResubmit.addEventListener("close", async () => {
    if (ui.confirmResubmit.returnValue !== "resubmit" || !current) return;
    const id = current;
    ui.resubmit.disabled = true;
    ui.resubmit.textContent = "Resubmitting…";
    try {
      const made = await app.client.resubmit(app.batches.get(id) ?? id);
      if (made) {
        app.upsert(made);
        app.announce(`${made.id} was created with what ${id} left undone.`);
        show(ui.alert, `Created ${made.id}.`);
      } else {
        show(ui.alert, `Every request of ${id} succeeded: nothing to resubmit.`);
      }
    } catch (error) {
      show(ui.alert, app.describeError(error));
    } finally {
      ui.resubmit.disabled = false;
      ui.resubmit.textContent = "Resubmit failed…";
    }
  });

  ui.dialog.addEventListener("close", () => {
    previewAbort?.abort();
    previewAbort = null;
    current = null;
  });
  for (const button of ui.dialog.querySelectorAll("[data-close]")) button.addEventListener("click", close);
  // A click on the backdrop (outside the dialog's box) closes it too.
  ui.dialog.addEventListener("click", (event) => {
    const box = ui.dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (event.target === ui.dialog && !inside) close();
  });

  /** Called with the ids an update touched. */
  function refresh(ids) {
    if (current && ids.has(current)) render();
  }

  return { open, close, refresh };
}
