#!/usr/bin/env node
// npm run bench:workers: `modrewrite serve --workers 1` against `--workers 2` (issue 11, Cores),
// a 2-byte static file behind bench/rules-50.conf (no rule matches it), measured with wrk
// (`apt-get install -y wrk`), keep-alive, one wrk thread, 32 connections, BENCH_SECONDS per run,
// BENCH_ROUNDS rounds (the four setups interleaved in each round, after one warm-up run each).
//
// A machine with 2 cores has no room for 2 workers AND a load generator of their own, so the
// setups say where everything runs:
// - pinned-1w: wrk on CPU 0, the single serve process on CPU 1;
// - pinned-2w: wrk on CPU 0, the primary and both workers on CPU 1 (the cluster's cost on one core);
// - shared-1w: nothing pinned (wrk and the server float over both cores);
// - shared-2w: nothing pinned, the 2 workers and wrk share both cores (what --workers 2 buys when
//   the generator competes for the same CPUs: the scaling ratio is a lower bound).
// CPU µs per request: utime+stime of the server's processes (primary and workers) over the run,
// from /proc. Each server listens on a free loopback port.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendSummary } from './lib.mjs';
import { freePort } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '../bin/modrewrite.cjs');
const rules = join(here, 'rules-50.conf');
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS || 3));
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

const SETUPS = [
  { name: 'pinned-1w', workers: 1, serverCpu: '1', wrkCpu: '0' },
  { name: 'pinned-2w', workers: 2, serverCpu: '1', wrkCpu: '0' },
  { name: 'shared-1w', workers: 1 },
  { name: 'shared-2w', workers: 2 },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const pinned = (cpu, cmd, args) =>
  cpu && canPin ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];

/** Starts serve (its own process group) and resolves once it printed its address. */
function startServe(setup, root) {
  const [cmd, args] = pinned(setup.serverCpu, process.execPath, [
    bin,
    'serve',
    ...['--root', root, '--config', rules, '--port', String(setup.port), '--quiet'],
    ...['--workers', String(setup.workers)],
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // the error log (worker start lines) is shown only when serve fails
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${setup.name}: serve did not start`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes(`:${setup.port}/`)) return;
      clearTimeout(timer);
      // the workers announce themselves on stderr after the first one; give them a moment
      setTimeout(() => resolve(child), 1500);
    });
    child.once('exit', (code) =>
      reject(new Error(`${setup.name}: serve exited with ${code}\n${log}`)),
    );
  });
}

/** The pids of a process and its children (the cluster's workers; taskset's exec keeps the pid). */
function processTree(pid) {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return [pid, ...r.stdout.split(/\s+/).filter(Boolean).map(Number)];
}

/** utime + stime of the processes, in µs. */
function cpuMicros(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks / CLOCK_TICKS) * 1e6;
}

/** One bounded wrk run: requests/s, the server's CPU µs per request, and errors. */
function load(setup, child) {
  const pids = processTree(child.pid);
  const before = cpuMicros(pids);
  const [cmd, args] = pinned(setup.wrkCpu, 'wrk', [
    ...['-t1', '-c32', `-d${SECONDS}s`],
    `http://127.0.0.1:${setup.port}/static.txt`,
  ]);
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  const cpu = cpuMicros(pids) - before;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const total = Number(/(\d+) requests in/.exec(out)[1]);
  if (/Non-2xx|Socket errors/.test(out)) throw new Error(`${setup.name}: errors\n${out}`);
  return { rps, cpuPerRequest: cpu / total };
}

async function main() {
  if (spawnSync('wrk', ['--version']).error) {
    console.error('bench:workers needs wrk (apt-get install -y wrk)');
    process.exit(1);
  }
  const root = mkdtempSync(join(tmpdir(), 'modrewrite-bench-workers-'));
  writeFileSync(join(root, 'static.txt'), 'ok');
  const servers = new Map();
  const runs = new Map(SETUPS.map((s) => [s.name, []]));
  try {
    for (const setup of SETUPS) {
      setup.port = await freePort();
      servers.set(setup.name, await startServe(setup, root));
    }
    for (const setup of SETUPS) load(setup, servers.get(setup.name)); // warm-up, not counted
    for (let round = 0; round < ROUNDS; round++) {
      // interleaved, and in a rotated order each round: drift of a shared machine hits every setup
      for (let k = 0; k < SETUPS.length; k++) {
        const setup = SETUPS[(k + round) % SETUPS.length];
        runs.get(setup.name).push(load(setup, servers.get(setup.name)));
      }
    }
  } finally {
    for (const child of servers.values()) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
  report(runs);
  appendSummary('workers', {
    settings: { seconds: SECONDS, rounds: ROUNDS, connections: 32, generator: 'wrk' },
    contenders: Object.fromEntries(
      [...runs].map(([name, rs]) => [
        name,
        { rps: rs.map((r) => r.rps), cpu: rs.map((r) => r.cpuPerRequest) },
      ]),
    ),
  });
}

function report(runs) {
  console.log(
    `modrewrite serve, 2-byte file behind rules-50.conf, wrk -t1 -c32 -d${SECONDS}s, ${ROUNDS} rounds${canPin ? '' : ' (taskset unavailable: nothing pinned)'}`,
  );
  for (const [name, rs] of runs) {
    const rps = rs.map((r) => r.rps);
    const cpu = rs.map((r) => r.cpuPerRequest);
    console.log(
      `  ${name.padEnd(10)} ${median(rps).toFixed(0).padStart(6)} req/s (range ${range(rps)}), ${median(cpu).toFixed(0)} µs CPU/request (range ${range(cpu)})`,
    );
  }
  const ratio = (a, b) => {
    const xs = runs.get(a).map((r, i) => r.rps / runs.get(b)[i].rps);
    return `${median(xs).toFixed(2)}× (range ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
  };
  console.log(
    `  2 vs 1 worker, all on one core (wrk on the other): ${ratio('pinned-2w', 'pinned-1w')}`,
  );
  console.log(
    `  2 vs 1 worker, both cores shared with wrk:         ${ratio('shared-2w', 'shared-1w')}`,
  );
}

await main();
