// The package's types as a TypeScript user meets them (`tsc --strict`, resolving "llm-batches"
// through the package's exports map), with TypeScript 5 and the current major: types/ok.ts uses the
// whole public API and must compile, under Node's and bundlers' module resolution; types/bad.ts
// misuses it and must fail exactly on the lines marked `// expect TSxxxx`, with those codes; and
// every code example of the README compiles.
//
//   node --test tests/ecosystem/types.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { outRoot, pkgDir, root } from './helpers.mjs';

const run = promisify(execFile);
const COMPILERS = [
  ['TypeScript 7', path.join(root, 'node_modules/typescript/bin/tsc')],
  ['TypeScript 5', path.join(root, 'node_modules/typescript5/bin/tsc')],
];
const typesDir = path.join(root, 'tests/ecosystem/types');
const COMMON = ['--strict', '--noEmit', '--pretty', 'false', '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', 'false'];
const NODE = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
const BUNDLER = ['--module', 'esnext', '--moduleResolution', 'bundler'];

/** Runs tsc; resolves `{ code, errors: [{ file, line, code }], output }`. */
async function tsc(bin, args) {
  let result;
  try {
    result = { code: 0, ...(await run(bin, args, { cwd: root })) };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    result = error;
  }
  const output = `${result.stdout}${result.stderr}`;
  const errors = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+):/gm)].map((m) => ({ file: path.basename(m[1]), line: Number(m[2]), code: m[3] }));
  return { code: result.code, errors, output };
}

