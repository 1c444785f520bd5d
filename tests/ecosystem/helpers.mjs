// Shared by the ecosystem tests: paths, and the esbuild plugin that bundles a Worker the way
// Wrangler does (the `.wasm` stays its own module, handed to workerd as a CompiledWasm module).
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pkgDir = path.join(root, 'pkg');
export const outRoot = path.join(root, 'tests/.out/ecosystem');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

/** esbuild plugin: marks `.wasm` imports external and copies each file into `outDir` under its own name. */
export function wasmModules(outDir) {
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
