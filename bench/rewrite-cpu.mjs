#!/usr/bin/env node
// npm run bench:rewrite-cpu — what rewrite() with the 50 rules of bench/rules-50.conf costs per
// request under Express, as server CPU time per answered request (process.cpuUsage, µs
// resolution) rather than req/s: on a shared machine req/s follows whatever else runs, while the
// CPU a server spends per request moves much less. Short windows (BENCH_SECONDS, default 1) over
// many rounds (BENCH_ROUNDS, default 20); each round loads every server once, in a rotated
// order, so a drift of the machine hits all of them; the ratios are taken within a round, then
// their median and quartiles. An A/A pair (two identical bare Express servers) shows what the
// method cannot resolve. Servers on CPU 1, wrk (or autocannon) on CPU 0; ports 39260–39263
// (BENCH_PORT_BASE=N moves them).
//   bare      : Express answering every URL with "ok" (as bench/server.mjs bare)
//   bare2     : the same, a second process (the A/A reference)
//   rewrite   : Express + rewrite(rules-50.conf), then the same handler
// URLs: /nothing/matches/here (no rule matches) on bare and rewrite; /rule50/77 on rewrite
// (rule 50 rewrites it to /target?n=77) against /target?n=77 on bare.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { median } from './lib.mjs';
import { launch, loadUrl, useWrk, waitFor } from './procs.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 20);
const CONNECTIONS = 16;
const BASE = Number(process.env.BENCH_PORT_BASE || 39260);

const servers = [
  { name: 'bare', port: BASE },
  { name: 'bare2', port: BASE + 1, mode: 'bare' },
  { name: 'rewrite', port: BASE + 2 },
];
for (const s of servers)
  s.child = launch(1, process.execPath, [
    join(here, 'server.mjs'),
    s.mode ?? s.name,
    String(s.port),
  ]);
for (const s of servers) await waitFor(s.port, 200);
const by = Object.fromEntries(servers.map((s) => [s.name, s]));

/** The server's own CPU time so far (µs), asked over IPC. */
const cpuOf = (s) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (typeof m?.cpu !== 'number') return; // 'ready' and other messages
      s.child.off('message', on);
      resolve(m.cpu);
    };
    s.child.on('message', on);
    s.child.send('cpu');
  });

/** One measured window: CPU µs per answered request and req/s. */
async function measure(s, path) {
  const before = await cpuOf(s);
  const r = loadUrl(`http://127.0.0.1:${s.port}${path}`, SECONDS, CONNECTIONS);
  return { cpu: ((await cpuOf(s)) - before) / r.total, rps: r.rps };
}

const RUNS = [
  ['bare', '/nothing/matches/here', 'bareNone'],
  ['bare2', '/nothing/matches/here', 'bare2None'],
  ['rewrite', '/nothing/matches/here', 'none'],
  ['bare', '/target?n=77', 'bareTarget'],
  ['rewrite', '/rule50/77', 'rule50'],
];
const runs = Object.fromEntries(RUNS.map(([, , key]) => [key, []]));
console.log(
  `${useWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS}s windows x ${ROUNDS} rounds; warming up`,
);
for (const [name, path] of RUNS) await measure(by[name], path);
for (let round = 0; round < ROUNDS; round++)
  for (let i = 0; i < RUNS.length; i++) {
    const [name, path, key] = RUNS[(i + round) % RUNS.length];
    runs[key].push(await measure(by[name], path));
  }

const q = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const spread = (xs, digits = 3) =>
  `${median(xs).toFixed(digits)} (quartiles ${q(xs, 0.25).toFixed(digits)}–${q(xs, 0.75).toFixed(digits)}, range ${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
/** Per-round ratio of CPU per request (reference ÷ contender: the throughput ratio a CPU-bound server would reach) and the difference in µs. */
const compare = (label, ref, other) => {
  const ratio = runs[ref].map((r, i) => r.cpu / runs[other][i].cpu);
  const diff = runs[ref].map((r, i) => runs[other][i].cpu - r.cpu);
  const rps = runs[ref].map((r, i) => runs[other][i].rps / r.rps);
  console.log(`${label}:`);
  console.log(`  CPU-per-request ratio ${spread(ratio)}`);
  console.log(`  extra CPU per request ${spread(diff, 2)} µs`);
  console.log(`  req/s ratio ${spread(rps)}`);
};
for (const [key, r] of Object.entries(runs))
  console.log(
    `${key.padEnd(10)} ${median(r.map((x) => x.cpu)).toFixed(1)} µs CPU per request (median), ${median(r.map((x) => x.rps)).toFixed(0)} req/s`,
  );
compare(
  'A/A: a second bare Express vs bare Express (the noise of the method)',
  'bareNone',
  'bare2None',
);
compare('rewrite(), nothing matches, vs bare Express (target >= 0.97x)', 'bareNone', 'none');
compare(
  'rewrite(), rule 50 rewrites, vs bare Express on the target URL (target >= 0.97x)',
  'bareTarget',
  'rule50',
);
process.exit(0);