for (const [name, bin] of COMPILERS) {
  test(`types (${name}): ok.ts, using the whole public API, compiles with --strict (nodenext resolution)`, async () => {
    const { code, output } = await tsc(bin, [...COMMON, ...NODE, path.join(typesDir, 'ok.ts')]);
    assert.equal(code, 0, output);
  });

  test(`types (${name}): ok.ts compiles with --moduleResolution bundler too (Vite, esbuild, webpack users)`, async () => {
    const { code, output } = await tsc(bin, [...COMMON, ...BUNDLER, path.join(typesDir, 'ok.ts')]);
    assert.equal(code, 0, output);
  });

  test(`types (${name}): bad.ts fails exactly where marked (missing apiKey, wrong status literal, ...)`, async () => {
    const source = await readFile(path.join(typesDir, 'bad.ts'), 'utf8');
    // `// expect TS2741|TS2345`: either code (TypeScript 5 and 7 word some errors differently).
    const expected = source.split('\n').flatMap((text, i) => {
      const m = /\/\/ expect (TS\d+(?:\|TS\d+)*)$/.exec(text);
      return m ? [{ line: i + 1, codes: m[1].split('|') }] : [];
    });
    assert.ok(expected.length >= 10);
    const { code, errors, output } = await tsc(bin, [...COMMON, ...NODE, path.join(typesDir, 'bad.ts')]);
    assert.notEqual(code, 0, output);
    const got = errors.map((e) => `${e.line} ${e.code}`);
    const want = expected.map(({ line, codes }) => `${line} ${codes.find((c) => got.includes(`${line} ${c}`)) ?? codes.join('|')}`);
    assert.deepEqual(got, want, output);
    assert.ok(errors.every((e) => e.file === 'bad.ts'), output);
    assert.match(output, /Property 'apiKey' is missing|'\{ baseURL: string; \}' is not assignable to parameter of type 'BatchClientOptions'/);
    assert.match(output, /"canceled"' is not assignable to type 'KnownBatchStatus'/);
  });

  test(`types (${name}): every code example of the README compiles with --strict`, async () => {
    const files = await readmeExamples();
    assert.ok(files.length >= 10, `README examples found: ${files.length}`);
    const { code, errors, output } = await tsc(bin, [...COMMON, ...NODE, ...files.map((f) => f.path)]);
    const where = errors.map((e) => `README.md line ${files.find((f) => path.basename(f.path) === e.file).line + e.line}: ${e.code}`);
    assert.equal(code, 0, `${where.join('\n')}\n${output}`);
  });
}

// Names the README's examples use without defining them: what the surrounding text has made.
const LIBRARY = ['BatchClient', 'BatchError', 'isTerminal', 'toJsonl', 'validateRequests', 'verifyWebhook', 'PROVIDERS', 'STATUSES', 'TERMINAL_STATUSES'];
const GIVEN = {
  client: 'declare const client: BatchClient;',
  file: 'declare const file: FileObject;',
  batch: 'declare const batch: Batch;',
  done: 'declare const done: Batch;',
  ids: 'declare const ids: string[];',
  requests: 'declare const requests: BatchRequest[];',
  render: 'declare function render(batch: Batch): void;',
  showBanner: 'declare function showBanner(error: BatchError): void;',
  handle: 'declare function handle(result: BatchResult): void;',
  keyTheUserTypedIn: 'declare const keyTheUserTypedIn: string;',
  apiKey: 'declare const apiKey: string;',
  process: 'declare const process: { env: Record<string, string | undefined> };',
};

/**
 * Writes each ```js / ```ts block of the README (and the module script of an ```html block) to its
 * own .ts module, with the names it uses but does not define declared after it (so its line numbers
 * stay the README's); resolves `[{ path, line }]`, `line` being the README line just before the code.
 */
async function readmeExamples() {
  const readme = (await readFile(path.join(root, 'README.md'), 'utf8')).split('\n');
  const dir = path.join(outRoot, 'readme-examples');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < readme.length; i++) {
    const fence = /^```(js|ts|html)\s*$/.exec(readme[i]);
    if (!fence) continue;
    const start = i;
    const body = [];
    for (i++; i < readme.length && !/^```\s*$/.test(readme[i]); i++) body.push(readme[i]);
    let code = body;
    let line = start + 1;
    if (fence[1] === 'html') {
      const open = body.findIndex((l) => /<script type="module">/.test(l));
      const close = body.findIndex((l, j) => j > open && /<\/script>/.test(l));
      if (open < 0 || close < 0) continue;
      code = body.slice(open + 1, close);
      line = start + 1 + open + 1;
    }
    const text = code.join('\n');
    const defined = new Set([...text.matchAll(/\b(?:const|let|var|function|type|interface)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
    for (const m of text.matchAll(/import\s*\{([^}]*)\}/g)) for (const n of m[1].split(',')) defined.add(n.trim().split(/\s+as\s+/).pop());
    const uses = (n) => !defined.has(n) && new RegExp(`(?<![.\\w$])${n}\\b`).test(text);
    const imports = LIBRARY.filter(uses);
    const types = ['Batch', 'BatchRequest', 'BatchResult', 'FileObject', 'BatchClient', 'BatchError']
      .filter((t) => !defined.has(t) && !imports.includes(t))
      .map((t) => `type ${t}`);
    const given = Object.entries(GIVEN).filter(([n]) => uses(n)).map(([, d]) => d);
    const prelude = [`import { ${[...imports, ...types].join(', ')} } from "llm-batches";`, ...given, 'export {};'];
    const file = path.join(dir, `line-${start + 1}.ts`);
    // The code first, at its README offset; the declarations after it (imports are hoisted).
    await writeFile(file, `${text}\n${prelude.join('\n')}\n`);
    files.push({ path: file, line });
  }
  return files;
}

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

test('types: ProviderName lists exactly the providers of PROVIDERS, in order', async () => {
  const dts = await readFile(path.join(pkgDir, 'index.d.ts'), 'utf8');
  const union = /export type ProviderName =([^;]+);/.exec(dts)?.[1] ?? '';
  const names = [...union.matchAll(/"([a-z0-9]+)"/g)].map((m) => m[1]);
  const { PROVIDERS } = await import(path.join(pkgDir, 'facts.js'));
  assert.deepEqual(names, PROVIDERS.map((p) => p.name));
});
