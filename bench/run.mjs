// The side-by-side benchmark: llm-batches vs the official `openai` SDK vs plain `fetch`, on one
// loopback mock (server.mjs, its own process), interleaved round by round, medians of the measured
// rounds (warm-up rounds discarded). Prints a markdown table, writes RESULTS.md and results.json.
//
//   make bench                      Node 24 against openai 7.x, then Node 20 against 6.x (after make pkg)
//   BENCH_QUICK=1 node run.mjs      a smoke run with few rounds; the numbers are not worth quoting
//   BENCH_OPENAI=openai6 node run.mjs   the 6.x pin instead (7.x needs Node 22 or later)
//
// Nothing here asserts on timings: a check only fails when a client returned the wrong data.
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { OPENAI_MODULE } from './lib/clients.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outDir = path.join(here, '.out');
const CLIENTS = ['ours', 'openai', 'fetch'];
const LABEL = { ours: 'llm-batches', openai: 'openai', fetch: 'baseline (fetch)' };
const QUICK = process.env.BENCH_QUICK === '1';
// The README's table comes from a run on Node 22 or later (what users run); an older Node writes
// its own RESULTS-nodeN.md / results-nodeN.json beside it.
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const TAG = NODE_MAJOR >= 22 ? '' : `-node${NODE_MAJOR}`;

// Rounds per measurement. Each round runs every client once, in rotating order (A B C, B C A, C A B).
const PLAN = QUICK
  ? {
      list100: { limit: 100, calls: 20, warmup: 1, rounds: 3 },
      list10k: { limit: 10_000, calls: 1, warmup: 1, rounds: 2 },
      list100Ppinfra: { limit: 100, calls: 20, warmup: 1, rounds: 3, dialect: 'ppinfra' },
      list10kPpinfra: { limit: 10_000, calls: 1, warmup: 1, rounds: 2, dialect: 'ppinfra' },
      results: [{ lines: 100_000, file: 'prebuilt', warmup: 0, rounds: 1 }, { lines: 100_000, file: 'anthropic', warmup: 0, rounds: 1 }],
      workerdResults: { lines: 100_000, warmup: 1, rounds: 1 },
      coldNode: { warmup: 1, rounds: 3 },
      coldWorkerd: { warmup: 1, rounds: 2 },
    }
  : {
      list100: { limit: 100, calls: 50, warmup: 3, rounds: 15 },
      list10k: { limit: 10_000, calls: 1, warmup: 2, rounds: 11 },
      // The same batches in PPInfra's dialect: llm-batches normalises them itself; openai and the
      // baseline run the plain-JS normaliser in lib/ppinfra.mjs (checked to give the same objects).
      list100Ppinfra: { limit: 100, calls: 50, warmup: 3, rounds: 15, dialect: 'ppinfra' },
      list10kPpinfra: { limit: 10_000, calls: 1, warmup: 2, rounds: 11, dialect: 'ppinfra' },
      // One warm-up round at the small size warms the server and the page cache; each run is a fresh
      // process anyway, so the large size goes straight to its measured rounds.
      // Two servers: `lines` generates each line as it writes (what earlier runs timed); `prebuilt`
      // writes one cached buffer, so the server is never what a client waits for.
      results: [
        { lines: 100_000, file: 'lines', warmup: 1, rounds: 7 },
        { lines: 100_000, file: 'prebuilt', warmup: 1, rounds: 7 },
        { lines: 400_000, file: 'lines', warmup: 0, rounds: 5 },
        { lines: 400_000, file: 'prebuilt', warmup: 0, rounds: 5 },
        // Anthropic's results (prebuilt): the SDK column is @anthropic-ai/sdk's streaming
        // `messages.batches.results`, which normalises nothing either.
        { lines: 100_000, file: 'anthropic', warmup: 1, rounds: 7 },
      ],
      workerdResults: { lines: 400_000, warmup: 1, rounds: 5 },
      coldNode: { warmup: 2, rounds: 10 },
      coldWorkerd: { warmup: 1, rounds: 7 },
    };

