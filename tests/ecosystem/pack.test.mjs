// The package the way a user gets it: `npm pack` of pkg/, installed from the tarball into a fresh
// project (offline: the package has no dependencies), imported from Node (ESM and require) and run
// as a bin, against the mock provider.
//
//   node --test tests/ecosystem/pack.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMock } from '../mock-provider/server.mjs';
import { pkgDir } from './helpers.mjs';

const run = promisify(execFile);
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const KEY = 'sk-pack-test-51c0';

let mock;
let tmp;
let project;
let packed;

before(async () => {
  mock = await startMock({ stepMs: 50 });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'llm-batches-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: pkgDir, env: NPM_ENV });
  [packed] = JSON.parse(stdout);
  project = path.join(tmp, 'consumer');
  await run('mkdir', [project]);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-package-lock', path.join(tmp, packed.filename)], { cwd: project, env: NPM_ENV });
});

after(async () => {
  await mock?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('pack: the tarball holds exactly the package files, the CLI executable', (t) => {
  t.diagnostic(`${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`);
  const files = Object.fromEntries(packed.files.map((f) => [f.path, f]));
  // wasm-bindgen puts the edge's JS helper (js/read.js) under a directory named with a hash.
  const named = (p) => p.replace(/^snippets\/llm-batches-[0-9a-f]{16}\//, 'snippets/HASH/');
  assert.deepEqual(Object.keys(files).map(named).sort(), [
    'LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'browser.js', 'cli.mjs', 'facts.js', 'index.d.ts', 'llm_batches.js', 'llm_batches_bg.wasm', 'node.js', 'package.json', 'shell.js', 'snippets/HASH/js/read.js', 'workerd.js',
  ]);
  assert.equal(files['cli.mjs'].mode & 0o111, 0o111, 'cli.mjs is executable');
  assert.ok(packed.size < 275_000, `the tarball stays small (${packed.size} bytes)`);
});

test('pack: package.json has what a registry page and the tools need', async () => {
  const pkg = JSON.parse(await readFile(path.join(project, 'node_modules/llm-batches/package.json'), 'utf8'));
  for (const field of ['description', 'keywords', 'license', 'repository', 'files', 'sideEffects', 'engines', 'types', 'exports', 'bin']) {
    assert.ok(pkg[field] !== undefined && pkg[field] !== '', `package.json has ${field}`);
  }
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.engines.node, '>=20');
  assert.deepEqual(pkg.bin, { 'llm-batches': 'cli.mjs' });
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'workerd', 'node', 'browser', 'default'], 'types first; workerd before node and browser');
  assert.ok(pkg.keywords.length >= 5);
  assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\//);
});

test('pack: the installed package imports and works in Node (ESM)', async () => {
  const script = `
    import { BatchClient, BatchError, isTerminal, validateRequests, toJsonl } from "llm-batches";
    const client = new BatchClient({ apiKey: process.env.KEY, baseURL: process.env.BASE });
    const page = await client.list({ limit: 3 });
    const requests = [{ custom_id: "a", method: "POST", url: "/v1/chat/completions", body: { model: "m" } }];
    const batch = await client.submit(requests);
    const done = await client.waitFor(batch.id, { pollInterval: 20 });
    const results = [];
    for await (const r of client.results(done)) results.push(r.custom_id);
    let error;
    try { await client.retrieve("batch_nope"); } catch (e) { error = { batchError: e instanceof BatchError, status: e.status }; }
    console.log(JSON.stringify({ ids: page.data.map((b) => b.id), terminal: isTerminal(done), ok: validateRequests(toJsonl(requests)).ok, results, error }));
  `;
  await writeFile(path.join(project, 'use.mjs'), script);
  const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: project, env: { ...process.env, KEY, BASE: `${mock.url}/openai/v1` } });
  assert.deepEqual(JSON.parse(stdout), {
    ids: ['batch_oai_000', 'batch_oai_001', 'batch_oai_002'],
    terminal: true,
    ok: true,
    results: ['a'],
    error: { batchError: true, status: 404 },
  });
});

test('pack: CommonJS can require() it on Node >= 20.19 (the node entry has no top-level await)', async (t) => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major === 20 && minor < 19) return t.skip(`require(esm) needs Node 20.19+, this is ${process.versions.node}`);
  await writeFile(path.join(project, 'use.cjs'), `
    const { BatchClient } = require("llm-batches");
    new BatchClient({ apiKey: process.env.KEY, baseURL: process.env.BASE }).retrieve("batch_oai_003").then((b) => console.log(b.status));
  `);
  const { stdout } = await run(process.execPath, ['--no-warnings', 'use.cjs'], { cwd: project, env: { ...process.env, KEY, BASE: `${mock.url}/openai/v1` } });
  assert.equal(stdout.trim(), 'completed');
});

test('pack: the bin runs from node_modules/.bin and through npx', async () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? tmp, LLM_BATCHES_API_KEY: KEY, LLM_BATCHES_BASE_URL: `${mock.url}/openai/v1`, TZ: 'UTC' };
  const bin = await run(path.join(project, 'node_modules/.bin/llm-batches'), ['get', 'batch_oai_003', '--json'], { cwd: project, env });
  assert.equal(JSON.parse(bin.stdout).status, 'completed');
  const npx = await run('npx', ['--offline', '--no-install', 'llm-batches', 'list', '--limit', '2'], { cwd: project, env: { ...NPM_ENV, ...env } });
  assert.match(npx.stdout, /^batch_oai_000 +validating/m);
  assert.ok(!`${bin.stdout}${bin.stderr}${npx.stdout}${npx.stderr}`.includes(KEY));
});
