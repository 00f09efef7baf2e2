#!/usr/bin/env node
// npm run bench:rewrite-cpu — what Express + rewrite() with the 50 rules of bench/rules-50.conf
// costs against bare Express, resolved to about 1 %.
//
// Method: the servers, all pinned to CPU 1, are loaded AT ONCE in every window (one wrk each, on
// CPU 0), so whatever else the shared machine does hits all of them alike:
//   bare    : Express answering every URL with "ok" (bench/server.mjs bare)
//   bare2   : the same, a second process: the A/A reference that shows the method's own noise
//   rewrite : Express + rewrite(rules-50.conf), then the same handler
//   noop    : (BENCH_NOOP=1) Express + an empty app.use((req, res, next) => next()): what any
//             layer costs
//   hand    : (BENCH_HAND=1) Express + bench/hand-written.mjs, the rules' decisions for these URLs
//             written by hand: what no rule engine can go below
//   handLoaded: (BENCH_HAND_LOADED=1) the same hand-written middleware in a process that also
//             loaded the library and compiled rewrite(rules-50.conf) without calling it: the
//             floor plus what the library's mere presence costs
//   baseline: (BENCH_BASELINE=<a checkout, built>) that checkout's bench/server.mjs rewrite, to
//             measure a change against main in the same windows
// Windows alternate between two cases: "nothing matches" (every server on /nothing/matches/here)
// and "rule 50 rewrites" (rewrite on /rule50/77, which rule 50 turns into /target?n=77; the others
// on /target?n=77 itself). Each server's CPU time comes from the kernel's per-thread run time
// (/proc/PID/task/*/schedstat, nanoseconds, every thread: GC helpers included), read for all
// servers at the same instants around the window. Per window and server: CPU µs per answered
// request. The ratio bare ÷ contender is the throughput ratio a CPU-bound server reaches (> 1:
// cheaper than bare); the req/s ratio of the same window (both had the same CPU to share) is
// printed beside it. The A/A row is bare2 against bare; every other contender is measured against
// the mean of bare and bare2 (half the reference's noise). Over the windows: the 10 %-trimmed mean
// with a 95 % bootstrap interval (seeded, so a run is reproducible from its numbers), the median
// and the range.
// First, the same contenders in-process (bench/express-cost.mjs, pinned to CPU 1, before the
// servers start): the extra µs per request of rewrite() inside a whole Express dispatch, resolved
// far finer than any load test here; with the live bare server's CPU per request it gives the
// ratio a CPU-bound server would reach. BENCH_SKIP_INPROC=1 skips it.
//   BENCH_SECONDS (default 2) per window, BENCH_ROUNDS (default 16) windows per case.
//   BENCH_ALONE=1: each server loaded alone in turn instead (no summary line is written).
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendSummary } from './lib.mjs';
import { freePort, launch, on, waitFor } from './procs.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 16);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
const BASELINE = process.env.BENCH_BASELINE;
const CONTENDERS = [
  { name: 'bare', mode: 'bare' },
  { name: 'bare2', mode: 'bare' },
  { name: 'rewrite', mode: 'rewrite' },
  ...(process.env.BENCH_NOOP ? [{ name: 'noop', mode: 'noop' }] : []),
  ...(process.env.BENCH_HAND ? [{ name: 'hand', mode: 'hand' }] : []),
  ...(process.env.BENCH_HAND_LOADED ? [{ name: 'handLoaded', mode: 'hand-loaded' }] : []),
  ...(BASELINE ? [{ name: 'baseline', mode: 'rewrite', dir: join(BASELINE, 'bench') }] : []),
];
const NAMES = CONTENDERS.map((c) => c.name);
const ROWS = {
  noop: 'an empty app.use() layer (reference)',
  hand: "the 50 rules' decisions for these URLs written by hand (a floor)",
  handLoaded: 'the same hand-written middleware, the library loaded and the rules compiled',
  rewrite: 'rewrite() with the 50 rules (target >= 0.97x)',
  baseline: `rewrite() of ${BASELINE}`,
};
const CASES = {
  none: { label: 'nothing matches', paths: {}, path: '/nothing/matches/here' },
  rule50: {
    label: 'rule 50 rewrites',
    paths: {
      rewrite: '/rule50/77',
      baseline: '/rule50/77',
      hand: '/rule50/77',
      handLoaded: '/rule50/77',
    },
    path: '/target?n=77',
  },
};

/** CPU time (ns) a process has run so far, summed over its threads. */
function cpuNs(pid) {
  let sum = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      /* the thread ended */
    }
  }
  return sum;
}

/** One wrk run on CPU 0: resolves with the answered requests and req/s. */
function wrk(url) {
  return new Promise((resolve, reject) => {
    const [cmd, args] = on(0, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, url]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // 'close', not 'exit': the process may exit before its stdout has been read to the end
    child.on('close', (code, signal) => {
      const total = /(\d+) requests in/.exec(out);
      const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const ended = `wrk exit ${code ?? signal}`;
      if (!total || bad)
        reject(new Error(`${url}: ${bad ? `${bad[1]} error answers` : ended}${out}`));
      else
        resolve({ total: Number(total[1]), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]) });
    });
  });
}