// workerd refuses compatibility dates later than its own build (same date as tests/workerd/).
const COMPATIBILITY_DATE = '2026-04-01';

// ---- helpers ---------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.ceil(at)] - s[lo]) * (at - lo);
};
const summary = (xs) => ({ median: median(xs), p25: quantile(xs, 0.25), p75: quantile(xs, 0.75), min: Math.min(...xs), max: Math.max(...xs), samples: xs });
const rotate = (round) => CLIENTS.map((_, k) => CLIENTS[(round + k) % CLIENTS.length]);
const log = (text) => process.stderr.write(`${text}\n`);

/** Runs `node args…` to completion; resolves with its stdout, rejects with its stderr. */
function node(args, { cwd = here } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** Spawn-to-"done" time of a fresh `node file baseURL`, then waits for it to exit. */
function coldNode(file, baseURL) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [file, baseURL], { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
    let elapsed = null;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (elapsed === null && out.includes('done\n')) elapsed = performance.now() - t0;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && elapsed !== null ? resolve(elapsed) : reject(new Error(`${file} exited ${code}: ${err.trim()}`))));
  });
}

/** The mock provider in a process of its own, so its work never lands on a client's clock. */
async function startServer() {
  const child = spawn(process.execPath, [path.join(here, 'server.mjs'), '--port', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill());
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`server.mjs exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/v1`, stop: () => child.stdin.end() };
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return { cpu: model.trim(), cores: os.availableParallelism?.() ?? os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)) };
}

function versions() {
  const require = createRequire(import.meta.url);
  // Walks up from the resolved entry to the package's own package.json (openai's `exports` hides it).
  const version = (name) => {
    try {
      let dir = path.dirname(require.resolve(name));
      for (;;) {
        const file = path.join(dir, 'package.json');
        if (existsSync(file)) {
          const json = JSON.parse(readFileSync(file, 'utf8'));
          if (json.name === name) return json.version;
        }
        if (dir === path.dirname(dir)) return null;
        dir = path.dirname(dir);
      }
    } catch {
      return null;
    }
  };
  return { 'llm-batches': version('llm-batches'), openai: version(OPENAI_MODULE), '@anthropic-ai/sdk': version('@anthropic-ai/sdk'), esbuild: esbuild.version, miniflare: version('miniflare'), workerd: version('workerd'), node: process.version };
}

// ---- 1 + 2: list ------------------------------------------------------------------------------

async function list(baseURL, plan) {
  log(`list${plan.dialect ? ` (${plan.dialect})` : ''}: ${plan.limit} batches a page, ${plan.calls} call(s) a turn, ${plan.warmup}+${plan.rounds} rounds`);
  const out = JSON.parse(await node(['--expose-gc', 'lib/list-child.mjs', baseURL, JSON.stringify(plan)]));
  return Object.fromEntries(CLIENTS.map((name) => [name, { ms: summary(out.perCallMs[name]) }]));
}

// ---- 3: read an output file to the end ------------------------------------------------------

async function results(baseURL, { lines, file, warmup, rounds }) {
  log(`results: ${lines} lines (${file}), one fresh process a run, ${warmup}+${rounds} rounds`);
  const runs = Object.fromEntries(CLIENTS.map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of rotate(round)) {
      const args = file === 'anthropic' ? [`msgbatch_bench_${lines}`, String(lines), 'anthropic'] : [`${file}-${lines}`, String(lines)];
      const run = JSON.parse(await node(['--expose-gc', 'lib/results-child.mjs', name, baseURL, ...args]));
      if (round >= warmup) runs[name].push(run);
      log(`  ${round < warmup ? 'warm-up ' : ''}${name}: ${run.ms.toFixed(0)} ms, +${((run.peakRss - run.idleRss) / 2 ** 20).toFixed(1)} MiB`);
    }
  }
  const errorsSeen = new Set(Object.values(runs).flat().map((r) => r.errors));
  if (errorsSeen.size !== 1) throw new Error(`the clients disagree on the number of failed lines: ${[...errorsSeen]}`);
  return Object.fromEntries(
    CLIENTS.map((name) => [
      name,
      {
        ms: summary(runs[name].map((r) => r.ms)),
        peakOverIdleBytes: summary(runs[name].map((r) => r.peakRss - r.idleRss)),
        idleRssBytes: summary(runs[name].map((r) => r.idleRss)),
        failedLines: runs[name][0].errors,
      },
    ]),
  );
}

