#!/usr/bin/env node
// npm run bench: throughput of Express + rewrite() (50 realistic rules) against bare Express,
// measured in the same run with autocannon (bounded: fixed duration, loopback only), reported as
// ratios; plus the per-request evaluation time of a 10,000-rule redirect set (p50/p99).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { compile, evaluateServer } = require('../dist/cjs/index.js');

const DURATION = Number(process.env.BENCH_SECONDS || 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 9);

// Servers on CPU 1, the load generator on CPU 0 (taskset), so they do not fight for one core.
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = (cpu, cmd, args) => (pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
const autocannonBin = require.resolve('autocannon/autocannon.js');

function start(mode, port) {
  return new Promise((resolve, reject) => {
    const [cmd, args] = pin(1, process.execPath, [new URL('./server.mjs', import.meta.url).pathname, mode, String(port)]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', () => resolve(child));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function load(port, path) {
  const [cmd, args] = pin(0, process.execPath, [autocannonBin, '-c', '32', '-d', String(DURATION), '-j', `http://127.0.0.1:${port}${path}`]);
  const r = JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  if (r.non2xx) throw new Error(`${path}: ${r.non2xx} non-2xx answers`);
  return r.requests.average;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function throughput() {
  const bare = await start('bare', 39001);
  const rw = await start('rewrite', 39002);
  const res = { bare: [], none: [], bareRule50: [], rule50: [] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // interleave so drift on a shared machine hits both sides alike
      res.bare.push(load(39001, '/nothing/matches/here'));
      res.none.push(load(39002, '/nothing/matches/here'));
      res.bareRule50.push(load(39001, '/target?n=77'));
      res.rule50.push(load(39002, '/rule50/77'));
    }
  } finally {
    bare.kill();
    rw.kill();
  }
  // ratios of adjacent (paired) runs, then the median: drift of a shared machine cancels out
  const ratios = (a, b) => a.map((x, i) => x / b[i]);
  return {
    bareRps: median(res.bare), noMatchRps: median(res.none), rule50Rps: median(res.rule50), bareRule50Rps: median(res.bareRule50),
    noMatchRatio: median(ratios(res.none, res.bare)), rule50Ratio: median(ratios(res.rule50, res.bareRule50)),
    noMatchRatios: ratios(res.none, res.bare), rule50Ratios: ratios(res.rule50, res.bareRule50),
  };
}

function bigRuleSet() {
  const lines = ['RewriteEngine on'];
  for (let i = 0; i < 10000; i++) lines.push(`RewriteRule ^/old/page-${i}\\.html$ /new/${i} [R=301,L]`);
  const rs = compile(lines.join('\n'));
  const view = { method: 'GET', target: '/', protocol: 'HTTP/1.1', headers: { host: 'www.example.com' }, remoteAddr: '127.0.0.1', remotePort: 1, connRemoteAddr: '127.0.0.1', localAddr: '127.0.0.1', localPort: 80, secure: false };
  const server = { documentRoot: '/srv/www' };
  // Pass 1 is cold (V8 compiles each regex on its first use); passes 2-3 are the steady state a
  // long-running server sees. Both are reported.
  const uris = [];
  for (let k = 0; k < 20000; k++) uris.push(k % 2 ? `/old/page-${(k * 7919) % 10000}.html` : `/other/${k}`);
  const measure = () => {
    const out = [];
    let redirects = 0;
    for (const uri of uris) {
      const t0 = process.hrtime.bigint();
      const r = evaluateServer(rs, { view, server, uri, args: null });
      const t1 = process.hrtime.bigint();
      if (r.outcome.type === 'redirect') redirects++;
      out.push(Number(t1 - t0) / 1000);
    }
    if (redirects !== 10000) throw new Error(`expected 10000 redirects, got ${redirects}`);
    return out.sort((a, b) => a - b);
  };
  const cold = measure();
  measure();
  const times = measure();
  const q = (xs, f) => xs[Math.floor(xs.length * f)];
  return { p50us: q(times, 0.5), p99us: q(times, 0.99), coldP50us: q(cold, 0.5) };
}

const big = bigRuleSet();
console.log(`10,000-rule redirect set: p50 ${big.p50us.toFixed(2)} µs, p99 ${big.p99us.toFixed(2)} µs per evaluation, warm (target p50 <= 2 µs); first pass (cold regexes) p50 ${big.coldP50us.toFixed(2)} µs`);
console.log(`load generator: autocannon, 32 connections, ${DURATION}s x ${ROUNDS} rounds (median of paired ratios), ${pinned ? 'servers pinned to CPU 1, load generator to CPU 0' : 'not pinned (no taskset)'}`);
const t = await throughput();
console.log(`bare Express: ${t.bareRps.toFixed(0)} req/s`);
console.log(`rewrite(), nothing matches: ${t.noMatchRps.toFixed(0)} req/s = ${t.noMatchRatio.toFixed(3)}x bare (target >= 0.97x)`);
console.log(`  per-round ratios: ${t.noMatchRatios.map((r) => r.toFixed(3)).join(' ')}`);
console.log(`rewrite(), rule 50 matches: ${t.rule50Rps.toFixed(0)} req/s vs bare ${t.bareRule50Rps.toFixed(0)} = ${t.rule50Ratio.toFixed(3)}x (target >= 0.95x)`);
console.log(`  per-round ratios: ${t.rule50Ratios.map((r) => r.toFixed(3)).join(' ')}`);
