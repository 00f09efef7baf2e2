// Shared by the benchmarks: servers as pinned child processes, bounded autocannon runs.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';

const require = createRequire(import.meta.url);
export const DURATION = Number(process.env.BENCH_SECONDS || 3);
export const ROUNDS = Number(process.env.BENCH_ROUNDS || 9);
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Servers on CPU 1, the load generator on CPU 0 (taskset), so they do not fight for one core.
export const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const pin = (cpu, cmd, args) =>
  pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
export const autocannonBin = require.resolve('autocannon/autocannon.js');

export function start(mode, port, ...extra) {
  return new Promise((resolve, reject) => {
    const [cmd, args] = pin(1, process.execPath, [
      new URL('./server.mjs', import.meta.url).pathname,
      mode,
      String(port),
      ...extra,
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', () => resolve(child));
    child.on('exit', (code) => {
      if (code) reject(new Error(`server exited with ${code}`));
    });
  });
}

export const cpuOf = (child) =>
  new Promise((resolve) => {
    child.once('message', (m) => resolve(m.cpu));
    child.send('cpu');
  });

/** One autocannon run (on CPU 0) against one server: its average req/s; rejects on non-2xx. */
export function loadOne(port, path) {
  return new Promise((resolve, reject) => {
    const [cmd, args] = pin(0, process.execPath, [
      autocannonBin,
      '-c',
      '16',
      '-d',
      String(DURATION),
      '-j',
      `http://127.0.0.1:${port}${path}`,
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    // 'close', not 'exit': the process may exit before its stdout has been read to the end
    child.on('close', (code) => {
      try {
        const r = JSON.parse(out);
        if (r.non2xx) reject(new Error(`${path}: ${r.non2xx} non-2xx answers`));
        else resolve(r.requests.average);
      } catch (err) {
        reject(new Error(`autocannon exited with ${code}: ${err.message}`));
      }
    });
  });
}

/**
 * Both servers under load at the same time (both pinned to CPU 1, so each gets about half of it;
 * both load generators on CPU 0): whatever else the shared machine does hits both alike, and the
 * ratio of their throughputs is the ratio of their per-request CPU cost.
 */
export function loadPair(portA, pathA, portB, pathB) {
  return Promise.all([loadOne(portA, pathA), loadOne(portB, pathB)]);
}

/**
 * BENCH_JSON=<file>: a bench appends one line of JSON describing its run, read by bench/all.mjs
 * (`npm run bench`) to build its summary table instead of parsing the printed text. The line holds
 * `bench` (its name), `loadavg` and `summary`'s fields, usually:
 * - `contenders`: per name, `{ rps: [...], cpu: [...] }`, req/s and CPU µs per request of each
 *   round (index i is round i, so a ratio can be taken within a round);
 * - `ratios`: per key (`a/b:how`), the per-round ratios a bench measured itself (e.g. with both
 *   servers loaded at once), > 1 meaning `a` is faster or cheaper.
 */
export function appendSummary(bench, summary) {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  const line = { bench, loadavg: loadavg().map((x) => Number(x.toFixed(2))), ...summary };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** `contenders` ([{ name, rps: [...], cpu: [...] }]) as appendSummary's `contenders` field. */
export const roundsOf = (contenders) =>
  Object.fromEntries(contenders.map((c) => [c.name, { rps: c.rps, cpu: c.cpu }]));
