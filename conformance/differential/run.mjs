#!/usr/bin/env node
// Differential runner: generated sites (generate.mjs) answered by real Apache 2.4 and by
// `modrewrite serve`, compared request by request. Needs Debian's apache2 and the build (dist/).
// Usage: node conformance/differential/run.mjs [count=20] [firstSeed=1] [out=diffs.json]
//        node conformance/differential/run.mjs case.json   (one hand-minimised case)
//   DIFF_SHOW=1 prints every answer pair; DIFF_KEEP=1 keeps the temporary trees (Apache's error.log has rewrite:trace3).
// Apache runs with the real-world recorder's module set (Debian's defaults plus rewrite, headers,
// expires) and its <Directory> configuration; serve gets the same through --config. Everything runs
// inside a private network namespace (only `lo`), like the recorders.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCase } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { launchApache, rawRequest, substitute } = require('../harness.cjs');
const realWorld = require('../real-world.cjs');
const { inPrivateNetwork } = require('../netns.cjs');

const bin = join(here, '../../bin/modrewrite.cjs');

async function startServe(root, serverConfig) {
  const docroot = join(root, 'htdocs');
  writeFileSync(
    join(root, 'site.conf'),
    `${realWorld.DOCROOT_OPTIONS}\nDirectoryIndex ${realWorld.DEBIAN_DIRECTORY_INDEX}\n${serverConfig}\n`,
  );
  const args = ['serve', '--root', docroot, '--config', join(root, 'site.conf')];
  args.push('--port', '0', '--server-name', 'localhost', '--quiet', '--no-dns');
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
  });
  const port = await new Promise((ok) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.on('exit', () => ok(0));
  });
  return { child, port, log: () => log };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

/** All .htaccess text and the server config: what `headersSetBy` reads to pick headers to compare. */
function projectOf(kase) {
  const texts = Object.entries(kase.files)
    .filter(([n]) => n.endsWith('.htaccess'))
    .map(([, t]) => t);
  return { htaccess: [...texts, kase.serverConfig || ''].join('\n') };
}

async function ask(port, req) {
  try {
    return await rawRequest(port, req, req.host === undefined ? 'www.example.com' : req.host);
  } catch (e) {
    return { status: 0, headers: {}, body: String(e.message) };
  }
}

/**
 * Equal, but a modification-based max-age (ExpiresByType … M60) may tick by a second or two
 * between the two answers: each of got's max-ages within 2 of want's (in order) counts as want's.
 * (Rounding both to fives, as before, still differed across a boundary: 58 and 57, seed 110817.)
 */
function sameAnswer(want, got) {
  const ages = [...JSON.stringify(want).matchAll(/max-age=(\d+)/g)].map((m) => Number(m[1]));
  let i = 0;
  const eased = JSON.stringify(got).replace(/max-age=(\d+)/g, (m, n) => {
    const w = ages[i++];
    return w !== undefined && Math.abs(w - Number(n)) <= 2 ? `max-age=${w}` : m;
  });
  return JSON.stringify(want) === eased;
}

async function runCase(kase, port, diffs) {
  const root = mkdtempSync(join(tmpdir(), 'modrewrite-diff-'));
  const docroot = join(root, 'htdocs');
  realWorld.writeProject(docroot, {
    files: kase.files,
    htaccessPath: '.htaccess',
    htaccess: kase.files['.htaccess'] ?? '',
  });
  const serverConfig = substitute(kase.serverConfig || '', { DOCROOT: docroot });
  const apache = await launchApache(
    root,
    port,
    realWorld.debianApacheConf(root, port, serverConfig),
  );
  const serve = await startServe(root, serverConfig);
  const project = projectOf(kase);
  let same = 0;
  try {
    if (apache.error || !serve.port) {
      const apacheRefused = !!apache.error;
      const serveRefused = !serve.port;
      if (apacheRefused !== serveRefused)
        diffs.push({
          seed: kase.seed,
          startup: { apache: apache.error || 'ok', serve: serve.log() || 'ok' },
        });
      return { same: apacheRefused === serveRefused ? kase.requests.length : 0 };
    }
    for (const req of kase.requests) {
      const want = realWorld.normaliseRealWorld(await ask(port, req), project);
      const got = realWorld.normaliseRealWorld(await ask(serve.port, req), project);
      if (process.env.DIFF_SHOW) console.log(JSON.stringify({ req, apache: want, serve: got }));
      if (sameAnswer(want, got)) same++;
      else diffs.push({ seed: kase.seed, req, apache: want, serve: got });
    }
  } finally {
    apache.child.kill('SIGTERM');
    await new Promise((r) => (apache.child.exitCode !== null ? r() : apache.child.on('exit', r)));
    await stop(serve.child);
    if (process.env.DIFF_KEEP) console.log('kept', root);
    else rmSync(root, { recursive: true, force: true });
  }
  return { same };
}

async function main() {
  if (process.argv[2]?.endsWith('.json')) return runFile(process.argv[2]);
  const count = Number(process.argv[2] ?? 20);
  const first = Number(process.argv[3] ?? 1);
  const out = process.argv[4] ?? 'diffs.json';
  let port = 22000 + Math.floor(Math.random() * 2000);
  const diffs = [];
  let requests = 0;
  let same = 0;
  for (let seed = first; seed < first + count; seed++) {
    const kase = generateCase(seed);
    const before = diffs.length;
    const r = await runCase(kase, ++port, diffs);
    requests += kase.requests.length;
    same += r.same;
    console.log(`seed ${seed}: ${diffs.length - before} differences`);
  }
  writeFileSync(out, JSON.stringify(diffs, null, 1));
  console.log(`${count} cases, ${requests} requests, ${same} identical; differences in ${out}`);
}

/** One hand-written case (same shape as generateCase's), for minimising: prints both answers. */
async function runFile(file) {
  const kase = JSON.parse(readFileSync(file, 'utf8'));
  const diffs = [];
  const { same } = await runCase(kase, 22000 + Math.floor(Math.random() * 2000), diffs);
  for (const d of diffs) console.log(JSON.stringify(d, null, 1));
  console.log(`${kase.requests.length} requests, ${same} identical`);
}

// rules can name hosts: Apache runs in a private network namespace with only loopback up
await inPrivateNetwork(fileURLToPath(import.meta.url), main);
