#!/usr/bin/env node
// npm run bench:site: site() serving a static file against express.static alone serving the same
// file, measured in the same run (both servers loaded at the same time, pinned to CPU 1; load
// generators on CPU 0), reported as the median ratio. Two trees:
// - "levels": a 3-level .htaccess hierarchy of realistic rules that do not match the file;
// - "drupal": Drupal's stock .htaccess (conformance/real-world/drupal.json, copied verbatim from
//   drupal/drupal) at the document root, with a theme stylesheet requested below it (issue 12).
// BENCH_TREES=levels|drupal picks one.
// Besides the throughput ratio, each server's own CPU time per request in the same runs: the
// throughput ratio also depends on how the scheduler shares CPU 1, and express.static's send keeps
// libuv's thread pool busy (stat/open/read/close run there, as extra runnable threads) while
// site() answers small files from memory on its main thread alone.
// So a third measure, the method of bench:serve-static and issue 11: each server ALONE on CPU 1 in
// turn (interleaved rounds, order alternating, same run), where its throughput is its own cost.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DURATION, ROUNDS, cpuOf, loadOne, loadPair, median, pinned, start } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CSS = 'body { color: #333; }\n'.repeat(40);

/** Three .htaccess levels with a redirect and a -f/-d guarded front controller each. */
function levelsTree(root) {
  const levels = ['a', 'a/b', 'a/b/c'];
  for (const [i, dir] of levels.entries()) {
    mkdirSync(join(root, dir), { recursive: true });
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
  writeFileSync(join(root, 'a/b/c/file.css'), CSS);
  return { path: '/a/b/c/file.css', what: 'site() with 3 .htaccess levels' };
}

/** Drupal's own .htaccess at the root, and a stylesheet of its default theme. */
function drupalTree(root) {
  const project = JSON.parse(
    readFileSync(join(here, '../conformance/real-world/drupal.json'), 'utf8'),
  );
  writeFileSync(join(root, project.htaccessPath), project.htaccess);
  const css = 'core/themes/olivero/css/base/base.css';
  mkdirSync(dirname(join(root, css)), { recursive: true });
  writeFileSync(join(root, css), CSS);
  writeFileSync(join(root, 'index.php'), '<?php\n');
  return { path: '/' + css, what: "site() with Drupal's .htaccess" };
}

async function measure(name, build, ports) {
  const root = mkdtempSync(join(tmpdir(), `modrewrite-bench-site-${name}-`));
  const { path, what } = build(root);
  const stat = await start('static', ports[0], root);
  const siteServer = await start('site', ports[1], root);
  const ratios = [];
  const cpuRatios = [];
  const rps = { static: [], site: [] };
  const cpuUs = { static: [], site: [] };
  const alone = { static: [], site: [] };
  const aloneRatios = [];
  // CPU µs per request of each server over one paired run (requests: the average rate x duration)
  const cpuPer = async (run) => {
    const before = await Promise.all([cpuOf(stat), cpuOf(siteServer)]);
    const [s, t] = await run();
    const after = await Promise.all([cpuOf(stat), cpuOf(siteServer)]);
    const per = (i, r) => (after[i] - before[i]) / (r * DURATION);
    return { s, t, cpuS: per(0, s), cpuT: per(1, t) };
  };
  try {
    // warm-up (JIT, caches), not counted: a long-running server is measured in its steady state
    await loadPair(ports[0], path, ports[1], path);
    for (let i = 0; i < ROUNDS; i++) {
      // alternate which side starts first
      const { s, t, cpuS, cpuT } = await cpuPer(async () =>
        i % 2
          ? (await loadPair(ports[1], path, ports[0], path)).reverse()
          : await loadPair(ports[0], path, ports[1], path),
      );
      rps.static.push(s);
      rps.site.push(t);
      ratios.push(t / s);
      cpuRatios.push(cpuS / cpuT);
      cpuUs.static.push(cpuS);
      cpuUs.site.push(cpuT);
    }
    // each alone on CPU 1 in turn: the other server idles, so no scheduler share is measured
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 ? ['site', 'static'] : ['static', 'site'];
      const got = {};
      for (const who of order)
        got[who] = await loadOne(who === 'static' ? ports[0] : ports[1], path);
      alone.static.push(got.static);
      alone.site.push(got.site);
      aloneRatios.push(got.site / got.static);
    }
  } finally {
    stat.kill();
    siteServer.kill();
    rmSync(root, { recursive: true, force: true });
  }
  console.log(
    `[${name}] express.static alone: ${median(rps.static).toFixed(0)} req/s, ${what}: ${median(rps.site).toFixed(0)} req/s (medians, each with half of CPU 1)`,
  );
  console.log(
    `[${name}] site() / express.static: ${median(ratios).toFixed(3)}x (target >= 0.9x) [${ratios.map((r) => r.toFixed(3)).join(' ')}]`,
  );
  console.log(
    `[${name}] by CPU per request (express.static's / site()'s): ${median(cpuRatios).toFixed(3)}x [${cpuRatios.map((r) => r.toFixed(3)).join(' ')}]`,
  );
  console.log(
    `[${name}] each alone on CPU 1: express.static ${median(alone.static).toFixed(0)} req/s, site() ${median(alone.site).toFixed(0)} req/s; site() / express.static: ${median(aloneRatios).toFixed(3)}x (target >= 0.9x) [${aloneRatios.map((r) => r.toFixed(3)).join(' ')}]`,
  );
  // each server's own CPU time per request (µs): median [min–max] over the rounds
  const spread = (xs) =>
    `${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}]`;
  console.log(
    `[${name}] CPU µs per request: express.static ${spread(cpuUs.static)}, site() ${spread(cpuUs.site)}`,
  );
}

console.log(
  `load generator: autocannon, 16 connections per server, ${DURATION}s x ${ROUNDS} rounds both servers loaded at once, then ${ROUNDS} rounds each alone; ${pinned ? 'servers on CPU 1, load generators on CPU 0' : 'not pinned (no taskset)'}`,
);
/** Two loopback ports free now (fixed ones collide with another session's bench on this machine). */
async function freePorts() {
  const one = () =>
    new Promise((resolve, reject) => {
      const server = createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
  const first = await one();
  let second = await one();
  for (let i = 0; second === first && i < 10; i++) second = await one();
  return [first, second];
}

const trees = { levels: levelsTree, drupal: drupalTree };
const chosen = process.env.BENCH_TREES ? [process.env.BENCH_TREES] : Object.keys(trees);
for (const name of chosen) {
  if (!trees[name]) throw new Error(`BENCH_TREES: unknown tree ${name}`);
  await measure(name, trees[name], await freePorts());
}
