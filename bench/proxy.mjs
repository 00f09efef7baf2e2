#!/usr/bin/env node
// npm run bench:proxy — [P] throughput, loopback only, bounded (wrk or autocannon, fixed duration).
// A tiny keep-alive backend and the load generator share CPU 0; each proxy under test runs alone
// on CPU 1 (taskset). Rounds interleave the contenders; medians of ROUNDS (default 3) are reported,
// with the CPU time each proxy's process tree spent per request.
//   rewrite : Express + rewrite() [P] + proxy()           hpm   : Express + http-proxy-middleware 3 (keep-alive agent)
//   express : Express answering by itself (reference: Express's own cost per request)
//   xfloor  : Express + a hand-written undici relay (the floor of any proxy through Express)
//   xend    : Express answering with res.end (no res.send ETag work)  (bench/express-floor.mjs)
//   serve   : `modrewrite serve` (node:http, no Express)   floor : a minimal node:http + undici Pool proxy (bench/floor-proxy.mjs)
//   apache  : Apache 2.4 [P] with <Proxy> ProxySet keepalive=On (event MPM), if apache2 is installed
//   nginx   : nginx proxy_pass with upstream keepalive (the ceiling), if nginx is installed
//   proxy   : proxy() alone on node:http, no rules (bench/proxy-alone.mjs): serve's proxy part
// Ports 39230–39249 only (BENCH_PORT_BASE=N: N to N+19). BENCH_BASELINE=<another checkout with dist/ built> adds `rewrite@base`
// and `serve@base` (the same rows from that checkout) to the same interleaved run;
// BENCH_ONLY=rewrite,hpm,... keeps only the named rows. Every contender's new backend connections
// are counted: a proxy that reuses its keep-alive connections opens a handful, not one per request.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pinned } from './lib.mjs';
import { benchTmp, has, launch, loadUrl, on, treeCpu, useWrk, waitFor } from './procs.mjs';

/** One bounded load run against a contender. */
const load = (port) => loadUrl(`http://127.0.0.1:${port}/api/items?id=42`, SECONDS, CONNECTIONS);

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const CONNECTIONS = 32;
// another run of this bench on the machine takes the default range: BENCH_PORT_BASE moves it
const PORT_BASE = Number(process.env.BENCH_PORT_BASE || 39230);
const tmp = benchTmp('modrewrite-bench-proxy-');

const BASE = process.env.BENCH_BASELINE;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const wanted = (name) => !ONLY || ONLY.has(name) || name === 'backend';

/**
 * Two proxies under load at the same time (wrk, 16 connections each, both proxies sharing CPU 1):
 * whatever else the shared machine does hits both alike, so the ratio of their throughputs is the
 * ratio of their CPU cost per request. Needs wrk.
 */
function loadPair(portA, portB) {
  const one = (port) =>
    new Promise((resolve, reject) => {
      const [c, a] = on(0, 'wrk', [
        '-t1',
        `-c${CONNECTIONS / 2}`,
        `-d${SECONDS}s`,
        `http://127.0.0.1:${port}/api/items?id=42`,
      ]);
      let out = '';
      const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.on('data', (d) => {
        out += d;
      });
      // 'close', not 'exit': the process may exit before its stdout has been read to the end
      child.on('close', () => {
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
        if (!rps || /Non-2xx/.test(out)) reject(new Error(`port ${port}: ${out}`));
        else resolve(Number(rps[1]));
      });
    });
  return Promise.all([one(portA), one(portB)]);
}

// the backend: a tiny keep-alive JSON app, on CPU 0 with the load generator; it counts the
// connections it accepted (asked over IPC)
const BACKEND = PORT_BASE;
const backend = launch(0, process.execPath, [
  '-e',
  `let n = 0; require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end(JSON.stringify({ ok: true, url: q.url })); }).on('connection', () => n++).listen(${BACKEND}, '127.0.0.1'); process.on('message', () => process.send(n));`,
]);
const backendConnections = () =>
  new Promise((resolve) => {
    backend.once('message', resolve);
    backend.send('count');
  });
await waitFor(BACKEND, 200);

const contenders = [];
const add = (name, port, start) => {
  if (wanted(name))
    contenders.push({ name, port, start, child: start(), rps: [], cpu: [], conns: 0 });
};
const node =
  (...args) =>
  () =>
    launch(1, process.execPath, args);