// ---- 4: cold start in Node --------------------------------------------------------------------

async function coldStartNode(baseURL, { warmup, rounds }) {
  log(`cold start (node): spawn -> import -> construct -> retrieve, ${warmup}+${rounds} rounds`);
  const times = Object.fromEntries(CLIENTS.map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of rotate(round)) {
      const ms = await coldNode(path.join('lib', 'cold', `${name}.mjs`), baseURL);
      if (round >= warmup) times[name].push(ms);
    }
  }
  return Object.fromEntries(CLIENTS.map((name) => [name, { ms: summary(times[name]) }]));
}

// ---- 5: the Worker bundles (and 4b: cold start in workerd) -------------------------------------

/** Marks `.wasm` imports external and copies each next to the bundle (as tests/workerd/ does). */
function wasmModules(dir) {
  return {
    name: 'wasm-modules',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, async (args) => {
        const source = path.resolve(args.resolveDir, args.path);
        await copyFile(source, path.join(dir, path.basename(source)));
        return { path: `./${path.basename(source)}`, external: true };
      });
    },
  };
}

/** esbuild's Worker build of `entry` into `dir` (the `.wasm` beside it); its files and sizes. */
async function bundle(entry, dir) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const outfile = path.join(dir, 'worker.mjs');
  const built = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    alias: { openai: OPENAI_MODULE },
    plugins: [wasmModules(dir)],
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(built.metafile.outputs).filter((o) => o.entryPoint);
  const externals = output.imports.filter((i) => i.external).map((i) => path.join(dir, i.path));
  const parts = [];
  for (const file of [outfile, ...externals]) {
    const bytes = await readFile(file);
    parts.push({ file: path.relative(here, file), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  // The largest inputs of the JS bundle, for "what dominates".
  const largestInputs = Object.entries(output.inputs)
    .map(([file, { bytesInOutput }]) => ({ file, bytesInOutput }))
    .sort((a, b) => b.bytesInOutput - a.bytesInOutput)
    .slice(0, 8);
  return { scriptPath: outfile, dir, parts, bytes: parts.reduce((s, p) => s + p.bytes, 0), gzip: parts.reduce((s, p) => s + p.gzip, 0), largestInputs };
}

async function bundles() {
  log('bundles: esbuild --bundle --minify --format=esm, conditions workerd/worker/browser');
  const out = {};
  for (const name of CLIENTS) out[name] = await bundle(path.join(here, 'workers', `${name}.mjs`), path.join(outDir, 'workers', name));
  return out;
}

async function miniflare() {
  const require = createRequire(import.meta.url);
  try {
    return { Miniflare: (await import(pathToFileURL(require.resolve('miniflare')).href)).Miniflare };
  } catch (error) {
    return { skipped: `miniflare not found: ${error.message.split('\n')[0]}` };
  }
}

/** Miniflare's options for a Worker `bundle` built above, talking to the mock at `baseURL`. */
function workerOptions({ scriptPath, dir }, baseURL) {
  return {
    modules: true,
    scriptPath,
    modulesRoot: dir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { BASE_URL: baseURL },
    host: '127.0.0.1',
    port: 0,
  };
}

/** Resident set size of this process's `workerd` children (Miniflare starts one), in bytes. */
function workerdRss() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat);
      if (!comm.startsWith('workerd') || Number(rest.split(' ')[1]) !== process.pid) continue;
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    } catch {}
  }
  return total;
}

// ---- 6: read an output file inside workerd ------------------------------------------------------

