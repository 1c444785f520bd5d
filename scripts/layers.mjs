#!/usr/bin/env node
// Checks the layer rule of src/ (make test runs it): the import graph of its files has no circles,
// no arrow from core to edge or api, none from edge to api, and the core names no JS crate.
//
//   node scripts/layers.mjs            prints the layers and the number of arrows; exit 1 on a violation
//   node scripts/layers.mjs --graph    also prints every arrow
//
// An arrow is a path a file names: `use crate::core::json::Json`, `super::record::Value` in code,
// `crate::edge::convert::blob(…)`. It points at the file of the module the path leads to; a name a
// `mod.rs` only re-exports (`pub use error::Error`) leads to the file that defines it, so a
// re-export is no arrow back. A parent's `mod child;` is ownership, not an arrow.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every .rs file under src/, with its module path (`core::json::scan`; a mod.rs is its directory). */
function files(dir = root, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) files(full, out);
    else if (name.endsWith('.rs')) out.push(full);
  }
  return out;
}

function modulePath(file) {
  const rel = path.relative(root, file).replace(/\\/g, '/').replace(/\.rs$/, '');
  const parts = rel.split('/');
  if (parts.at(-1) === 'mod' || rel === 'lib') parts.pop();
  return parts.filter(Boolean);
}

const sources = new Map(); // "core::json::scan" -> { file, text, modules }
for (const file of files()) {
  // Comments and string literals name paths too ("see crate::core::x"); only code counts.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\/.*$/gm, '')
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .split('#[cfg(test)]')[0];
  sources.set(modulePath(file).join('::'), { file: path.relative(path.dirname(root), file), text });
}

/** `pub use child::{A, B}` of a module: name -> the module it comes from. */
function reexports(mod) {
  const out = new Map();
  const text = sources.get(mod)?.text ?? '';
  for (const m of text.matchAll(/pub(?:\(crate\))?\s+use\s+([\w:]+)::\{([^}]*)\}/g)) {
    for (const name of m[2].split(',').map((s) => s.trim().split(/\s+as\s+/).pop()).filter(Boolean)) out.set(name, m[1]);
  }
  for (const m of text.matchAll(/pub(?:\(crate\))?\s+use\s+([\w:]+)::(\w+)\s*;/g)) out.set(m[2], m[1]);
  return out;
}

/** The module (a key of `sources`) a path starting in module `from` leads to. */
function resolve(from, segments) {
  let mod;
  let rest;
  if (segments[0] === 'crate') [mod, rest] = [[], segments.slice(1)];
  else if (segments[0] === 'super') {
    // `super` is the parent of the current module (of a file's module, or of a mod.rs's directory).
    mod = from.split('::').filter(Boolean);
    rest = segments;
    while (rest[0] === 'super') {
      mod = mod.slice(0, -1);
      rest = rest.slice(1);
    }
  } else return null;
  let key = mod.join('::');
  for (const segment of rest) {
    const next = key ? `${key}::${segment}` : segment;
    if (sources.has(next)) {
      key = next;
      continue;
    }
    // A name the module only re-exports leads to where it comes from.
    const via = reexports(key).get(segment);
    if (via) {
      const parts = via.split('::');
      const target = parts[0] === 'crate' || parts[0] === 'super' ? resolve(key, parts) : resolve(key, ['crate', ...key.split('::').filter(Boolean), ...parts]);
      if (target !== null) return target;
    }
    break;
  }
  return key;
}

const edges = new Map();
for (const [mod, { text }] of sources) {
  const targets = new Set();
  const add = (segments) => {
    const target = resolve(mod, segments);
    if (target !== null && target !== mod && !mod.startsWith(`${target}::`)) targets.add(target);
  };
  // use crate::a::{b::C, d}; use super::x::{y, z};
  for (const m of text.matchAll(/\buse\s+((?:crate|super)(?:::\w+)*)::\{([^;]*?)\};/gs)) {
    for (const item of m[2].split(',').map((s) => s.trim()).filter(Boolean)) {
      const inner = item.replace(/\{.*$/s, '').replace(/::$/, '').split(/\s+as\s+/)[0];
      add([...m[1].split('::'), ...inner.split('::').filter((s) => s && s !== 'self')]);
    }
  }
  // Every other path that starts at crate:: or super:: (use lines without braces, paths in code).
  for (const m of text.matchAll(/\b((?:crate|super)(?:::\w+)+)/g)) {
    if (text.slice(Math.max(0, m.index - 200), m.index).match(/use\s+[^;]*\{[^}]*$/s)) continue;
    add(m[1].split('::'));
  }
  edges.set(mod, targets);
}

const layer = (mod) => mod.split('::')[0] || 'lib';
const RULES = [
  ['core', 'edge', 'the core must not use the edge'],
  ['core', 'api', 'the core must not use the API layer'],
  ['edge', 'api', 'the edge must not use the API layer'],
];
const problems = [];
for (const [from, targets] of edges) {
  for (const to of targets) {
    for (const [a, b, why] of RULES) if (layer(from) === a && layer(to) === b) problems.push(`${sources.get(from).file} -> ${sources.get(to).file}: ${why}`);
  }
  if (layer(from) === 'core' && /\b(wasm_bindgen|js_sys|web_sys)\b/.test(sources.get(from).text)) {
    problems.push(`${sources.get(from).file} names a JS crate: the core is pure Rust`);
  }
}

// Circles: a depth-first search over the files.
const state = new Map();
const stack = [];
function visit(mod) {
  state.set(mod, 'open');
  stack.push(mod);
  for (const to of edges.get(mod) ?? []) {
    if (state.get(to) === 'open') {
      const circle = [...stack.slice(stack.indexOf(to)), to].map((m) => sources.get(m)?.file ?? m);
      problems.push(`circle: ${circle.join(' -> ')}`);
    } else if (!state.has(to)) visit(to);
  }
  stack.pop();
  state.set(mod, 'done');
}
for (const mod of edges.keys()) if (!state.has(mod)) visit(mod);

const arrows = [...edges.values()].reduce((n, t) => n + t.size, 0);
if (process.argv.includes('--graph')) {
  for (const [from, targets] of edges) for (const to of targets) console.log(`${sources.get(from).file} -> ${sources.get(to)?.file ?? to}`);
}
if (problems.length) {
  console.error(`layers: ${problems.length} violation${problems.length === 1 ? '' : 's'} of the layer rule (core <- edge <- api, no circles):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
const count = (l) => [...sources.keys()].filter((m) => layer(m) === l).length;
console.log(`layers: ${sources.size} files (core ${count('core')}, edge ${count('edge')}, api ${count('api')}), ${arrows} arrows, no circles, core <- edge <- api`);
