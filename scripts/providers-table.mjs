#!/usr/bin/env node
// Renders the package's PROVIDERS (pkg/facts.js, made from the Rust table by scripts/facts.mjs) as
// the Markdown table between `<!-- providers-table:start -->` and `<!-- providers-table:end -->` in
// README.md, so the README says what the code does. With CI=true it only checks that the table is
// up to date (and fails when it is not).
import { readFileSync, writeFileSync } from 'node:fs';
import { PROVIDERS } from '../pkg/facts.js';

const START = '<!-- providers-table:start -->';
const END = '<!-- providers-table:end -->';
const cell = (text) => String(text).replace(/\|/g, '\\|');
const limit = (p) => {
  const parts = [];
  parts.push(p.maxRequests === null ? 'requests: none documented' : `${p.maxRequests.toLocaleString('en-US')} requests`);
  if (p.maxBytes !== null) parts.push(`${p.maxBytes / 1_000_000} MB`);
  if (p.windows.length) parts.push(`\`${p.windows.join('`, `')}\``);
  return parts.join(', ');
};
const lines = [
  '| `provider` | default `baseURL` | key (CLI variable) | limits per batch | what differs, and what you get |',
  '|---|---|---|---|---|',
  ...PROVIDERS.map((p) => {
    const base = p.baseURL ? `\`${p.baseURL}\`` : 'your resource (required)';
    const features = [p.files ? null : 'no files', p.metadata ? null : 'no metadata'].filter(Boolean);
    const notes = `${p.notes}${features.length ? ` (${features.join(', ')})` : ''}`;
    return `| [\`${p.name}\`](${p.docs}) | ${base} | \`${p.auth}\` (\`${p.keyEnv}\`) | ${cell(limit(p))} | ${cell(notes)} |`;
  }),
];
const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
const next = `${readme.slice(0, start)}${START}\n${lines.join('\n')}\n${readme.slice(end)}`;
if (process.env.CI === 'true') {
  if (next !== readme) {
    console.error('providers-table: README.md\'s providers table is out of date: run node scripts/providers-table.mjs');
    process.exit(1);
  }
  console.log('providers-table: README.md\'s table matches PROVIDERS');
} else if (next !== readme) {
  writeFileSync(file, next);
  console.log('providers-table: README.md updated');
} else {
  console.log('providers-table: README.md\'s table already up to date');
}
