// Builds the playground (playground/src, the engine from lib/) into playground/dist: index.html,
// style.css and one app.js bundle for browsers, every asset path relative, so the folder can be
// hosted anywhere (a static host, a sub-folder) or served by `modrewrite playground`.
// The engine imports a few Node built-ins; in the page they are small shims (playground/shims):
// stats answer from the page's virtual file tree, process.env is empty, Buffer converts bytes.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..', 'playground');
const out = join(here, 'dist');
const shim = (name) => join(here, 'shims', `${name}.ts`);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// app.js (the page, an ES module) and worker.js (the engine, a classic worker script)
const common = {
  bundle: true,
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: join(here, 'tsconfig.json'),
  inject: [shim('globals')],
  alias: {
    'node:fs': shim('node-fs'),
    'node:path': shim('node-path'),
    'node:net': shim('node-net'),
    'node:v8': shim('node-v8'),
    'node:child_process': shim('node-child-process'),
  },
};
await build({
  ...common,
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  format: 'esm',
});
await build({
  ...common,
  entryPoints: [join(here, 'src', 'worker.ts')],
  outfile: join(out, 'worker.js'),
  format: 'iife',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(here, file), join(out, file));
console.log(`playground built in ${out}`);