async function workerdResults(baseURL, { lines, warmup, rounds }) {
  const { Miniflare, skipped } = await miniflare();
  if (skipped) return { skipped };
  log(`results in workerd: ${lines} lines (prebuilt), one Miniflare per client, ${warmup}+${rounds} rounds each, RSS sampled every 5 ms`);
  const file = `prebuilt-${lines}`;
  const out = { lines };
  for (const name of CLIENTS) {
    const built = await bundle(path.join(here, 'workers', `results-${name}.mjs`), path.join(outDir, 'workers', `results-${name}`));
    const mf = new Miniflare(workerOptions(built, baseURL));
    const times = [];
    const peaks = [];
    try {
      // Started and warm (one small read) before the idle figure is taken.
      await (await mf.dispatchFetch(`http://localhost/?file=prebuilt-1000`)).json();
      for (let round = 0; round < warmup + rounds; round++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const idle = workerdRss();
        let peak = idle;
        const sampler = setInterval(() => (peak = Math.max(peak, workerdRss())), 5);
        const t0 = performance.now();
        const res = await mf.dispatchFetch(`http://localhost/?file=${file}`, { signal: AbortSignal.timeout(120_000) });
        const body = await res.json();
        const ms = performance.now() - t0;
        clearInterval(sampler);
        peak = Math.max(peak, workerdRss());
        if (res.status !== 200 || body.count !== lines) throw new Error(`${name} worker answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        out.errors ??= body.errors;
        if (body.errors !== out.errors) throw new Error(`the Workers disagree on failed lines: ${body.errors} vs ${out.errors}`);
        log(`  ${round < warmup ? 'warm-up ' : ''}${name}: ${ms.toFixed(0)} ms, +${((peak - idle) / 2 ** 20).toFixed(1)} MiB (idle ${(idle / 2 ** 20).toFixed(0)} MiB)`);
        if (round >= warmup) {
          times.push(ms);
          peaks.push({ peak, idle });
        }
      }
    } finally {
      await mf.dispose();
    }
    out[name] = {
      ms: summary(times),
      peakOverIdleBytes: summary(peaks.map((p) => p.peak - p.idle)),
      idleRssBytes: summary(peaks.map((p) => p.idle)),
    };
  }
  return out;
}

async function coldStartWorkerd(baseURL, built, { warmup, rounds }) {
  const { Miniflare, skipped } = await miniflare();
  if (skipped) {
    log(`cold start (workerd): skipped, ${skipped}; run \`make pkg\` at the root`);
    return { skipped };
  }
  log(`cold start (workerd): new Miniflare(...) -> first dispatchFetch answered, ${warmup}+${rounds} rounds`);
  const times = Object.fromEntries(CLIENTS.map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const name of rotate(round)) {
      const t0 = performance.now();
      const mf = new Miniflare(workerOptions(built[name], baseURL));
      try {
        const res = await mf.dispatchFetch('http://localhost/', { signal: AbortSignal.timeout(60_000) });
        const batch = await res.json();
        const ms = performance.now() - t0;
        if (res.status !== 200 || batch.id !== 'bench_1') throw new Error(`${name} worker answered ${res.status}: ${JSON.stringify(batch).slice(0, 300)}`);
        if (round >= warmup) times[name].push(ms);
      } finally {
        await mf.dispose();
      }
    }
  }
  return Object.fromEntries(CLIENTS.map((name) => [name, { ms: summary(times[name]) }]));
}

// ---- report ----------------------------------------------------------------------------------

const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtMiB = (bytes) => (bytes / 2 ** 20).toFixed(1);
const fmtInt = (n) => n.toLocaleString('en-US');

function table(r) {
  const rows = [];
  const row = (metric, get, fmt) => {
    const v = Object.fromEntries(CLIENTS.map((name) => [name, get(name)]));
    if (CLIENTS.some((name) => v[name] === null || v[name] === undefined)) return;
    const ratio = v.openai ? `${(v.ours / v.openai).toFixed(2)}×` : '–';
    rows.push(`| ${metric} | ${fmt(v.ours)} | ${fmt(v.openai)} | ${fmt(v.fetch)} | ${ratio} |`);
  };
  row(`list, ${r.list100.limit}-batch page, per call (ms)`, (n) => r.list100[n].ms.median, fmtMs);
  row(`list, ${fmtInt(r.list10k.limit)}-batch page, per call (ms)`, (n) => r.list10k[n].ms.median, fmtMs);
  for (const p of [r.list100Ppinfra, r.list10kPpinfra].filter(Boolean)) {
    row(`list, ${fmtInt(p.limit)}-batch PPInfra page, normalised (openai and baseline + a JS normaliser), per call (ms)`, (n) => p[n].ms.median, fmtMs);
  }
  for (const size of r.results) {
    const mb = (size.bytes / 1e6).toFixed(0);
    if (size.file === 'anthropic') {
      row(`read ${fmtInt(size.lines)}-line Anthropic results file (${mb} MB, prebuilt; SDK column: @anthropic-ai/sdk ${r.versions['@anthropic-ai/sdk']}), time (ms)`, (n) => size[n].ms.median, fmtMs);
      row(`read ${fmtInt(size.lines)}-line Anthropic results file, peak RSS over idle (MiB)`, (n) => size[n].peakOverIdleBytes.median, fmtMiB);
      continue;
    }
    const server = size.file === 'prebuilt' ? 'prebuilt buffer' : 'lines generated';
    row(`read ${fmtInt(size.lines)}-line output file (${mb} MB, ${server}), time (ms)`, (n) => size[n].ms.median, fmtMs);
    row(`read ${fmtInt(size.lines)}-line output file (${server}), peak RSS over idle (MiB)`, (n) => size[n].peakOverIdleBytes.median, fmtMiB);
  }
  row('cold start, Node: spawn → import → construct → first retrieve (ms)', (n) => r.coldNode[n].ms.median, fmtMs);
  if (!r.coldWorkerd.skipped) row('cold start, workerd: new Miniflare → first answer (ms)', (n) => r.coldWorkerd[n].ms.median, fmtMs);
  const w = r.workerdResults;
  if (w && !w.skipped) {
    const mb = (w.bytes / 1e6).toFixed(0);
    row(`workerd: read ${fmtInt(w.lines)}-line output file (${mb} MB, prebuilt), time (ms)`, (n) => w[n].ms.median, fmtMs);
    row(`workerd: same, peak workerd RSS over idle (MiB)`, (n) => w[n].peakOverIdleBytes.median, fmtMiB);
  }
  row('Worker bundle (list + retrieve), minified, JS + .wasm (bytes)', (n) => r.bundles[n].bytes, fmtInt);
  row('Worker bundle, each file gzip -9, summed (bytes)', (n) => r.bundles[n].gzip, fmtInt);
  return [`| metric | llm-batches | openai | baseline (fetch) | ratio ours/openai |`, `|---|---:|---:|---:|---:|`, ...rows].join('\n');
}

// The README's Performance section holds the table of the last full run, between these markers.
async function updateReadme(r) {
  const file = path.join(root, 'README.md');
  const readme = await readFile(file, 'utf8');
  const [start, end] = ['<!-- bench:start -->', '<!-- bench:end -->'];
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) return;
  const m = r.machine;
  const block = `${start}\n${table(r)}\n\nMeasured ${r.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, Node ${m.node}, against openai ${r.versions.openai} (${r.git}); method and spreads in [bench/RESULTS.md](bench/RESULTS.md).\n`;
  await writeFile(file, readme.slice(0, i) + block + readme.slice(j));
  process.stdout.write('Updated the Performance table in README.md.\n');
}

