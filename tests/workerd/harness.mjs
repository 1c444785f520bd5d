// Bundling a test Worker and starting it in workerd through Miniflare, as tests/workerd/*.test.mjs
// need it. The Worker is bundled with esbuild under the "workerd" export condition; the package's
// `.wasm` import is kept as its own module, copied next to the bundle and handed to workerd as a
// CompiledWasm module, exactly as Wrangler does for a deployed Worker.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';

// workerd refuses compatibility dates later than its own build; this one is older than the
// pinned workerd (see package.json's miniflare) and needs no flags.
export const COMPATIBILITY_DATE = '2026-04-01';

/** Marks `.wasm` imports external and copies each file next to the bundle under its own name. */
function wasmModules(outDir) {
  return {
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
}

/** Bundles `entry` into `outDir` (emptied first; each suite needs its own, as suites run in parallel). */
export async function bundleWorker(entry, outDir) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, 'worker.mjs');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [wasmModules(outDir)],
    logLevel: 'silent',
  });
  return outfile;
}

/** A Miniflare running the bundle in `outDir` with `bindings`; call `dispose()` when done. */
export function startWorker(outDir, bindings) {
  return new Miniflare({
    modules: true,
    scriptPath: path.join(outDir, 'worker.mjs'),
    modulesRoot: outDir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    host: '127.0.0.1',
    port: 0,
  });
}
