// The shared scenarios inside workerd (the Cloudflare Workers runtime), through Miniflare.
//
// The Worker (worker.mjs) is bundled with esbuild under the "workerd" export condition; the
// package's `.wasm` import is kept as its own module, copied next to the bundle and handed to
// workerd as a CompiledWasm module, exactly as Wrangler does for a deployed Worker. The bundle goes
// to tests/.out/workerd/ (gitignored).
//
//   node --test tests/workerd/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { startMock } from '../mock-provider/server.mjs';
import { scenarios } from '../shared/scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(here, '../.out/workerd');

// workerd refuses compatibility dates later than its own build; this one is older than the
// pinned workerd (see package.json's miniflare) and needs no flags.
const COMPATIBILITY_DATE = '2026-04-01';

/** Marks `.wasm` imports external and copies each file next to the bundle under its own name. */
const wasmModules = {
  name: 'wasm-modules',
  setup(build) {
    const copies = new Map();
    build.onResolve({ filter: /\.wasm$/ }, (args) => {
      const source = path.resolve(args.resolveDir, args.path);
      const name = path.basename(source);
      const seen = copies.get(name);
      if (seen && seen !== source) throw new Error(`two different wasm files named ${name}`);
      copies.set(name, source);
      return { path: `./${name}`, external: true };
    });
    build.onEnd(async (result) => {
      if (result.errors.length) return;
      for (const [name, source] of copies) await copyFile(source, path.join(outDir, name));
    });
  },
};

async function bundle() {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, 'worker.mjs');
  await esbuild.build({
    entryPoints: [path.join(here, 'worker.mjs')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [wasmModules],
    logLevel: 'silent',
  });
  return outfile;
}

/** Runs the worker once against a fresh mock; everything is torn down before the tests report. */
async function runInWorkerd() {
  const mock = await startMock();
  let mf;
  try {
    const scriptPath = await bundle();
    mf = new Miniflare({
      modules: true,
      scriptPath,
      modulesRoot: outDir,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { MOCK_URL: mock.url },
      host: '127.0.0.1',
      port: 0,
    });
    // runAll stops starting scenarios after 60 s; this only guards against a wedged runtime.
    const res = await mf.dispatchFetch('http://localhost/', { signal: AbortSignal.timeout(90_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`worker answered ${res.status}: ${text.slice(0, 2000)}`);
    const body = JSON.parse(text);
    return { ...body, wireRequests: mock.requests.length };
  } finally {
    await mf?.dispose();
    await mock.close();
  }
}

let run;
let setupError;
try {
  run = await runInWorkerd();
} catch (error) {
  setupError = error;
}

test('workerd: the worker bundles, starts and runs the scenarios', () => {
  if (setupError) throw setupError;
  assert.ok(Array.isArray(run.results), 'results array');
  assert.ok(run.wireRequests > 0, 'the worker reached the mock on 127.0.0.1');
  for (const name of ['BatchClient', 'BatchError', 'isTerminal']) assert.ok(run.exports.includes(name), `exports ${name}`);
});

for (const scenario of scenarios) {
  test(`workerd: ${scenario.name}`, (t) => {
    if (setupError) return t.skip('the worker did not run (see the first workerd test)');
    const result = run.results.find((r) => r.name === scenario.name);
    assert.ok(result, `no result reported for this scenario`);
    if (!result.ok) assert.fail(result.error);
  });
}
