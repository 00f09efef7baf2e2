#!/usr/bin/env -S node --expose-gc
// npm run bench:rss: RSS growth of a site() server over N distinct URLs (default 200k), through a
// real server on loopback with keep-alive (undici Pool). The URLs walk symbolic links to `.` inside
// the document root (endless distinct directories), feed `..` into a URL-path and a filesystem
// substitution, and ask for distinct missing files: every cache keyed by request data must stay
// bounded. Garbage is collected before and after (run with --expose-gc), so the growth is what the
// server keeps. `--lib <path>` measures another build (default: ../dist/esm/index.js); `--n` the
// number of URLs; `--kind symlinks|dots|all` which of them.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('n', 200_000));
const CONNECTIONS = 8;
const lib = arg('lib')
  ? pathToFileURL(resolve(arg('lib'))).href
  : new URL('../dist/esm/index.js', import.meta.url).href;
if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc (node --expose-gc bench/rss.mjs)');
  process.exit(2);
}
const { site } = await import(lib);

const tmp = mkdtempSync(join(tmpdir(), 'modrewrite-rss-'));
const root = join(tmp, 'www');
mkdirSync(join(root, 'sub'), { recursive: true });
writeFileSync(join(root, 'a.txt'), 'A\n');
writeFileSync(join(root, 'sub', 'b.txt'), 'B\n');
writeFileSync(
  join(root, '.htaccess'),
  'RewriteEngine On\nRewriteRule ^nothing-matches-this$ - [F]\n',
);
symlinkSync('.', join(root, 'l1'));
symlinkSync('.', join(root, 'l2'));
const config = [
  'RewriteEngine On',
  'RewriteCond %{QUERY_STRING} ^p=(.*)$',
  'RewriteRule ^/url$ /%1 [L]',
  'RewriteCond %{QUERY_STRING} ^p=(.*)$',
  `RewriteRule ^/fs$ ${root}/%1 [L]`,
].join('\n');

/** Which URLs: `all` (default), `symlinks` (the link walk only) or `dots` (`..` in substitutions only). */
const KIND = arg('kind', 'all');
const KINDS = { all: [0, 1, 2, 3], symlinks: [0], dots: [1, 2] };
const DESCRIBED = {
  all: "symlink loops, '..' in substitutions, missing files",
  symlinks: 'symlink loops',
  dots: "'..' in substitutions",
};
if (!KINDS[KIND]) {
  console.error(`--kind: one of ${Object.keys(KINDS).join(', ')}`);
  process.exit(2);
}

/** The i-th distinct URL: l1/l2 chosen by the bits of i (2^16 distinct directories), `..`, missing files. */
function pathFor(i) {
  const links = Array.from({ length: 16 }, (_, bit) => ((i >> bit) & 1 ? 'l1' : 'l2')).join('/');
  const kinds = KINDS[KIND];
  switch (kinds[i % kinds.length]) {
    case 0:
      return `/${links}/missing-${i}.txt`;
    case 1:
      return `/fs?p=${links}/../sub/${links}/x-${i}`;
    case 2:
      return `/url?p=sub/../${links}/../${links}/y-${i}`;
    default:
      return `/missing/${i}/z.txt`;
  }
}

const middleware = site({ root, config, htaccess: { recheckMs: 60_000 }, log: () => {} });
const server = http.createServer((req, res) => middleware(req, res));
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;
const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
const statuses = new Map();

async function run(from, to) {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const path = pathFor(next++);
      const { statusCode, body } = await pool.request({ path, method: 'GET' });
      await body.dump();
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
}

const MiB = (b) => (b / 1024 / 1024).toFixed(1);
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return process.memoryUsage();
};

try {
  // warm-up with other URLs (JIT, connections, module caches), not counted
  await run(N, N + 2_000);
  statuses.clear();
  const before = await settle();
  const t0 = performance.now();
  await run(0, N);
  const seconds = (performance.now() - t0) / 1000;
  const after = await settle();
  console.log(
    `site() over ${N} distinct URLs (${DESCRIBED[KIND]}), ${CONNECTIONS} keep-alive connections, ${(N / seconds).toFixed(0)} req/s`,
  );
  console.log(
    `answers: ${[...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
  console.log(
    `RSS  ${MiB(before.rss)} MiB → ${MiB(after.rss)} MiB: growth ${MiB(after.rss - before.rss)} MiB`,
  );
  console.log(
    `heap ${MiB(before.heapUsed)} MiB → ${MiB(after.heapUsed)} MiB: growth ${MiB(after.heapUsed - before.heapUsed)} MiB`,
  );
} finally {
  await pool.close();
  await new Promise((ok) => server.close(ok));
  rmSync(tmp, { recursive: true, force: true });
}
