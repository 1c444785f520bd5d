// The summary above the table: what is running, what ended today, requests in flight, tokens and
// their cost, and a sparkline of the requests done while this page has been watching. Prices per
// million tokens are the user's, kept in sessionStorage. Everything here is computed from the
// batches the page holds; nothing is fetched.
import { isTerminal, usageOf } from "llm-batches";
import { $, show } from "./dom.js";
import { cost, count, deadlineMs, money, parsePrice, tokens } from "./format.js";

const PRICES = "llm-batches-dashboard-prices";
const SVG = "http://www.w3.org/2000/svg";
/** Samples kept for the sparkline: about 3 minutes of the demo's polling, 20 of a real provider's. */
const MAX_SAMPLES = 90;
/** The rate is measured over this much of the latest samples. */
const RATE_WINDOW_MS = 60_000;
const WIDTH = 240;
const HEIGHT = 44;

const done = (batch) => batch.request_counts.completed + batch.request_counts.failed;

function startOfToday(nowMs) {
  const day = new Date(nowMs);
  day.setHours(0, 0, 0, 0);
  return day.getTime() / 1000;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function createOverview() {
  const ui = {
    running: $("stat-running"),
    finished: $("stat-finished"),
    failed: $("stat-failed"),
    flight: $("stat-flight"),
    tokens: $("stat-tokens"),
    spark: $("spark"),
    sparkCaption: $("spark-caption"),
    prices: $("prices"),
    priceInput: $("price-input"),
    priceOutput: $("price-output"),
    pricesClear: $("prices-clear"),
    pricesError: $("prices-error"),
  };
  const baseline = new Map(); // id -> requests done when first seen running
  let samples = []; // { at, done }: requests done since first seen, over every batch seen running
  let prices = null; // { input, output } per million tokens, or null
  let onPrices = () => {};

  function loadPrices() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(PRICES) ?? "null");
      if (saved && typeof saved === "object") {
        const input = parsePrice(saved.input);
        const output = parsePrice(saved.output);
        if (input !== null || output !== null) prices = { input, output };
      }
    } catch {
      sessionStorage.removeItem(PRICES);
    }
    ui.priceInput.value = prices?.input ?? "";
    ui.priceOutput.value = prices?.output ?? "";
    ui.prices.open = false;
  }

  function readPrices() {
    const input = parsePrice(ui.priceInput.value);
    const output = parsePrice(ui.priceOutput.value);
    const bad = [[ui.priceInput, input, "input"], [ui.priceOutput, output, "output"]].filter(([field, value]) => value === null && field.value.trim() !== "");
    for (const field of [ui.priceInput, ui.priceOutput]) field.removeAttribute("aria-invalid");
    for (const [field] of bad) field.setAttribute("aria-invalid", "true");
    show(ui.pricesError, bad.length ? `Enter the ${bad.map(([, , what]) => what).join(" and ")} price as a number, such as 1.25.` : "");
    prices = input === null && output === null ? null : { input, output };
    if (prices) sessionStorage.setItem(PRICES, JSON.stringify(prices));
    else sessionStorage.removeItem(PRICES);
    onPrices();
  }

  /** Batches first seen running start counting from what they had done by then. */
  function observe(batch) {
    if (!isTerminal(batch) && !baseline.has(batch.id)) baseline.set(batch.id, done(batch));
  }

  /** One point of the sparkline, after a watch cycle. */
  function sample(batches, nowMs) {
    let total = 0;
    for (const [id, from] of baseline) {
      const batch = batches.get(id);
      if (batch) total += Math.max(0, done(batch) - from);
    }
    samples.push({ at: nowMs, done: total });
    if (samples.length > MAX_SAMPLES) samples = samples.slice(-MAX_SAMPLES);
    renderSpark();
  }

  function reset() {
    baseline.clear();
    samples = [];
    renderSpark();
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  function renderSpark() {
    if (samples.length < 2) {
      ui.spark.replaceChildren(svg("line", { x1: 0, y1: HEIGHT - 1, x2: WIDTH, y2: HEIGHT - 1, class: "spark-base" }));
      ui.sparkCaption.textContent = samples.length ? "Requests done while watching: measuring…" : "Requests done while watching: waiting for the first updates.";
      return;
    }
    const first = samples[0];
    const last = samples.at(-1);
    const span = Math.max(1, last.at - first.at);
    const top = Math.max(1, last.done - first.done);
    const points = samples.map((s) => {
      const x = ((s.at - first.at) / span) * WIDTH;
      const y = HEIGHT - 2 - ((s.done - first.done) / top) * (HEIGHT - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    ui.spark.replaceChildren(
      svg("polygon", { points: `0,${HEIGHT} ${points.join(" ")} ${WIDTH},${HEIGHT}`, class: "spark-area" }),
      svg("polyline", { points: points.join(" "), class: "spark-line", "vector-effect": "non-scaling-stroke" }),
    );
    // The rate over the last minute or so of samples.
    const recent = samples.find((s) => last.at - s.at <= RATE_WINDOW_MS) ?? first;
    const perMinute = last.at > recent.at ? ((last.done - recent.done) / (last.at - recent.at)) * 60_000 : 0;
    const since = clock.format(new Date(first.at));
    ui.sparkCaption.textContent = `Requests done while watching: ${count(last.done - first.done)} since ${since}, now ~${count(Math.round(perMinute))} a minute.`;
  }

  function stat(node, value, sub = "", tone = "") {
    node.querySelector(".n").textContent = value;
    const note = node.querySelector(".sub");
    note.textContent = sub;
    node.dataset.tone = tone;
  }

  /**
   * Redraws the figures: `all` the batches held, `shown` those the filter leaves (tokens and cost
   * follow the filter); `connected` false blanks them.
   */
  function render({ all, shown, nowMs, connected }) {
    if (!connected) {
      for (const node of [ui.running, ui.finished, ui.failed, ui.flight, ui.tokens]) stat(node, "—");
      return;
    }
    const today = startOfToday(nowMs);
    let running = 0;
    let overdue = 0;
    let flight = 0;
    let finished = 0;
    let failed = 0;
    let expired = 0;
    for (const batch of all) {
      if (!isTerminal(batch)) {
        running += 1;
        const left = deadlineMs(batch, nowMs);
        if (left !== null && left <= 0) overdue += 1;
        const { total, completed, failed: bad } = batch.request_counts;
        flight += Math.max(0, total - completed - bad);
      } else if (batch.status === "completed" && batch.completed_at >= today) finished += 1;
      else if (batch.status === "failed" && batch.failed_at >= today) failed += 1;
      else if (batch.status === "expired" && batch.expired_at >= today) expired += 1;
    }
    stat(ui.running, count(running), overdue ? `${count(overdue)} overdue` : "", overdue ? "warn" : "");
    stat(ui.finished, count(finished), "completed");
    stat(ui.failed, count(failed + expired), expired ? `${count(expired)} expired` : "", failed + expired ? "bad" : "");
    stat(ui.flight, count(flight), running ? `in ${count(running)} batch${running === 1 ? "" : "es"}` : "");

    let input = 0;
    let output = 0;
    let total = 0;
    let reported = 0;
    for (const batch of shown) {
      const used = usageOf(batch);
      if (!used) continue;
      reported += 1;
      input += used.input_tokens;
      output += used.output_tokens;
      total += used.total_tokens;
    }
    const filtered = shown.length < all.length ? " shown" : "";
    const spent = cost({ input_tokens: input, output_tokens: output }, prices);
    const sub = !reported ? "not reported" : spent === null ? `${tokens(input)} in · ${tokens(output)} out` : `${money(spent)}${filtered}`;
    stat(ui.tokens, reported ? tokens(total) : "—", sub);
    ui.tokens.dataset.empty = String(!reported);
    ui.tokens.title = reported ? `${count(input)} in, ${count(output)} out, over ${count(reported)} batch${reported === 1 ? "" : "es"} that report usage` : "The provider reports no usage for these batches.";
  }

  for (const field of [ui.priceInput, ui.priceOutput]) field.addEventListener("input", readPrices);
  ui.pricesClear.addEventListener("click", () => {
    ui.priceInput.value = "";
    ui.priceOutput.value = "";
    readPrices();
    ui.priceInput.focus();
  });
  $("prices-form").addEventListener("submit", (event) => event.preventDefault());
  loadPrices();
  renderSpark();

  return {
    observe,
    sample,
    reset,
    render,
    get prices() {
      return prices;
    },
    set onPrices(fn) {
      onPrices = fn;
    },
  };
}