function report(r) {
  const m = r.machine;
  const v = r.versions;
  const b = r.bundles;
  const parts = (name) => b[name].parts.map((p) => `${path.basename(p.file)} ${fmtInt(p.bytes)} B (${fmtInt(p.gzip)} gz)`).join(' + ');
  return `# llm-batches benchmark

${r.quick ? '**Smoke run (BENCH_QUICK=1): too few rounds to quote.**\n\n' : ''}Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}; load average ${m.loadAverageAtStart.join(' / ')} at start, ${m.loadAverageAtEnd.join(' / ')} at end.
Versions: llm-batches ${v['llm-batches']} (${r.git}), openai ${v.openai}, esbuild ${v.esbuild}, miniflare ${v.miniflare ?? '–'} (workerd ${v.workerd ?? '–'}).
Run ${r.date}, ${(r.seconds).toFixed(0)} s.

${table(r)}

Medians of the measured rounds; every round runs the three clients interleaved (rotating order), warm-up
rounds discarded; all spreads (p25/p75/min/max) and raw samples are in \`results.json\`. Lower is better; the
ratio is llm-batches / openai. One loopback mock (\`server.mjs\`, its own process) serves every client the
same bytes: pages of OpenAI-shaped batches (${fmtInt(r.pageBytes[100])} B for 100, ${fmtInt(r.pageBytes[10000])} B for 10,000)
and output files of ~${r.results[0].bytes / r.results[0].lines | 0} B a line with some non-ASCII, written in 64 KiB chunks.

- **list**: one process, the three clients in turn; llm-batches \`client.list({limit})\`, openai
  \`await client.batches.list({limit})\` (the first page object, no auto-pagination), baseline \`fetch\` + \`res.json()\`.
  ${r.list100.calls} calls a turn for 100 batches, ${r.list10k.calls} for 10,000; ${r.list100.rounds} / ${r.list10k.rounds} measured rounds.
- **list, PPInfra page**: the same batches as PPInfra sends them (${fmtInt(r.pageBytes.ppinfra100)} / ${fmtInt(r.pageBytes.ppinfra10000)} B): upper-case
  statuses, \`{}\` for unset times, a string \`created_at\`, the counts at the top level, \`errors\` as one string.
  llm-batches with \`provider: 'ppinfra'\` normalises them itself; openai and the baseline hand their page to
  \`lib/ppinfra.mjs\`, the plain-JS normaliser a user of the SDK would write, checked on every run to give the
  same objects as llm-batches.
- **read an output file**: a fresh process a run (${r.results.map((s) => `${s.rounds} rounds at ${fmtInt(s.lines)} lines`).join(', ')});
  llm-batches \`for await (const r of client.results({ output_file_id }))\` counting, openai
  \`(await client.files.content(id)).text()\` then \`split('\\n')\` and \`JSON.parse\` each line, baseline the same
  over \`fetch\` + \`res.text()\` (parsed lines are counted, not kept: the kindest case for those two).
  Peak RSS is sampled every ~5 ms from a worker thread; the figure is peak minus the same process's idle RSS
  (client imported and constructed, after gc) just before the read. All three agree on ${r.results[0].ours.failedLines} failed lines.
- **Anthropic results**: an ended Anthropic batch whose \`results_url\` is on the mock (the same answers as
  Messages, ~${((a) => (a ? (a.bytes / a.lines) | 0 : 0))(r.results.find((s) => s.file === 'anthropic'))} B a line); llm-batches \`client.results(batchId)\` with \`provider: 'anthropic'\`
  (retrieve, then stream and normalise each line into a \`BatchResult\`), @anthropic-ai/sdk
  \`for await (const r of await client.messages.batches.results(id))\` (retrieve, then stream and \`JSON.parse\`
  each line as sent), baseline \`fetch\` of the batch and of \`results_url\` + \`text()\` + \`split\` + \`JSON.parse\`.
- **cold start, Node**: a fresh \`node\` per run, timed from spawn to the answer on stdout (${r.coldNode.ours.ms.samples.length} runs each).
- **cold start, workerd**: ${r.coldWorkerd.skipped ? `skipped (${r.coldWorkerd.skipped})` : `a fresh Miniflare per run, timed from \`new Miniflare(...)\` to the first \`dispatchFetch\` answer (the Worker's retrieve), ${r.coldWorkerd.ours.ms.samples.length} runs each; it includes starting workerd itself, which the baseline row shows`}.
- **bundle**: \`workers/*.mjs\` (list + retrieve), esbuild \`--bundle --minify --format=esm\`, conditions
  workerd/worker/browser, the \`.wasm\` kept as its own module (what Wrangler uploads). llm-batches: ${parts('ours')};
  openai: ${parts('openai')}; baseline: ${parts('fetch')}.
`;
}

