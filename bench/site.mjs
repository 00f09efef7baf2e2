#!/usr/bin/env node
// npm run bench:site: site() serving a static file under a 3-level .htaccess hierarchy, against
// express.static alone serving the same file, measured in the same run (both servers loaded at
// the same time, pinned to CPU 1; load generators on CPU 0), reported as the median ratio.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION, ROUNDS, loadPair, median, pinned, start } from './lib.mjs';

const root = mkdtempSync(join(tmpdir(), 'modrewrite-bench-site-'));
const levels = ['a', 'a/b', 'a/b/c'];
for (const [i, dir] of levels.entries()) {
  mkdirSync(join(root, dir), { recursive: true });
  // realistic rules that do not match the file: a redirect, a front controller guarded by -f/-d
  writeFileSync(
    join(root, dir, '.htaccess'),
    [
      'RewriteEngine on',
      i ? 'RewriteOptions Inherit' : '',
      `RewriteRule ^old-${i}/(.*)$ new-${i}/$1 [R=301,L]`,
      'RewriteCond %{REQUEST_FILENAME} !-f',
      'RewriteCond %{REQUEST_FILENAME} !-d',
      `RewriteRule ^api${i}/(.*)$ index.html [L]`,
    ].join('\n') + '\n',
  );
}
writeFileSync(join(root, 'a/b/c/file.css'), 'body { color: #333; }\n'.repeat(40));
const path = '/a/b/c/file.css';

console.log(
  `load generator: autocannon, 16 connections per server, ${DURATION}s x ${ROUNDS} rounds, both servers loaded at once; ${pinned ? 'servers on CPU 1, load generators on CPU 0' : 'not pinned (no taskset)'}`,
);
const stat = await start('static', 39011, root);
const siteServer = await start('site', 39012, root);
// warm-up (JIT, caches), not counted: a long-running server is measured in its steady state
await loadPair(39011, path, 39012, path);
const ratios = [];
const rps = { static: [], site: [] };
try {
  for (let i = 0; i < ROUNDS; i++) {
    // alternate which side starts first
    const [s, t] =
      i % 2
        ? (await loadPair(39012, path, 39011, path)).reverse()
        : await loadPair(39011, path, 39012, path);
    rps.static.push(s);
    rps.site.push(t);
    ratios.push(t / s);
  }
} finally {
  stat.kill();
  siteServer.kill();
  rmSync(root, { recursive: true, force: true });
}
console.log(
  `express.static alone: ${median(rps.static).toFixed(0)} req/s, site() with 3 .htaccess levels: ${median(rps.site).toFixed(0)} req/s (medians, each with half of CPU 1)`,
);
console.log(
  `site() / express.static: ${median(ratios).toFixed(3)}x (target >= 0.9x) [${ratios.map((r) => r.toFixed(3)).join(' ')}]`,
);