const serveConf = join(tmp, 'serve.conf');
const serveArgs = (bin, port) => [
  bin,
  'serve',
  '--root',
  join(tmp, 'www'),
  '--config',
  serveConf,
  '--port',
  String(port),
  '--quiet',
];
mkdirSync(join(tmp, 'www'));
writeFileSync(
  serveConf,
  `RewriteEngine on\nRewriteRule ^(.*)$ http://127.0.0.1:${BACKEND}$1 [P]\n`,
);
add(
  'rewrite',
  PORT_BASE + 1,
  node(join(here, 'server.mjs'), 'proxy-rewrite', String(PORT_BASE + 1), String(BACKEND)),
);
add(
  'hpm',
  PORT_BASE + 2,
  node(join(here, 'server.mjs'), 'proxy-hpm', String(PORT_BASE + 2), String(BACKEND)),
);
// reference: Express answering by itself (what Express costs before any proxy work)
add('express', PORT_BASE + 7, node(join(here, 'server.mjs'), 'bare', String(PORT_BASE + 7)));
// the floor of any proxy through Express, and Express with res.end (bench/express-floor.mjs)
const xfloor = (...a) => node(join(here, 'express-floor.mjs'), ...a.map(String));
add('xfloor', PORT_BASE + 11, xfloor('relay', PORT_BASE + 11, BACKEND));
add('xend', PORT_BASE + 12, xfloor('end', PORT_BASE + 12));
add('serve', PORT_BASE + 3, node(...serveArgs(join(here, '../bin/modrewrite.cjs'), PORT_BASE + 3)));
// proxy() alone on node:http (serve's proxy part without site()): against the floor directly
add(
  'proxy',
  PORT_BASE + 10,
  node(join(here, 'proxy-alone.mjs'), String(PORT_BASE + 10), String(BACKEND)),
);
add(
  'floor',
  PORT_BASE + 4,
  node(join(here, 'floor-proxy.mjs'), String(PORT_BASE + 4), String(BACKEND)),
);
if (BASE) {
  const baseServer = join(BASE, 'bench/server.mjs');
  add(
    'rewrite@base',
    PORT_BASE + 8,
    node(baseServer, 'proxy-rewrite', String(PORT_BASE + 8), String(BACKEND)),
  );
  add(
    'serve@base',
    PORT_BASE + 9,
    node(...serveArgs(join(BASE, 'bin/modrewrite.cjs'), PORT_BASE + 9)),
  );
}
if (existsSync('/usr/sbin/apache2') && wanted('apache')) {
  const root = join(tmp, 'apache');
  mkdirSync(root);
  const mods = ['mpm_event', 'authz_core', 'rewrite', 'proxy', 'proxy_http'];
  writeFileSync(
    join(root, 'httpd.conf'),
    [
      `ServerRoot "${root}"`,
      `Listen 127.0.0.1:${PORT_BASE + 5}`,
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
  add('apache', PORT_BASE + 5, () =>
    launch(1, '/usr/sbin/apache2', ['-f', join(root, 'httpd.conf'), '-DFOREGROUND'], {
      env: { ...process.env, APACHE_RUN_DIR: root, APACHE_LOCK_DIR: root, APACHE_LOG_DIR: root },
    }),
  );
}
if (has('nginx') && wanted('nginx')) {
  const root = join(tmp, 'nginx');
  mkdirSync(root);
  writeFileSync(
    join(root, 'nginx.conf'),
    `worker_processes 1;\npid ${root}/nginx.pid;\nerror_log ${root}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path ${root}/body; proxy_temp_path ${root}/proxy; fastcgi_temp_path ${root}/fcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;\n  upstream backend { server 127.0.0.1:${BACKEND}; keepalive 64; }\n  server { listen 127.0.0.1:${PORT_BASE + 6}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }\n}\n`,
  );
  add('nginx', PORT_BASE + 6, () =>
    launch(1, 'nginx', ['-c', join(root, 'nginx.conf'), '-g', 'daemon off;']),
  );
}
// A port of this range can be taken for a moment by another program's outgoing connection (it is
// inside the ephemeral range): a contender that could not listen is started again.
for (const c of contenders) {
  for (let attempt = 1; ; attempt++) {
    const exited = new Promise((r) => c.child.once('exit', () => r('exited')));
    const up = await Promise.race([
      waitFor(c.port, 200).then(
        () => 'up',
        () => 'silent',
      ),
      exited,
    ]);
    if (up === 'up') break;
    if (up === 'silent') {
      try {
        process.kill(-c.child.pid, 'SIGKILL');
      } catch {
        // it exited meanwhile
      }
    }
    if (attempt === 5) throw new Error(`${c.name} does not start on port ${c.port}`);
    await new Promise((r) => setTimeout(r, 1000));
    c.child = c.start();
  }
}
console.log(
  `load generator: ${useWrk ? 'wrk' : 'autocannon'}, ${CONNECTIONS} connections, ${SECONDS}s x ${ROUNDS} rounds per contender; ${pinned ? 'proxy under test on CPU 1, backend and load generator on CPU 0' : 'not pinned (no taskset)'}`,
);
for (const c of contenders) load(c.port); // warm-up, not counted
for (let round = 0; round < ROUNDS; round++) {
  // rotate the order each round so drift of a shared machine spreads over all contenders
  const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
  for (const c of order) {
    const before = treeCpu(c.child.pid);
    const connsBefore = await backendConnections();
    const r = load(c.port);
    c.conns += (await backendConnections()) - connsBefore;
    c.rps.push(r.rps);
    c.cpu.push((treeCpu(c.child.pid) - before) / r.total);
  }
}
const by = Object.fromEntries(contenders.map((c) => [c.name, c]));
for (const c of contenders)
  console.log(
    `${c.name.padEnd(12)} ${median(c.rps).toFixed(0).padStart(6)} req/s (rounds ${c.rps.map((x) => x.toFixed(0)).join(' ')}), ${median(c.cpu).toFixed(0)} µs CPU per request, ${c.conns} backend connections opened`,
  );
/** Ratios of the same round (drift cancels), then their median and range. */
const spread = (xs) =>
  `${median(xs).toFixed(2)}x (rounds ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const ratio = (a, b, target) => {
  if (!by[a] || !by[b]) return `${a}/${b}: n/a`;
  const rps = by[a].rps.map((x, i) => x / by[b].rps[i]);
  const cpu = by[a].cpu.map((x, i) => by[b].cpu[i] / x);
  return `${a}/${b}: ${spread(rps)} req/s, ${spread(cpu)} by CPU per request${target ? ` (target >= ${target}x)` : ''}`;
};
// the same ratios with both sides loaded at once (the least disturbed by a shared machine)
const PAIRS = [
  ['rewrite', 'hpm', 1.7],
  ['xfloor', 'hpm'],
  ['rewrite', 'xfloor'],
  ['serve', 'floor', 1.0],
  ['proxy', 'floor'],
  ['serve', 'apache', 1.4],
  ['rewrite', 'rewrite@base'],
  ['serve', 'serve@base'],
].filter(([a, b]) => by[a] && by[b]);
const simultaneous = new Map(PAIRS.map(([a, b]) => [`${a}/${b}`, []]));
if (useWrk && !process.env.BENCH_NO_PAIRS)
  for (let round = 0; round < ROUNDS; round++)
    for (const [a, b] of PAIRS) {
      // the load generator that starts first is swapped every round (it is not neutral)
      const swap = round % 2 === 1;
      const [first, second] = await loadPair(by[swap ? b : a].port, by[swap ? a : b].port);
      simultaneous.get(`${a}/${b}`).push(swap ? second / first : first / second);
    }
console.log('one at a time:');
console.log(ratio('rewrite', 'hpm', 1.7));
console.log(ratio('xfloor', 'hpm'));
console.log(ratio('rewrite', 'xfloor'));
if (by.express && by.rewrite && by.hpm) {
  const over = (n) => median(by[n].cpu) - median(by.express.cpu);
  console.log(
    `CPU per request above Express alone (${median(by.express.cpu).toFixed(0)} µs): rewrite+proxy() ${over('rewrite').toFixed(0)} µs, http-proxy-middleware ${over('hpm').toFixed(0)} µs (${(over('hpm') / over('rewrite')).toFixed(2)}x)`,
  );
}
console.log(ratio('serve', 'floor', 1.0));
console.log(ratio('proxy', 'floor'));
console.log(ratio('serve', 'apache', 1.4));
console.log(ratio('serve', 'nginx'));
console.log(ratio('rewrite@base', 'hpm'));
console.log(ratio('rewrite', 'rewrite@base'));
console.log(ratio('serve@base', 'floor'));
console.log(ratio('serve', 'serve@base'));
if (simultaneous.size && [...simultaneous.values()][0].length) {
  console.log('both loaded at once (sharing CPU 1):');
  for (const [a, b, target] of PAIRS)
    console.log(
      `${a}/${b}: ${spread(simultaneous.get(`${a}/${b}`))} req/s${target ? ` (target >= ${target}x)` : ''}`,
    );
}

/** BENCH_JSON=<file>: this run as one JSON line (bench/all.mjs builds its summary from it). */
async function writeSummary() {
  const { appendSummary, roundsOf } = await import('./lib.mjs');
  const ratios = Object.fromEntries([...simultaneous].map(([pair, xs]) => [`${pair}:pair`, xs]));
  const generator = useWrk ? 'wrk' : 'autocannon';
  const settings = { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, generator };
  appendSummary('proxy', { settings, contenders: roundsOf(contenders), ratios });
}
await writeSummary();
process.exit(0);
