// Shared by the ecosystem tests: paths and the Chromium they launch. (Workers are bundled by
// tests/workerd/harness.mjs, the way Wrangler does.)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pkgDir = path.join(root, 'pkg');
export const outRoot = path.join(root, 'tests/.out/ecosystem');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