/** One window: every server loaded at once; per server CPU µs per request and req/s. */
async function window(servers, kase, turn) {
  const order = servers.map((_, i) => servers[(i + turn) % servers.length]);
  const before = new Map(order.map((s) => [s.name, cpuNs(s.child.pid)]));
  const loads = order.map((s) =>
    wrk(`http://127.0.0.1:${s.port}${kase.paths[s.name] ?? kase.path}`),
  );
  const results = await Promise.all(loads);
  const out = {};
  order.forEach((s, i) => {
    const ns = cpuNs(s.child.pid) - before.get(s.name);
    out[s.name] = { cpu: ns / 1000 / results[i].total, rps: results[i].rps };
  });
  return out;
}

/**
 * BENCH_ALONE=1: one server at a time on CPU 1 (the others idle), as a server alone on its core
 * runs; the order rotates every window. Less cache contention than all at once, more drift.
 */
async function windowAlone(servers, kase, turn) {
  const out = {};
  for (let i = 0; i < servers.length; i++) {
    const s = servers[(i + turn) % servers.length];
    const before = cpuNs(s.child.pid);
    const result = await wrk(`http://127.0.0.1:${s.port}${kase.paths[s.name] ?? kase.path}`);
    out[s.name] = { cpu: (cpuNs(s.child.pid) - before) / 1000 / result.total, rps: result.rps };
  }
  return out;
}

const ALONE = !!process.env.BENCH_ALONE;
const load = ALONE ? windowAlone : window;

/** A seeded PRNG (mulberry32): the bootstrap gives the same interval for the same windows. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[xs.length >> 1];

/** Mean of the values left after dropping 10 % at each end. */
function trimmedMean(xs) {
  const s = sorted(xs);
  const k = Math.floor(s.length * 0.1);
  const kept = s.slice(k, s.length - k);
  return kept.reduce((a, b) => a + b, 0) / kept.length;
}

/** 95 % percentile-bootstrap interval of the trimmed mean (2,000 resamples). */
function interval(xs) {
  const rnd = prng(12345);
  const means = [];
  for (let b = 0; b < 2000; b++) {
    const sample = xs.map(() => xs[Math.floor(rnd() * xs.length)]);
    means.push(trimmedMean(sample));
  }
  const s = sorted(means);
  return [s[Math.floor(s.length * 0.025)], s[Math.floor(s.length * 0.975)]];
}

const f3 = (x) => x.toFixed(3);
function summary(xs) {
  const [lo, hi] = interval(xs);
  return `${f3(trimmedMean(xs))} [95% CI ${f3(lo)}–${f3(hi)}] (median ${f3(median(xs))}, range ${f3(Math.min(...xs))}–${f3(Math.max(...xs))})`;
}

/**
 * The undisturbed cost of a contender in-process: a low quantile of its batch times (on a shared
 * machine a batch another process preempted only ever takes longer; most batches are not hit).
 */
const floorOf = (xs) => sorted(xs)[Math.floor(xs.length * 0.2)];

/** `stat(rounds)` and its 95 % bootstrap interval, resampling whole rounds (seeded). */
function roundsInterval(n, stat) {
  const rnd = prng(54321);
  const all = [...Array(n).keys()];
  const values = [];
  for (let b = 0; b < 1000; b++) values.push(stat(all.map(() => Math.floor(rnd() * n))));
  const s = sorted(values);
  return [stat(all), s[Math.floor(s.length * 0.025)], s[Math.floor(s.length * 0.975)]];
}

/** In-process extra µs per request against the two bare apps, and the ratio it implies. */
function reportInProcess(inproc, windows) {
  if (!inproc) return;
  const live = median(windows.flatMap((w) => [w.bare.cpu, w.bare2.cpu]));
  const at = (name, idx) => floorOf(idx.map((i) => inproc[name][i]));
  const us = (x) => x.toFixed(2);
  const show = (label, stat, implied) => {
    const [d, lo, hi] = roundsInterval(inproc.bare.length, stat);
    const ratio = implied
      ? `; implied ratio ${f3(live / (live + d))} [${f3(live / (live + hi))}–${f3(live / (live + lo))}]`
      : '';
    console.log(`    ${label}: ${us(d)} µs [95% CI ${us(lo)}–${us(hi)}]${ratio}`);
  };
  console.log(
    `  in-process, whole Express dispatch without sockets (${inproc.bare.length} rounds, 20th percentile of the batches; bare ${us(floorOf(inproc.bare))} µs per request); extra µs per request, and the ratio implied with the live bare server's ${us(live)} µs CPU per request:`,
  );
  show('A/A bare2 − bare', (idx) => at('bare2', idx) - at('bare', idx), false);
  const bare = (idx) => (at('bare', idx) + at('bare2', idx)) / 2;
  for (const name of Object.keys(inproc).filter((n) => ROWS[n]))
    show(`${name} − bare`, (idx) => at(name, idx) - bare(idx), true);
  if (inproc.baseline)
    show('rewrite − baseline', (idx) => at('rewrite', idx) - at('baseline', idx), false);
}

