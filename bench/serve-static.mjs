#!/usr/bin/env node
// npm run bench:serve-static — `modrewrite serve` answering a small static file behind the 50 rules
// of bench/rules-50.conf (none matches the file), against Apache 2.4 (event MPM, the same rules in
// its server config) and nginx (static, no rules: the ceiling), loopback only, bounded (wrk or
// autocannon, fixed duration). The load generator runs on CPU 0; each server runs alone on CPU 1
// (taskset). Rounds interleave the contenders; medians of ROUNDS (default 3) and the range are
// reported, with the CPU time each server's process tree spent per request.
//   BENCH_FILE_CACHE=0 runs serve with --no-file-cache as well (the same run's "before").
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pinned } from './lib.mjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONNECTIONS = 32;
const PATH = '/static/ok.txt';
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const useWrk = has('wrk');
const on = (cpu, cmd, args) =>
  pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
const tmp = mkdtempSync(join(tmpdir(), 'modrewrite-bench-static-'));
const children = [];
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
  rmSync(tmp, { recursive: true, force: true });
});

function launch(cpu, cmd, args, opts = {}) {
  const [c, a] = on(cpu, cmd, args);
  const child = spawn(c, a, {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    detached: true,
    ...opts,
  });
  children.push(child);
  return child;
}

async function waitFor(port) {
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise((r) => {
      const s = require('node:net').connect(port, '127.0.0.1');
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
function treeCpu(pid) {
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

function load(port) {
  const url = `http://127.0.0.1:${port}${PATH}`;
  if (useWrk) {
    const [c, a] = on(0, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, url]);
    const out = execFileSync(c, a, { encoding: 'utf8' });
    const total = Number(/(\d+) requests in/.exec(out)[1]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (non2xx) throw new Error(`port ${port}: ${non2xx[1]} error answers`);
    return { rps, total };
  }
  const [c, a] = on(0, process.execPath, [
    require.resolve('autocannon/autocannon.js'),
    '-c',
    String(CONNECTIONS),
    '-d',
    String(SECONDS),
    '-j',
    url,
  ]);
  const r = JSON.parse(
    execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  if (r.non2xx) throw new Error(`port ${port}: ${r.non2xx} error answers`);
  return { rps: r.requests.average, total: r.requests.total };
}

const www = join(tmp, 'www');
mkdirSync(join(www, 'static'), { recursive: true });
writeFileSync(join(www, PATH), 'ok');
const rules = join(here, 'rules-50.conf');
const contenders = [];
const add = (name, port, child) => contenders.push({ name, port, child, rps: [], cpu: [] });
const serve = (port, extra) =>
  launch(1, process.execPath, [
    join(here, '../bin/modrewrite.cjs'),
    'serve',
    '--root',
    www,
    '--config',
    rules,
    '--port',
    String(port),
    '--quiet',
    ...extra,
  ]);
add('serve', 39201, serve(39201, []));
if (process.env.BENCH_FILE_CACHE === '0')
  add('serve-nocache', 39204, serve(39204, ['--no-file-cache']));
if (existsSync('/usr/sbin/apache2')) {
  const root = join(tmp, 'apache');
  mkdirSync(root);
  const mods = ['mpm_event', 'authz_core', 'rewrite', 'mime'];
  writeFileSync(
    join(root, 'httpd.conf'),
    [
      `ServerRoot "${root}"`,
      'Listen 127.0.0.1:39202',
      `PidFile "${root}/httpd.pid"`,
      `ErrorLog "${root}/error.log"`,
      'LogLevel warn',
      ...mods.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
      'TypesConfig /etc/mime.types',
      'User www-data',
      'Group www-data',
      'ServerName localhost',
      `Mutex file:${root} default`,
      `DocumentRoot "${www}"`,
      `<Directory "${www}">`,
      '  AllowOverride All',
      '  Require all granted',
      '</Directory>',
      'StartServers 1',
      'ServerLimit 1',
      'ThreadsPerChild 64',
      'MaxRequestWorkers 64',
      'KeepAlive On',
      'MaxKeepAliveRequests 0',
      readFileSync(rules, 'utf8'),
    ].join('\n') + '\n',
  );
  execFileSync('chmod', ['755', tmp, root, www, join(www, 'static')]);
  add(
    'apache',
    39202,
    launch(1, '/usr/sbin/apache2', ['-f', join(root, 'httpd.conf'), '-DFOREGROUND'], {
      env: { ...process.env, APACHE_RUN_DIR: root, APACHE_LOCK_DIR: root, APACHE_LOG_DIR: root },
    }),
  );
}
if (has('nginx')) {
  const root = join(tmp, 'nginx');
  mkdirSync(root);
  writeFileSync(
    join(root, 'nginx.conf'),
    `worker_processes 1;\npid ${root}/nginx.pid;\nerror_log ${root}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n  client_body_temp_path ${root}/body; proxy_temp_path ${root}/proxy; fastcgi_temp_path ${root}/fcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;\n  server { listen 127.0.0.1:39203; root ${www}; }\n}\n`,
  );
  add('nginx', 39203, launch(1, 'nginx', ['-c', join(root, 'nginx.conf'), '-g', 'daemon off;']));
}
for (const c of contenders) await waitFor(c.port);
console.log(
  `${PATH} (2 bytes) behind bench/rules-50.conf; load generator: ${useWrk ? 'wrk -t1' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds per contender; ${pinned ? 'server under test alone on CPU 1, load generator on CPU 0' : 'not pinned (no taskset)'}`,
);
for (const c of contenders) load(c.port); // warm-up, not counted
for (let round = 0; round < ROUNDS; round++) {
  // rotate the order each round so drift of a shared machine spreads over all contenders
  const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
  for (const c of order) {
    const before = treeCpu(c.child.pid);
    const r = load(c.port);
    c.rps.push(r.rps);
    c.cpu.push((treeCpu(c.child.pid) - before) / r.total);
  }
}
const range = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`;
const by = Object.fromEntries(contenders.map((c) => [c.name, c]));
for (const c of contenders)
  console.log(
    `${c.name.padEnd(14)} ${median(c.rps).toFixed(0).padStart(6)} req/s (rounds ${c.rps.map((x) => x.toFixed(0)).join(' ')}), ${median(c.cpu).toFixed(0)} µs CPU per request (${range(c.cpu)})`,
  );
// per-round ratios (the contenders of one round ran back to back), then median and range
const ratio = (a, b, target) => {
  if (!by[a] || !by[b]) return `${a}/${b}: n/a`;
  const rps = by[a].rps.map((x, i) => x / by[b].rps[i]);
  const cpu = by[a].cpu.map((x, i) => by[b].cpu[i] / x);
  return `${a}/${b}: ${median(rps).toFixed(2)}x req/s (${range(rps, 2)}), ${median(cpu).toFixed(2)}x by CPU per request (${range(cpu, 2)})${target ? ` (target >= ${target}x)` : ''}`;
};
console.log(ratio('serve', 'apache', 1.0));
console.log(ratio('serve-nocache', 'apache'));
console.log(ratio('serve', 'serve-nocache'));
console.log(ratio('serve', 'nginx'));
process.exit(0);
