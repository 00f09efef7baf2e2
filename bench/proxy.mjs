#!/usr/bin/env node
// npm run bench:proxy — [P] throughput, loopback only, bounded (wrk or autocannon, fixed duration).
// A tiny keep-alive backend and the load generator share CPU 0; each proxy under test runs alone
// on CPU 1 (taskset). Rounds interleave the contenders; medians of ROUNDS (default 3) are reported,
// with the CPU time each proxy's process tree spent per request.
//   rewrite : Express + rewrite() [P] + proxy()           hpm   : Express + http-proxy-middleware 3 (keep-alive agent)
//   express : Express answering by itself (reference: Express's own cost per request)
//   serve   : `modrewrite serve` (node:http, no Express)   floor : a minimal node:http + undici Pool proxy (bench/floor-proxy.mjs)
//   apache  : Apache 2.4 [P] with <Proxy> ProxySet keepalive=On (event MPM), if apache2 is installed
//   nginx   : nginx proxy_pass with upstream keepalive (the ceiling), if nginx is installed
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
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const CONNECTIONS = 32;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const useWrk = has('wrk');
const on = (cpu, cmd, args) =>
  pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
const tmp = mkdtempSync(join(tmpdir(), 'modrewrite-bench-proxy-'));
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
  for (let i = 0; i < 200; i++) {
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
  if (useWrk) {
    const [c, a] = on(0, 'wrk', [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${SECONDS}s`,
      `http://127.0.0.1:${port}/api/items?id=42`,
    ]);
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
    `http://127.0.0.1:${port}/api/items?id=42`,
  ]);
  const r = JSON.parse(
    execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  if (r.non2xx) throw new Error(`port ${port}: ${r.non2xx} error answers`);
  return { rps: r.requests.average, total: r.requests.total };
}

// the backend: a tiny keep-alive JSON app, on CPU 0 with the load generator
const BACKEND = 39100;
launch(0, process.execPath, [
  '-e',
  `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ ok: true, url: q.url })); }).listen(${BACKEND}, '127.0.0.1')`,
]);
await waitFor(BACKEND);

const contenders = [];
const add = (name, port, child) => contenders.push({ name, port, child, rps: [], cpu: [] });
add(
  'rewrite',
  39101,
  launch(1, process.execPath, [
    join(here, 'server.mjs'),
    'proxy-rewrite',
    '39101',
    String(BACKEND),
  ]),
);
add(
  'hpm',
  39102,
  launch(1, process.execPath, [join(here, 'server.mjs'), 'proxy-hpm', '39102', String(BACKEND)]),
);
// reference: Express answering by itself (what Express costs before any proxy work)
add('express', 39107, launch(1, process.execPath, [join(here, 'server.mjs'), 'bare', '39107']));
mkdirSync(join(tmp, 'www'));
writeFileSync(
  join(tmp, 'serve.conf'),
  `RewriteEngine on\nRewriteRule ^(.*)$ http://127.0.0.1:${BACKEND}$1 [P]\n`,
);
add(
  'serve',
  39103,
  launch(1, process.execPath, [
    join(here, '../bin/modrewrite.cjs'),
    'serve',
    '--root',
    join(tmp, 'www'),
    '--config',
    join(tmp, 'serve.conf'),
    '--port',
    '39103',
    '--quiet',
  ]),
);
add(
  'floor',
  39104,
  launch(1, process.execPath, [join(here, 'floor-proxy.mjs'), '39104', String(BACKEND)]),
);
if (existsSync('/usr/sbin/apache2')) {
  const root = join(tmp, 'apache');
  mkdirSync(root);
  const mods = ['mpm_event', 'authz_core', 'rewrite', 'proxy', 'proxy_http'];
  writeFileSync(
    join(root, 'httpd.conf'),
    [
      `ServerRoot "${root}"`,
      'Listen 127.0.0.1:39105',
      `PidFile "${root}/httpd.pid"`,
      `ErrorLog "${root}/error.log"`,
      'LogLevel warn',
      ...mods.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
      'User www-data',
      'Group www-data',
      'ServerName localhost',
      `Mutex file:${root} default`,
      `DocumentRoot "${tmp}/www"`,
      'StartServers 1',
      'ServerLimit 1',
      'ThreadsPerChild 64',
      'MaxRequestWorkers 64',
      'KeepAlive On',
      `<Proxy "http://127.0.0.1:${BACKEND}/">`,
      '  ProxySet keepalive=On',
      '</Proxy>',
      'RewriteEngine on',
      `RewriteRule ^(.*)$ http://127.0.0.1:${BACKEND}$1 [P]`,
    ].join('\n') + '\n',
  );
  execFileSync('chmod', ['755', tmp, root]);
  add(
    'apache',
    39105,
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
    `worker_processes 1;\npid ${root}/nginx.pid;\nerror_log ${root}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path ${root}/body; proxy_temp_path ${root}/proxy; fastcgi_temp_path ${root}/fcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;\n  upstream backend { server 127.0.0.1:${BACKEND}; keepalive 64; }\n  server { listen 127.0.0.1:39106; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }\n}\n`,
  );
  add('nginx', 39106, launch(1, 'nginx', ['-c', join(root, 'nginx.conf'), '-g', 'daemon off;']));
}
for (const c of contenders) await waitFor(c.port);
console.log(
  `load generator: ${useWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds per contender; ${pinned ? 'proxy under test on CPU 1, backend and load generator on CPU 0' : 'not pinned (no taskset)'}`,
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
const by = Object.fromEntries(
  contenders.map((c) => [c.name, { rps: median(c.rps), cpu: median(c.cpu), all: c.rps }]),
);
for (const c of contenders)
  console.log(
    `${c.name.padEnd(8)} ${by[c.name].rps.toFixed(0).padStart(6)} req/s (rounds ${c.rps.map((x) => x.toFixed(0)).join(' ')}), ${by[c.name].cpu.toFixed(0)} µs CPU per request`,
  );
const ratio = (a, b, target) =>
  by[a] && by[b]
    ? `${a}/${b}: ${(by[a].rps / by[b].rps).toFixed(2)}x req/s, ${(by[b].cpu / by[a].cpu).toFixed(2)}x by CPU per request${target ? ` (target >= ${target}x)` : ''}`
    : `${a}/${b}: n/a`;
console.log(ratio('rewrite', 'hpm', 1.7));
if (by.express) {
  const over = (n) => by[n].cpu - by.express.cpu;
  console.log(
    `CPU per request above Express alone (${by.express.cpu.toFixed(0)} µs): rewrite+proxy() ${over('rewrite').toFixed(0)} µs, http-proxy-middleware ${over('hpm').toFixed(0)} µs (${(over('hpm') / over('rewrite')).toFixed(2)}x)`,
  );
}
console.log(ratio('serve', 'floor', 0.9));
console.log(ratio('serve', 'apache', 1.4));
console.log(ratio('serve', 'nginx'));
process.exit(0);
