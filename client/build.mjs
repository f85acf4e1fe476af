// Builds the browser SDK and the demo page into client/dist with esbuild, after type-checking
// client/ with its own tsconfig (lib dom). Usage: node client/build.mjs [--no-check] [--outdir DIR]
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outdirFlag = process.argv.indexOf('--outdir');
const out = outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1]) : join(here, 'dist');

if (!process.argv.includes('--no-check')) {
  const tsc = join(here, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('[client] type check failed');
    process.exit(1);
  }
}

const common = {
  bundle: true,
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  sourcemap: true,
  logLevel: 'warning',
};

await mkdir(join(out, 'demo'), { recursive: true });
await Promise.all([
  build({
    ...common,
    entryPoints: [join(here, 'src', 'index.ts')],
    format: 'esm',
    outfile: join(out, 'mediaspread.esm.js'),
  }),
  build({
    ...common,
    entryPoints: [join(here, 'src', 'index.ts')],
    format: 'iife',
    globalName: 'MediaSpread',
    outfile: join(out, 'mediaspread.js'),
  }),
  build({
    ...common,
    entryPoints: [join(here, 'src', 'index.ts')],
    format: 'iife',
    globalName: 'MediaSpread',
    minify: true,
    outfile: join(out, 'mediaspread.min.js'),
  }),
  build({
    ...common,
    entryPoints: [join(here, 'demo', 'demo.ts')],
    format: 'esm',
    outfile: join(out, 'demo', 'demo.js'),
  }),
  copyFile(join(here, 'demo', 'index.html'), join(out, 'demo', 'index.html')),
]);
console.log(`[client] built ${out}`);
