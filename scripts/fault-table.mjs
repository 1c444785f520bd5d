#!/usr/bin/env node
// Renders the fault matrix's results (target/fault-matrix/{node,workerd,chromium}.json, written by
// tests/{node,workerd,browser}/faults.test.mjs) as the Markdown table between
// `<!-- fault-table:start -->` and `<!-- fault-table:end -->` in README.md.
//
//   node scripts/fault-table.mjs           rewrite the table in README.md (nothing else is touched)
//   node scripts/fault-table.mjs --check   only compare; exit 1 if README.md's table is not what
//                                          the last run gives. The default when CI=true: a clean
//                                          clone must not rewrite its README, and the table it
//                                          ships must be the one its own tests produce.
//   node scripts/fault-table.mjs --print   print the table to stdout
//
// The table holds nothing that varies between equal runs (no timings, no versions), so a check
// only fails when an outcome, a request count or the row list changed.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAULT_ROWS, RUNTIMES, timesOf } from '../tests/shared/faults.mjs';

const root = new URL('../', import.meta.url);
const readmePath = fileURLToPath(new URL('README.md', root));
const resultsDir = new URL('target/fault-matrix/', root);
const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';
const COLUMNS = { node: 'Node', workerd: 'workerd', chromium: 'Chromium' };

/** Client options a row sets beyond the matrix's fast defaults (maxRetries 2, timeout 2 s). */
function clientNote(client = {}, args = {}) {
  const notes = [];
  if (args.timeout !== undefined) notes.push(`its own timeout ${args.timeout} ms`);
  if (client.maxRetries !== undefined && client.maxRetries !== 2) notes.push(`maxRetries ${client.maxRetries}`);
  if (client.timeout !== undefined && client.timeout !== 2_000) notes.push(`timeout ${client.timeout} ms`);
  return notes.length ? ` (${notes.join(', ')})` : '';
}

function loadRuns() {
  const rowsFile = fileURLToPath(new URL('../tests/shared/faults.mjs', import.meta.url));
  const runs = {};
  for (const runtime of RUNTIMES) {
    const file = new URL(`${runtime}.json`, resultsDir);
    if (!existsSync(file)) {
      console.warn(`fault-table: no results for ${runtime} (${fileURLToPath(file)}); its column says "not run"`);
      continue;
    }
    const run = JSON.parse(readFileSync(file, 'utf8'));
    if (statSync(file).mtimeMs < statSync(rowsFile).mtimeMs) {
      console.warn(`fault-table: ${runtime}.json is older than tests/shared/faults.mjs; run its suite again`);
    }
    runs[runtime] = new Map(run.rows.map((row) => [row.id, row]));
  }
  return runs;
}

const escape = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Requests as counted for the table: a create's sends and its lookups apart, since that is the point. */
function requestCount(row, result) {
  if (row.call !== 'create' || !result.routes) return `${result.requests} req`;
  const sent = result.routes['POST /batches'] ?? 0;
  const lookups = result.routes['GET /batches'] ?? 0;
  const other = result.requests - sent - lookups;
  return [`${sent} create`, lookups ? `${lookups} lookup` : null, other ? `${other} other` : null].filter(Boolean).join(' + ');
}

function cell(row, result, notes) {
  if (!result) return 'not run';
  const counts = [requestCount(row, result)];
  if (result.batches !== null && result.batches !== undefined) counts.push(`${result.batches} batch${result.batches === 1 ? '' : 'es'}`);
  const mark = result.pass ? '✅' : result.todo ? '⚠️' : '❌';
  // "recovered", or the error's kind in code, with its HTTP status for `api`: "`api` 429".
  const [kind, status] = result.outcome.split(' ');
  const outcome = result.outcome === 'recovered' || !/^[a-z_]+$/.test(kind) ? result.outcome : `\`${kind}\`${status ? ` ${status}` : ''}`;
  // A known bug's reason once, under the table, with its number in the cell.
  let note = '';
  if (result.todo && !result.pass) {
    if (!notes.includes(result.todo)) notes.push(result.todo);
    note = ` (known bug ${notes.indexOf(result.todo) + 1})`;
  }
  return `${mark} ${outcome} · ${counts.join(' · ')}${note}`;
}

export function renderTable(runs) {
  const lines = [
    '| fault | call | Node | workerd | Chromium |',
    '|---|---|---|---|---|',
  ];
  const notes = [];
  for (const row of FAULT_ROWS) {
    const cells = RUNTIMES.map((runtime) => cell(row, runs[runtime]?.get(row.id), notes));
    lines.push(`| ${escape(row.fault)} · ${timesOf(row.rule)} | \`${row.call}\`${escape(clientNote(row.client, row.args))} | ${cells.join(' | ')} |`);
  }
  if (notes.length) lines.push('');
  for (const [i, text] of notes.entries()) lines.push(`Known bug ${i + 1} (⚠️, the row is a \`todo\` test until it is fixed): ${text}.${i + 1 < notes.length ? '<br>' : ''}`);
  return lines.join('\n');
}

function block(table) {
  return [
    START,
    '<!-- Generated by `node scripts/fault-table.mjs` from the last run of tests/*/faults.test.mjs; do not edit by hand. -->',
    '',
    table,
    '',
    END,
  ].join('\n');
}

function replaceBlock(readme, replacement) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return readme.slice(0, start) + replacement + readme.slice(end + END.length);
}

function main(argv) {
  const check = argv.includes('--check') || (process.env.CI === 'true' && !argv.includes('--write'));
  const runs = loadRuns();
  const table = renderTable(runs);
  if (argv.includes('--print')) {
    console.log(table);
    return 0;
  }
  const readme = readFileSync(readmePath, 'utf8');
  const updated = replaceBlock(readme, block(table));
  const columns = RUNTIMES.map((r) => `${COLUMNS[r]}: ${runs[r] ? 'ran' : 'not run'}`).join(', ');
  if (check) {
    if (updated === readme) {
      console.log(`fault-table: README.md's table matches this run (${columns})`);
      return 0;
    }
    const old = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length).split('\n');
    const now = block(table).split('\n');
    const changed = now.filter((line) => !old.includes(line)).slice(0, 10);
    console.error('fault-table: README.md\'s fault table is not what this run gives. Run `make test` (or the');
    console.error('faults suites and `node scripts/fault-table.mjs`) and commit README.md. Lines that differ:');
    for (const line of changed) console.error(`  ${line}`);
    return 1;
  }
  if (updated !== readme) {
    // Re-read just before writing: others may be editing README.md's other sections right now.
    const latest = readFileSync(readmePath, 'utf8');
    writeFileSync(readmePath, replaceBlock(latest, block(table)));
    console.log(`fault-table: README.md's table rewritten (${columns})`);
  } else {
    console.log(`fault-table: README.md's table already up to date (${columns})`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