// ---- main ------------------------------------------------------------------------------------

const started = performance.now();
if (!existsSync(path.join(root, 'pkg', 'llm_batches_bg.wasm'))) {
  console.error('bench: ../pkg is not built; run `make pkg` first');
  process.exit(1);
}
try {
  createRequire(import.meta.url).resolve('llm-batches/package.json');
} catch {
  console.error('bench: `llm-batches` does not resolve; `make pkg` links node_modules/llm-batches -> ../pkg');
  process.exit(1);
}
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const server = await startServer();
let git = 'unknown commit';
try {
  const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'js', 'Cargo.toml', 'Cargo.lock'], { encoding: 'utf8' }).trim();
  git = `commit ${head}${dirty ? ', with uncommitted changes in src/ or js/' : ''}`;
} catch {}

try {
  const r = { quick: QUICK, date: new Date().toISOString(), machine: machine(), versions: versions(), git, pageBytes: {} };
  for (const limit of [100, 10_000]) {
    r.pageBytes[limit] = (await (await fetch(`${server.url}/batches?limit=${limit}`)).arrayBuffer()).byteLength;
    r.pageBytes[`ppinfra${limit}`] = (await (await fetch(`${server.url.replace(/\/v1$/, '/ppinfra/v1')}/batches?limit=${limit}`)).arrayBuffer()).byteLength;
  }
  r.list100 = { ...PLAN.list100, ...(await list(server.url, PLAN.list100)) };
  r.list10k = { ...PLAN.list10k, ...(await list(server.url, PLAN.list10k)) };
  r.list100Ppinfra = { ...PLAN.list100Ppinfra, ...(await list(server.url, PLAN.list100Ppinfra)) };
  r.list10kPpinfra = { ...PLAN.list10kPpinfra, ...(await list(server.url, PLAN.list10kPpinfra)) };
  r.results = [];
  for (const size of PLAN.results) {
    const file = size.file === 'anthropic' ? `${server.url.replace(/\/v1$/, '/anthropic/v1')}/messages/batches/msgbatch_bench_${size.lines}/results` : `${server.url}/files/${size.file}-${size.lines}/content`;
    const bytes = (await (await fetch(file)).arrayBuffer()).byteLength;
    r.results.push({ ...size, bytes, ...(await results(server.url, size)) });
  }
  r.coldNode = await coldStartNode(server.url, PLAN.coldNode);
  r.bundles = await bundles();
  r.coldWorkerd = await coldStartWorkerd(server.url, r.bundles, PLAN.coldWorkerd);
  r.workerdResults = await workerdResults(server.url, PLAN.workerdResults);
  if (!r.workerdResults.skipped) r.workerdResults.bytes = (await (await fetch(`${server.url}/files/prebuilt-${PLAN.workerdResults.lines}/content`)).arrayBuffer()).byteLength;
  for (const b of Object.values(r.bundles)) {
    b.scriptPath = path.relative(here, b.scriptPath);
    b.dir = path.relative(here, b.dir);
  }
  r.seconds = (performance.now() - started) / 1000;
  r.machine.loadAverageAtEnd = os.loadavg().map((x) => +x.toFixed(2));

  const text = report(r);
  await writeFile(path.join(here, `RESULTS${TAG}.md`), text);
  await writeFile(path.join(here, `results${TAG}.json`), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(`${text}\nWrote bench/RESULTS${TAG}.md and bench/results${TAG}.json.\n`);
  if (!r.quick && TAG === '') await updateReadme(r);
} finally {
  server.stop();
}
