#!/usr/bin/env node
// npm run bench:serve-static — `modrewrite serve` answering a small static file behind the 50 rules
// of bench/rules-50.conf (none matches the file), against Apache 2.4 (event MPM, the same rules in
// its server config) and nginx (static, no rules: the ceiling), loopback only, bounded (wrk or
// autocannon, fixed duration). The load generator runs on CPU 0; each server runs alone on CPU 1
// (taskset). Rounds interleave the contenders; medians of ROUNDS (default 3) and the range are
// reported, with the CPU time each server's process tree spent per request.
//   BENCH_FILE_CACHE=0 runs serve with --no-file-cache as well (the same run's "before").
//   BENCH_BASELINE=<another checkout with dist/ built> adds `serve@base`, that checkout's serve.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendSummary, median, pinned, roundsOf } from './lib.mjs';
import { benchTmp, freePort, has, launch, loadUrl, treeCpu, useWrk, waitFor } from './procs.mjs';

/** One bounded load run against a contender. */
const load = (port) => loadUrl(`http://127.0.0.1:${port}${PATH}`, SECONDS, CONNECTIONS);

const here = fileURLToPath(new URL('.', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONNECTIONS = 32;
const PATH = '/static/ok.txt';
const tmp = benchTmp('modrewrite-bench-static-');

const www = join(tmp, 'www');
mkdirSync(join(www, 'static'), { recursive: true });
writeFileSync(join(www, PATH), 'ok');
const rules = join(here, 'rules-50.conf');
const contenders = [];
const add = (name, port, child) => contenders.push({ name, port, child, rps: [], cpu: [] });
const serve = (port, extra, bin = join(here, '../bin/modrewrite.cjs')) =>
  launch(1, process.execPath, [
    bin,
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
const ports = { serve: await freePort(), apache: await freePort(), nginx: await freePort() };
add('serve', ports.serve, serve(ports.serve, []));
if (process.env.BENCH_FILE_CACHE === '0') {
  const port = await freePort();
  add('serve-nocache', port, serve(port, ['--no-file-cache']));
}
if (process.env.BENCH_BASELINE) {
  const port = await freePort();
  add('serve@base', port, serve(port, [], join(process.env.BENCH_BASELINE, 'bin/modrewrite.cjs')));
}
if (existsSync('/usr/sbin/apache2')) {
  const root = join(tmp, 'apache');
  mkdirSync(root);
  const mods = ['mpm_event', 'authz_core', 'rewrite', 'mime'];
  writeFileSync(
    join(root, 'httpd.conf'),
    [
      `ServerRoot "${root}"`,
      `Listen 127.0.0.1:${ports.apache}`,
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
    ports.apache,
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
    `worker_processes 1;\npid ${root}/nginx.pid;\nerror_log ${root}/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n  client_body_temp_path ${root}/body; proxy_temp_path ${root}/proxy; fastcgi_temp_path ${root}/fcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;\n  server { listen 127.0.0.1:${ports.nginx}; root ${www}; }\n}\n`,
  );
  add(
    'nginx',
    ports.nginx,
    launch(1, 'nginx', ['-c', join(root, 'nginx.conf'), '-g', 'daemon off;']),
  );
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
if (by['serve@base']) console.log(ratio('serve', 'serve@base'));
appendSummary('serve-static', {
  settings: {
    seconds: SECONDS,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    generator: useWrk ? 'wrk' : 'autocannon',
  },
  contenders: roundsOf(contenders),
});
process.exit(0);
