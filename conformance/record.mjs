#!/usr/bin/env node
// Records the expected outcome of every conformance request from real Apache 2.4.
// Needs Debian's apache2 (apt-get install -y apache2); installs nothing itself. Runs
// `apache2 -f <own conf> -X` on a loopback port with a private temporary ServerRoot (never the
// system service), inside a private network namespace (only `lo`), so no rule can make Apache
// look up or reach another host. Writes each case's `expect` back into conformance/cases/*.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { inPrivateNetwork } = require('./netns.cjs');
const {
  launchApache,
  writeFixtures,
  rawRequest,
  startEcho,
  normalise,
  substitute,
  deadPort,
  ENV_NAMES,
} = require('./harness.cjs');

const MODULES = [
  'mpm_prefork',
  'authz_core',
  'authz_user',
  'authn_core',
  'authn_file',
  'auth_basic',
  'access_compat',
  'authz_host',
  'rewrite',
  'headers',
  'expires',
  'mime',
  'proxy',
  'proxy_http',
  'dir',
  'env',
  'setenvif',
  // loaded in Debian's Apache: <IfModule mod_deflate.c> / <IfModule mod_filter.c> are true (case 194)
  'deflate',
  'filter',
  'alias',
];

function conf(root, port, kase) {
  const docroot = join(root, 'htdocs');
  const rules = substitute(kase.rules, {
    DOCROOT: docroot,
    BACKEND: kase._backend,
    PORT: port,
    SERVERROOT: root,
    DEADPORT: kase._dead,
  });
  const server = substitute(kase.serverConfig || '', {
    DOCROOT: docroot,
    BACKEND: kase._backend,
    PORT: port,
    SERVERROOT: root,
    DEADPORT: kase._dead,
  });
  const headers = [
    // diagnostic headers; skipped when the value holds control characters (Apache would refuse
    // to send such a header and turn the response into a 500)
    'Header always set X-Filename "expr=%{REQUEST_FILENAME}" "expr=%{REQUEST_FILENAME} !~ /[\\x00-\\x1f\\x7f]/"',
    'Header always set X-Query "expr=%{QUERY_STRING}" "expr=%{QUERY_STRING} !~ /[\\x00-\\x1f\\x7f]/"',
    ...ENV_NAMES.map((n) => `Header always set X-Env-${n} "expr=%{ENV:${n}}"`),
  ];
  return (
    [
      `ServerRoot "${root}"`,
      `Listen 127.0.0.1:${port}`,
      `PidFile "${root}/httpd.pid"`,
      `ErrorLog "${root}/error.log"`,
      'LogLevel warn rewrite:trace8',
      ...MODULES.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
      // a case may ask for more of Debian's modules, each with its stock mods-available/ .conf
      ...(kase.modules || []).flatMap((m) => [
        `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`,
        ...(existsSync(`/etc/apache2/mods-available/${m}.conf`)
          ? [`Include /etc/apache2/mods-available/${m}.conf`]
          : []),
      ]),
      'User www-data',
      'Group www-data',
      'ServerName localhost',
      `Mutex file:${root} default`,
      'TypesConfig /etc/mime.types',
      `DocumentRoot "${docroot}"`,
      // site cases run a whole vhost (mod_dir defaults, .htaccess files from `files`, the stock
      // config's .ht* denial); the others isolate mod_rewrite
      ...(kase.site
        ? ['<FilesMatch "^\\.ht">', '  Require all denied', '</FilesMatch>']
        : ['DirectorySlash Off', 'DirectoryIndex disabled']),
      '<Directory />',
      '  AllowOverride None',
      '  Require all granted',
      '  Options FollowSymLinks',
      '</Directory>',
      `<Directory "${docroot}">`,
      '  AllowOverride All',
      '</Directory>',
      ...headers,
      server,
      kase.site ? rules : kase.context === 'directory' ? 'RewriteEngine On' : rules,
    ].join('\n') + '\n'
  );
}

async function startApache(root, port, kase) {
  const docroot = writeFixtures(root, kase, {
    DOCROOT: join(root, 'htdocs'),
    BACKEND: kase._backend,
    PORT: port,
    SERVERROOT: root,
    DEADPORT: kase._dead,
  });
  if (kase.context === 'directory' && !kase.site) {
    const dir = join(docroot, kase.directory || '/');
    writeFileSync(
      join(dir, '.htaccess'),
      substitute(kase.rules, {
        DOCROOT: docroot,
        BACKEND: kase._backend,
        PORT: port,
        SERVERROOT: root,
        DEADPORT: kase._dead,
      }),
    );
  }
  const started = await launchApache(root, port, conf(root, port, kase));
  return { ...started, docroot };
}

async function main() {
  const version = execFileSync('apache2', ['-v']).toString().split('\n')[0];
  const only = process.argv[2];
  // CONFORMANCE_CASES: another folder of cases (the generated rule sets of differential/rules.mjs)
  const casesDir = process.env.CONFORMANCE_CASES || join(here, 'cases');
  const files = readdirSync(casesDir)
    .filter((f) => f.endsWith('.json') && (!only || f.includes(only)))
    .sort();
  const echo = await startEcho();
  const backend = echo.address().port;
  let port = 18000 + Math.floor(Math.random() * 2000);
  let total = 0;
  for (const f of files) {
    const file = join(casesDir, f);
    const kase = JSON.parse(readFileSync(file, 'utf8'));
    kase._backend = backend;
    kase._dead = await deadPort();
    const root = mkdtempSync(join(tmpdir(), 'modrewrite-apache-'));
    port++;
    const { child, error, docroot } = await startApache(root, port, kase);
    try {
      if (error) {
        kase.recordedFrom = version;
        kase.startupError = error
          .trim()
          .split('\n')
          .slice(-3)
          .join('\n')
          .split(root)
          .join('{SERVERROOT}');
        for (const r of kase.requests) delete r.expect;
        console.log(`${f}: Apache refused the configuration: ${kase.startupError}`);
      } else {
        for (const r of kase.requests) {
          const resp = await rawRequest(port, r, r.host === undefined ? 'www.example.com' : r.host);
          resp.wantType = !!r.type;
          resp.wantBody = !!kase.site;
          resp.wantAllow = !!r.allow;
          resp.wantHeaders = kase.headers;
          resp.wantRecordHeaders = r.recordHeaders;
          r.expect = normalise(resp, {
            DOCROOT: docroot,
            PORT: port,
            BACKEND: backend,
            SERVERROOT: root,
          });
          total++;
        }
        kase.recordedFrom = version;
        delete kase.startupError;
        console.log(`${f}: ${kase.requests.length} requests recorded`);
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      if (process.env.KEEP_APACHE_ROOT) console.log('kept', root);
      else rmSync(root, { recursive: true, force: true });
    }
    delete kase._backend;
    delete kase._dead;
    writeFileSync(file, JSON.stringify(kase, null, 2) + '\n');
  }
  echo.close();
  console.log(`recorded ${total} requests from ${version}`);
}

// rules can name hosts: Apache runs in a private network namespace with only loopback up
await inPrivateNetwork(fileURLToPath(import.meta.url), main);
