// The package's types as a TypeScript user meets them (`tsc --strict`, resolving "llm-batches"
// through the package's exports map): types/ok.ts uses the whole public API and must compile, under
// Node's and bundlers' module resolution; types/bad.ts misuses it and must fail exactly on the
// lines marked `// expect TSxxxx`, with those codes.
//
//   node --test tests/ecosystem/types.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { pkgDir, root } from './helpers.mjs';

const run = promisify(execFile);
const TSC = path.join(root, 'node_modules/.bin/tsc');
const typesDir = path.join(root, 'tests/ecosystem/types');
const COMMON = ['--strict', '--noEmit', '--pretty', 'false', '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', 'false'];
const NODE = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
const BUNDLER = ['--module', 'esnext', '--moduleResolution', 'bundler'];

/** Runs tsc; resolves `{ code, errors: [{ file, line, code }], output }`. */
async function tsc(args) {
  let result;
  try {
    result = { code: 0, ...(await run(TSC, args, { cwd: root })) };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    result = error;
  }
  const output = `${result.stdout}${result.stderr}`;
  const errors = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+):/gm)].map((m) => ({ file: path.basename(m[1]), line: Number(m[2]), code: m[3] }));
  return { code: result.code, errors, output };
}

test('types: ok.ts, using the whole public API, compiles with --strict (nodenext resolution)', async () => {
  const { code, output } = await tsc([...COMMON, ...NODE, path.join(typesDir, 'ok.ts')]);
  assert.equal(code, 0, output);
});

test('types: ok.ts compiles with --moduleResolution bundler too (Vite, esbuild, webpack users)', async () => {
  const { code, output } = await tsc([...COMMON, ...BUNDLER, path.join(typesDir, 'ok.ts')]);
  assert.equal(code, 0, output);
});

test('types: ok.ts uses every export of index.d.ts', async () => {
  const dts = await readFile(path.join(pkgDir, 'index.d.ts'), 'utf8');
  const exported = [...dts.matchAll(/^export (?:declare )?(?:type|interface|class|function) (\w+)/gm)].map((m) => m[1]);
  const ok = await readFile(path.join(typesDir, 'ok.ts'), 'utf8');
  const missing = exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(ok));
  assert.ok(exported.length > 20);
  assert.deepEqual(missing, [], 'exports that ok.ts does not use');
});

test('types: the public API has no `any`', async () => {
  const dts = await readFile(path.join(pkgDir, 'index.d.ts'), 'utf8');
  const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\bany\b/);
});

test('types: bad.ts fails exactly where marked (missing apiKey, wrong status literal, ...)', async () => {
  const source = await readFile(path.join(typesDir, 'bad.ts'), 'utf8');
  const expected = source.split('\n').flatMap((text, i) => {
    const m = /\/\/ expect (TS\d+)$/.exec(text);
    return m ? [`${i + 1} ${m[1]}`] : [];
  });
  assert.ok(expected.length >= 10);
  const { code, errors, output } = await tsc([...COMMON, ...NODE, path.join(typesDir, 'bad.ts')]);
  assert.notEqual(code, 0, output);
  assert.deepEqual(errors.map((e) => `${e.line} ${e.code}`), expected, output);
  assert.ok(errors.every((e) => e.file === 'bad.ts'), output);
  assert.match(output, /Property 'apiKey' is missing/);
  assert.match(output, /"canceled"' is not assignable to type 'KnownBatchStatus'/);
});
