// A tiny browser app (tests/ecosystem/app/) that imports "llm-batches" by name, built the way its
// users build it: with Vite (production build, and the dev server) and with esbuild. Each build is
// loaded in headless Chromium (Debian's /usr/bin/chromium through playwright-core) and must list
// batches from the mock provider.
//
// Built apps go to tests/.out/ecosystem/ and are served by the mock itself (same origin as the API);
// the Vite dev server runs on its own port and reaches the mock across origins (CORS).
//
//   node --test tests/ecosystem/bundlers.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { build as viteBuild, createServer as viteServer } from 'vite';
import { startMock } from '../mock-provider/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, outRoot, pkgDir, root } from './helpers.mjs';

const appDir = path.join(root, 'tests/ecosystem/app');
const viteOut = path.join(outRoot, 'vite');
const esbuildOut = path.join(outRoot, 'esbuild');

let mock;
let browser;
let skip = false;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    skip = `no Chromium at ${CHROMIUM}`;
    return;
  }
  mock = await startMock({ static: { '/vite/': viteOut, '/esbuild/': esbuildOut } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

/** Loads `url` and returns what the app left on window, plus the wasm it fetched and any page errors. */
async function runApp(url) {
  const page = await browser.newPage();
  const errors = [];
  const wasm = [];
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  const urls = [];
  page.on('response', (res) => {
    urls.push(res.url());
    if (res.url().endsWith('.wasm')) wasm.push({ url: res.url(), status: res.status(), type: res.headers()['content-type'] });
  });
  try {
    await page.goto(url, { timeout: 30_000 });
    await page.waitForFunction(() => window.__app || window.__fatal, null, { timeout: 30_000 });
    const { app, fatal, rows } = await page.evaluate(() => ({
      app: window.__app ?? null,
      fatal: window.__fatal ?? null,
      rows: [...document.querySelectorAll('#batches tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
    }));
    return { app, fatal, rows, errors, wasm, urls };
  } finally {
    await page.close();
  }
}

function assertListed(run) {
  assert.equal(run.fatal, null, run.fatal);
  assert.deepEqual(run.errors, []);
  const first = mock.batches('openai').slice(0, 5);
  assert.deepEqual(run.app.batches.map((b) => b.id), first.map((b) => b.id));
  assert.deepEqual(run.app.batches.map((b) => b.status), first.map((b) => b.status));
  assert.equal(run.app.hasMore, true);
  assert.deepEqual(run.app.notFound, { isBatchError: true, kind: 'api', status: 404 });
  assert.equal(run.rows.length, 5);
  assert.deepEqual(run.rows[1], ['batch_oai_001', 'in_progress', `${first[1].request_counts.completed}/${first[1].request_counts.total}`]);
  assert.equal(run.wasm.length, 1, 'the wasm is fetched once');
  assert.equal(run.wasm[0].status, 200);
  assert.equal(run.wasm[0].type, 'application/wasm', 'served as wasm, so it streams and compiles');
}

test('vite build: emits the wasm as a hashed asset and the app lists batches in Chromium', async (t) => {
  if (skip) return t.skip(skip);
  await viteBuild({ root: appDir, base: './', logLevel: 'silent', configFile: false, build: { outDir: viteOut, emptyOutDir: true } });
  const assets = await readdir(path.join(viteOut, 'assets'));
  assert.equal(assets.filter((f) => /^llm_batches_bg-[\w-]+\.wasm$/.test(f)).length, 1, `one wasm asset in ${assets}`);
  const run = await runApp(`${mock.url}/vite/index.html`);
  assertListed(run);
  assert.match(run.wasm[0].url, /\/vite\/assets\/llm_batches_bg-[\w-]+\.wasm$/);
});

test('vite dev server: the app lists batches (the dependency pre-bundling keeps the wasm reachable)', async (t) => {
  if (skip) return t.skip(skip);
  // The app with the package installed as a plain directory, as npm does: a symlinked package
  // (like node_modules/llm-batches -> pkg here) is treated as source and never pre-bundled.
  const devDir = path.join(outRoot, 'vite-dev');
  await rm(devDir, { recursive: true, force: true });
  await cp(appDir, devDir, { recursive: true });
  await cp(pkgDir, path.join(devDir, 'node_modules/llm-batches'), { recursive: true });
  const server = await viteServer({
    root: devDir,
    configFile: false,
    cacheDir: path.join(devDir, 'node_modules/.vite'),
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  try {
    await server.listen();
    const origin = server.resolvedUrls.local[0].replace(/\/$/, '');
    const run = await runApp(`${origin}/?api=${encodeURIComponent(mock.url)}`);
    assertListed(run);
    assert.ok(run.urls.some((u) => u.includes('/.vite/deps/llm-batches.js')), 'the package was pre-bundled');
  } finally {
    await server.close();
  }
});

test('esbuild: bundles the browser entry; the wasm is copied next to the bundle and the app lists batches', async (t) => {
  if (skip) return t.skip(skip);
  await rm(esbuildOut, { recursive: true, force: true });
  await mkdir(esbuildOut, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(appDir, 'main.js')],
    outdir: esbuildOut,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('llm-batches/browser.js') || f.endsWith('pkg/browser.js')), `browser entry bundled: ${inputs}`);
  assert.ok(!inputs.some((f) => /\/(node|workerd)\.js$/.test(f)), 'no other runtime entry');
  // esbuild leaves `new URL("./llm_batches_bg.wasm", import.meta.url)` as it is: the file has to sit
  // next to the bundle (the README says so).
  await copyFile(path.join(pkgDir, 'llm_batches_bg.wasm'), path.join(esbuildOut, 'llm_batches_bg.wasm'));
  await copyFile(path.join(appDir, 'index.html'), path.join(esbuildOut, 'index.html'));
  const run = await runApp(`${mock.url}/esbuild/index.html`);
  assertListed(run);
});

test('esbuild --platform=node: the bundle needs the wasm beside it, says so without it, and works with it', async () => {
  const dir = path.join(outRoot, 'esbuild-node');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const entry = path.join(dir, 'entry.mjs');
  await writeFile(entry, `import { BatchClient } from 'llm-batches';\nconst page = await new BatchClient({ apiKey: 'k', baseURL: process.argv[2] }).list({ limit: 2 });\nconsole.log(JSON.stringify(page.data.map((b) => b.id)));\n`);
  const result = await esbuild.build({ entryPoints: [entry], outfile: path.join(dir, 'out/app.mjs'), bundle: true, format: 'esm', platform: 'node', target: 'node20', metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((f) => /(llm-batches|pkg)\/node\.js$/.test(f)), `node entry bundled: ${inputs}`);
  // Async: the mock answers from this process, so a synchronous spawn would wait on itself.
  const run = (args) => new Promise((resolve) => execFile(process.execPath, args, (error, stdout, stderr) => resolve({ status: error ? error.code : 0, stdout, stderr })));
  const local = await startMock();
  try {
    const missing = await run([path.join(dir, 'out/app.mjs'), `${local.url}/openai/v1`]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /llm-batches: cannot read its WebAssembly at .*out\/llm_batches_bg\.wasm \(ENOENT\); a bundle needs llm_batches_bg\.wasm copied next to it/);
    await copyFile(path.join(pkgDir, 'llm_batches_bg.wasm'), path.join(dir, 'out/llm_batches_bg.wasm'));
    const ok = await run([path.join(dir, 'out/app.mjs'), `${local.url}/openai/v1`]);
    assert.equal(ok.status, 0, ok.stderr);
    const ids = JSON.parse(ok.stdout);
    assert.equal(ids.length, 2);
    assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0), ok.stdout);
  } finally {
    await local.close();
  }
});
