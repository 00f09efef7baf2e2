#!/usr/bin/env node
// npm run bench — every issue-11 measurement in one go, then ONE summary table.
// The benches run one after the other, each under its own settings (rounds, durations, pinning,
// ports: see each file's header), and each appends a JSON summary of its rounds to the file named
// by BENCH_JSON (bench/lib.mjs appendSummary); the table is built from those lines, not from the
// printed text:
//   rules-10k     bench/rules-10k.mjs     10,000-rule redirect set, p50/p99 of one evaluation
//   serve-static  bench/serve-static.mjs  serve vs Apache vs nginx, a static file behind 50 rules
//   rewrite-cpu   bench/rewrite-cpu.mjs   Express + rewrite() vs bare Express, all loaded at once
//   proxy         bench/proxy.mjs         [P]: Express rewrite()+proxy(), http-proxy-middleware,
//                                         the floors, serve, Apache, nginx
//   workers       bench/workers.mjs       serve --workers 2 vs --workers 1
// Apache and nginx rows are skipped (said at the start and in the table) when their binaries are
// missing; the benches that need wrk are skipped without it. Load runs must hold the bench lock on
// a shared machine: `flock <lock file> npm run bench`.
//   BENCH_QUICK=1         a smoke run: 1-2 rounds of 1 s everywhere (its ratios mean nothing)
//   BENCH_JSON=<file>     keep the raw summaries there (default: a temporary file, removed)
//   BENCH_BENCHES=a,b     run only the named benches
//   node bench/all.mjs --from <file>   print the table of an earlier run's BENCH_JSON file
// BENCH_SECONDS / BENCH_ROUNDS, when set, reach every bench (each has its own defaults).
// Ctrl-C stops the run and every server it started (see stop()); the table shows what finished.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summaryTable } from './summary.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const QUICK = Boolean(process.env.BENCH_QUICK);

/** The benches, in the order they run; `quick`: their settings in a BENCH_QUICK run. */
const BENCHES = [
  { name: 'rules-10k', script: 'rules-10k.mjs', quick: {} },
  {
    name: 'serve-static',
    script: 'serve-static.mjs',
    quick: { BENCH_ROUNDS: '2', BENCH_SECONDS: '1' },
  },
  {
    name: 'rewrite-cpu',
    script: 'rewrite-cpu.mjs',
    needs: 'wrk',
    quick: { BENCH_ROUNDS: '2', BENCH_SECONDS: '1', BENCH_INPROC_ROUNDS: '20' },
  },
  { name: 'proxy', script: 'proxy.mjs', quick: { BENCH_ROUNDS: '2', BENCH_SECONDS: '1' } },
  // workers.mjs takes at least 3 rounds
  { name: 'workers', script: 'workers.mjs', needs: 'wrk', quick: { BENCH_SECONDS: '1' } },
];

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** What is installed, as the benches themselves check it. */
function installed() {
  return {
    apache: existsSync('/usr/sbin/apache2'),
    nginx: has('nginx'),
    wrk: has('wrk'),
    taskset: spawnSync('taskset', ['-c', '0', 'true']).status === 0,
  };
}

/** Says up front which rows this machine cannot give, and why. */
function announce(bins) {
  const missing = {
    apache: 'Apache (/usr/sbin/apache2) not found: the Apache rows are skipped',
    nginx: 'nginx not found: the nginx rows are skipped',
    wrk: 'wrk not found: rewrite-cpu and workers are skipped, serve-static and proxy use autocannon and proxy has no "both loaded at once" rows',
    taskset: 'taskset not found: nothing is pinned, the numbers are not comparable to the README',
  };
  for (const [bin, message] of Object.entries(missing))
    if (!bins[bin]) console.log(`NOTE: ${message} (apt-get install -y apache2 nginx wrk).`);
}

/** The running bench (a child process), and whether a signal asked the run to stop. */
const running = { child: undefined, stopped: false };

/** Every descendant of `pid` (from /proc): a bench's servers, their workers, its wrk. */
function descendants(pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++)
    for (const [child, ppid] of parent) if (ppid === tree[i]) tree.push(child);
  return tree.slice(1);
}

/**
 * SIGINT/SIGTERM/SIGHUP: the benches start their servers in process groups of their own, which
 * Ctrl-C does not reach, and a bench blocked in a synchronous load run cannot react to a signal.
 * So the running bench ignores SIGINT and SIGHUP (bench/exit-on-signal.mjs) while this process
 * kills what it started (servers, workers, wrk), then asks the bench to exit (SIGTERM), which
 * runs its own clean-up (temporary folders).
 */
