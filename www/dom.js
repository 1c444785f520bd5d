// Small DOM builders. Provider data only ever reaches the page through textContent and attribute
// values set here (the CSP's Trusted Types rule makes any HTML string sink throw).
import { count, exact, isoTime, percent, relative, statusKind, statusText, valueText } from "./format.js";

export const $ = (id) => document.getElementById(id);

/** `el("td", { text, className, attrs, title }, ...children)` */
export function el(tag, { text, className, attrs, title } = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  if (title !== undefined) node.title = title;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function show(node, text) {
  node.textContent = text ?? "";
  node.hidden = !text;
}

export function badge(status) {
  return el("span", { text: statusText(status), className: `badge status-${statusKind(status)}` });
}

/** Completed and failed as two segments of one bar, with the percentage and counts as text. */
export function progress({ total, completed, failed }) {
  const done = completed + failed;
  const pct = percent(done, total);
  const label = `${pct}% · ${count(completed)} completed, ${count(failed)} failed of ${count(total)}`;
  const bar = el("div", {
    className: "bar",
    attrs: { role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done), "aria-valuetext": label },
  });
  const ok = el("span", { className: "seg ok" });
  const bad = el("span", { className: "seg bad" });
  // CSSOM, not a style attribute: allowed under style-src 'self'.
  ok.style.width = `${total > 0 ? (completed / total) * 100 : 0}%`;
  bad.style.width = `${total > 0 ? (failed / total) * 100 : 0}%`;
  bar.append(ok, bad);
  const numbers = el("span", { className: "nums" }, el("strong", { text: `${pct}%` }), ` ${count(done)}/${count(total)}`);
  if (failed > 0) numbers.append(" · ", el("span", { className: "bad-text", text: `${count(failed)} failed` }));
  return el("div", { className: "progress" }, bar, numbers);
}

/** A relative time with the exact one on hover (and for screen readers, in `datetime`). */
export function timeAgo(seconds, nowMs) {
  if (typeof seconds !== "number") return el("span", { text: "—", className: "muted" });
  return el("time", { text: relative(seconds, nowMs), title: exact(seconds), attrs: { datetime: isoTime(seconds) } });
}

export function chips(metadata, max = Infinity) {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return el("span", { text: "—", className: "muted" });
  const list = el("ul", { className: "chips" });
  for (const [key, value] of entries.slice(0, max)) {
    list.append(el("li", { className: "chip" }, el("span", { className: "k", text: key }), el("span", { className: "v", text: valueText(value) })));
  }
  if (entries.length > max) list.append(el("li", { className: "chip more", text: `+${entries.length - max}` }));
  return list;
}