/** The lines of one case: each contender against bare, by CPU per request and by req/s. */
function report(kase, windows, inproc) {
  console.log(`\n${kase.label} (${windows.length} windows):`);
  for (const name of NAMES)
    console.log(
      `  ${name.padEnd(8)} ${median(windows.map((w) => w[name].cpu)).toFixed(1)} µs CPU per request, ${median(windows.map((w) => w[name].rps)).toFixed(0)} req/s (medians)`,
    );
  const ratios = (label, ref, name) => {
    console.log(`  ${label}:`);
    console.log(
      `    by CPU per request: ${summary(windows.map((w) => ref(w, 'cpu') / w[name].cpu))}`,
    );
    console.log(
      `    by req/s:           ${summary(windows.map((w) => w[name].rps / ref(w, 'rps')))}`,
    );
  };
  ratios('A/A: bare2 against bare (the noise of the method)', (w, k) => w.bare[k], 'bare2');
  const bares = (w, k) => (w.bare[k] + w.bare2[k]) / 2;
  for (const name of NAMES.filter((n) => ROWS[n]))
    ratios(`${ROWS[name]}, against both bare`, bares, name);
  if (BASELINE)
    ratios('rewrite() against the baseline rewrite()', (w, k) => w.baseline[k], 'rewrite');
  reportInProcess(inproc, windows);
}

/**
 * BENCH_JSON: one summary line per case (`rewrite-cpu:none`, `rewrite-cpu:rule50`): each server's
 * CPU µs per request and req/s per window, and per window the ratios printed above (every
 * contender against the mean of bare and bare2, by CPU per request and by req/s), with the
 * trimmed mean and its interval.
 */
function writeSummary(windows) {
  for (const [key, ws] of Object.entries(windows)) {
    const contenders = {};
    const ratios = {};
    const stats = {};
    for (const name of NAMES) {
      contenders[name] = { rps: ws.map((w) => w[name].rps), cpu: ws.map((w) => w[name].cpu) };
      if (name === 'bare') continue;
      const ref = (w, k) => (name === 'bare2' ? w.bare[k] : (w.bare[k] + w.bare2[k]) / 2);
      ratios[`${name}/bare:cpu`] = ws.map((w) => ref(w, 'cpu') / w[name].cpu);
      ratios[`${name}/bare:rps`] = ws.map((w) => w[name].rps / ref(w, 'rps'));
      const cpu = ratios[`${name}/bare:cpu`];
      stats[`${name}/bare:cpu`] = { trimmedMean: trimmedMean(cpu), interval: interval(cpu) };
    }
    const settings = {
      seconds: SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      generator: 'wrk',
    };
    appendSummary(`rewrite-cpu:${key}`, { settings, contenders, ratios, stats });
  }
}

/** bench/express-cost.mjs in a child pinned to CPU 1: µs per request per contender and round. */
function inProcess() {
  if (process.env.BENCH_SKIP_INPROC) return undefined;
  const args = [join(here, 'express-cost.mjs'), ...(BASELINE ? [BASELINE] : [])];
  const [cmd, argv] = on(1, process.execPath, args);
  return JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26 }));
}

const inproc = inProcess();
const servers = [];
for (const { name, mode, dir } of CONTENDERS) {
  const port = await freePort();
  const server = join(dir ?? here, 'server.mjs');
  const child = launch(1, process.execPath, [server, mode, String(port)]);
  child.on('exit', (code) => {
    if (code) throw new Error(`bench server ${name} exited with ${code}`);
  });
  servers.push({ name, port, child });
}
for (const s of servers) await waitFor(s.port, 200);
console.log(
  `wrk, ${CONNECTIONS} connections per server, ${NAMES.join(', ')} on CPU 1 ${ALONE ? 'one at a time' : 'at once'}, wrk on CPU 0; ${SECONDS}s windows, ${ROUNDS} per case; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
// warm-up: two windows per case (the JIT settles the rewrite path)
for (let i = 0; i < 2; i++) for (const kase of Object.values(CASES)) await load(servers, kase, i);
const windows = { none: [], rule50: [] };
for (let round = 0; round < ROUNDS; round++)
  for (const key of round % 2 ? ['rule50', 'none'] : ['none', 'rule50']) {
    const w = await load(servers, CASES[key], round);
    windows[key].push(w);
    if (process.env.BENCH_VERBOSE)
      console.log(
        key,
        round,
        NAMES.map((n) => `${n} ${w[n].cpu.toFixed(1)}µs ${w[n].rps.toFixed(0)}/s`).join('  '),
      );
  }
for (const [key, kase] of Object.entries(CASES)) report(kase, windows[key], inproc?.[key]);
// the summary table's rows are the all-at-once method's
if (!ALONE) writeSummary(windows);
console.log(
  `load average at the end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
process.exit(0);