function stop(signal) {
  if (running.stopped) return;
  running.stopped = true;
  console.error(`\n${signal}: stopping the benches and the servers they started`);
  const { child } = running;
  if (!child || child.exitCode !== null) return;
  for (const pid of descendants(child.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  child.kill('SIGTERM');
  // a bench blocked in a load run gets to its handler once that run ends (its wrk is killed)
  setTimeout(() => child.kill('SIGKILL'), 10000).unref();
}

/** One run of a bench as a child (its output shown as it comes): exit code and seconds taken. */
async function runOnce(bench, jsonFile) {
  console.log(`\n=== ${bench.name}: node bench/${bench.script}${QUICK ? ' (quick)' : ''} ===`);
  const env = { ...process.env, BENCH_JSON: jsonFile, ...(QUICK ? bench.quick : {}) };
  const started = Date.now();
  const hook = new URL('./exit-on-signal.mjs', import.meta.url).href;
  const args = ['--import', hook, join(here, bench.script)];
  running.child = spawn(process.execPath, args, { stdio: 'inherit', env });
  const [code, signal] = await once(running.child, 'exit');
  const seconds = (Date.now() - started) / 1000;
  console.log(`=== ${bench.name}: ${seconds.toFixed(0)} s ===`);
  return { code: code ?? signal, seconds };
}

/**
 * Runs one bench: 'ok', or why it gave no summary. A bench that fails within its first 30 s
 * (a server that could not start: the fixed ports of serve-static and workers are inside the
 * ephemeral range, so another program's outgoing connection can hold one for a moment) is run
 * once more; a later failure is reported as it is.
 */
async function runBench(bench, jsonFile, bins) {
  if (bench.needs && !bins[bench.needs]) return `skipped: needs ${bench.needs}`;
  let run = await runOnce(bench, jsonFile);
  if (run.code !== 0 && run.seconds < 30 && !running.stopped) {
    console.log(`=== ${bench.name} failed at its start (exit ${run.code}): once more in 5 s ===`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    if (!running.stopped) run = await runOnce(bench, jsonFile);
  }
  if (running.stopped) return 'stopped';
  return run.code === 0 ? 'ok' : `failed: exit ${run.code}`;
}

/** The JSON lines of a BENCH_JSON file, by bench name (a later line of a name wins). */
function readSummaries(file) {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((line) => JSON.parse(line)).map((entry) => [entry.bench, entry]));
}

const uptime = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** The newest modification time (ms) of the files under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile())
      latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  return latest;
}

/** The benches measure dist/ (and bin/, which loads it): it must exist, and is said when stale. */
function checkBuilt() {
  const dist = join(here, '../dist/cjs/index.js');
  if (!existsSync(dist)) {
    console.error('npm run bench measures dist/: run `npm run build` first');
    process.exit(1);
  }
  if (newest(join(here, '../lib')) > statSync(dist).mtimeMs)
    console.log('NOTE: lib/ changed after the last build: this run measures the older dist/.');
}

/** Runs the selected benches into `jsonFile`, then records the run itself as an `all` line. */
async function runAll(jsonFile) {
  const bins = installed();
  const only = process.env.BENCH_BENCHES?.split(',');
  const selected = BENCHES.filter((b) => !only || only.includes(b.name));
  const loadBefore = uptime();
  console.log(
    `npm run bench${QUICK ? ' (BENCH_QUICK: a smoke run)' : ''}; load average ${loadBefore}`,
  );
  announce(bins);
  const status = {};
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stop);
  for (const bench of selected)
    status[bench.name] = running.stopped ? 'stopped' : await runBench(bench, jsonFile, bins);
  const run = { bench: 'all', quick: QUICK, bins, status, loadBefore, loadAfter: uptime() };
  appendFileSync(jsonFile, `${JSON.stringify({ ...run, date: new Date().toISOString() })}\n`);
}

async function main() {
  const from = process.argv.indexOf('--from');
  if (from > 0) {
    console.log(summaryTable(readSummaries(process.argv[from + 1])));
    return;
  }
  checkBuilt();
  const tmp = process.env.BENCH_JSON ? undefined : mkdtempSync(join(tmpdir(), 'modrewrite-bench-'));
  const jsonFile = process.env.BENCH_JSON || join(tmp, 'summary.jsonl');
  writeFileSync(jsonFile, '');
  try {
    await runAll(jsonFile);
    console.log(`\n${summaryTable(readSummaries(jsonFile))}`);
    if (!tmp) console.log(`\nraw summaries: ${jsonFile}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
if (running.stopped) process.exitCode = 130;
