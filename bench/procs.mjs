// Process helpers shared by the benches that start whole servers (bench/proxy.mjs,
// bench/serve-static.mjs): pinned launches killed on exit, a wait for a listening port, the CPU
// time of a process tree, and one bounded load run (wrk when installed, else autocannon).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned } from './lib.mjs';

const require = createRequire(import.meta.url);
export const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
export const useWrk = has('wrk');

/** The command line that runs `cmd` on one CPU (taskset), or as it is where taskset is missing. */
export const on = (cpu, cmd, args) =>
  pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];

const children = [];
const tmpDirs = [];
process.on('exit', () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      try {
        c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder removed when the bench exits. */
export function benchTmp(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

/** Starts a process (and its group) on one CPU; it is killed when the bench exits. */
export function launch(cpu, cmd, args, opts = {}) {
  const [c, a] = on(cpu, cmd, args);
  const child = spawn(c, a, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
    ...opts,
  });
  children.push(child);
  return child;
}

/** Resolves once something accepts connections on the loopback port (polls every 50 ms). */
export async function waitFor(port, tries = 600) {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** utime+stime (µs) of a process and all its descendants. */
export function treeCpu(pid) {
  const stats = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid: Number(d), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* exited */
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats)
      if (!tree.has(s.pid) && tree.has(s.ppid)) {
        tree.add(s.pid);
        grew = true;
      }
  }
  const hz = 100;
  return stats.filter((s) => tree.has(s.pid)).reduce((a, s) => a + s.ticks, 0) * (1e6 / hz);
}

/** One bounded load run from CPU 0 against `url`: requests per second and the total answered. */
export function loadUrl(url, seconds, connections) {
  if (useWrk) {
    const [c, a] = on(0, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url]);
    const out = execFileSync(c, a, { encoding: 'utf8' });
    const total = Number(/(\d+) requests in/.exec(out)[1]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (non2xx) throw new Error(`${url}: ${non2xx[1]} error answers`);
    return { rps, total };
  }
  const [c, a] = on(0, process.execPath, [
    require.resolve('autocannon/autocannon.js'),
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-j',
    url,
  ]);
  const r = JSON.parse(
    execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  if (r.non2xx) throw new Error(`${url}: ${r.non2xx} error answers`);
  return { rps: r.requests.average, total: r.requests.total };
}

/**
 * A loopback port nothing listens on right now: fixed ports clashed with other programs on a
 * shared machine (a bench then measured nothing, or another program).
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
