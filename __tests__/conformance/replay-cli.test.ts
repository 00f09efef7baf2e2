/**
 * Replays the site cases of the conformance corpus through the real `modrewrite serve` command
 * (bin/modrewrite.cjs, a separate process on loopback), the way a held-out Apache corpus is run:
 * a config file of server-context directives, a document root with .htaccess files, raw sockets.
 * Needs the build (dist/), which .ci/run makes before the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');

interface Req {
  target: string;
  method?: string;
  host?: string;
  type?: boolean;
  allow?: boolean;
  /** Response headers to record and compare (e.g. `Content-Language`). */
  recordHeaders?: string[];
  expect?: unknown;
  differs?: string;
}
interface Case {
  site?: boolean;
  /** Response headers (lower-case) whose values are compared (mod_headers, mod_expires cases). */
  headers?: string[];
  context: string;
  directory?: string;
  rules: string;
  serverConfig?: string;
  files?: Record<string, string>;
  requests: Req[];
  startupError?: string;
  /** The rules set the main server's DocumentRoot: serve runs without --root (case 416). */
  mainDocumentRoot?: boolean;
}

const bin = join(__dirname, '../../bin/modrewrite.cjs');
const casesDir = join(__dirname, '../../conformance/cases');
const files = readdirSync(casesDir)
  .filter(
    (f) => f.endsWith('.json') && !JSON.parse(readFileSync(join(casesDir, f), 'utf8')).startupError,
  )
  .sort();

/** The configuration the recorder gave Apache, as a config file and .htaccess for the CLI. */
function configFor(kase: Case, docroot: string, vars: Record<string, unknown>): string {
  if (kase.site) return harness.substitute(kase.rules, vars);
  // the mod_rewrite cases were recorded with mod_dir out of the way
  const head = `DirectorySlash Off\nDirectoryIndex disabled\n${harness.substitute(kase.serverConfig ?? '', vars)}\n`;
  if (kase.context !== 'directory') return head + harness.substitute(kase.rules, vars);
  writeFileSync(
    join(docroot, kase.directory ?? '/', '.htaccess'),
    harness.substitute(kase.rules, vars),
  );
  return head + 'RewriteEngine On\n';
}
const results = { identical: 0, total: 0, marked: 0 };

let echo: http.Server;
let backend = 0;
let dead = 0;
beforeAll(async () => {
  echo = await harness.startEcho();
  backend = (echo.address() as AddressInfo).port;
  dead = await harness.deadPort();
});
afterAll(() => {
  echo.close();

  console.log(
    `conformance through modrewrite serve: ${results.identical}/${results.total} requests identical (${results.marked} marked in the corpus, each with its reason)`,
  );
});

test('the CLI is built and there are site cases to replay', () => {
  expect(existsSync(join(__dirname, '../../dist/cjs/cli.js'))).toBe(true);
  expect(files.length).toBeGreaterThanOrEqual(9);
});

describe.each(files)('%s through modrewrite serve', (file) => {
  const kase: Case = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
  let child: ChildProcess;
  let port = 0;
  let serverRoot = '';
  let docroot = '';
  beforeAll(async () => {
    serverRoot = mkdtempSync(join(tmpdir(), 'modrewrite-cli-'));
    // a case that names the listening port ({PORT}: <VirtualHost *:{PORT}>) gets a free one first
    const fixedPort = kase.site && kase.rules.includes('{PORT}') ? await harness.deadPort() : 0;
    const vars = {
      DOCROOT: join(serverRoot, 'htdocs'),
      BACKEND: backend,
      SERVERROOT: serverRoot,
      DEADPORT: dead,
      ...(fixedPort && { PORT: fixedPort }),
    };
    docroot = harness.writeFixtures(serverRoot, kase, vars);
    writeFileSync(join(serverRoot, 'site.conf'), configFor(kase, docroot, vars));
    child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        ...(kase.mainDocumentRoot ? [] : ['--root', docroot]),
        '--config',
        join(serverRoot, 'site.conf'),
        '--port',
        String(fixedPort),
        '--server-name',
        'localhost',
        '--debug-headers',
        '--quiet',
        '--no-dns',
        '--allow-root',
        join(serverRoot, 'maps'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    port = await new Promise<number>((ok, fail) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m) ok(Number(m[1]));
      });
      child.on('exit', (code) => fail(new Error(`modrewrite serve exited with ${code}`)));
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
    rmSync(serverRoot, { recursive: true, force: true });
  });

  test.each(kase.requests.map((r, i) => [i, r.target, r] as const))('#%i %s', async (_i, _t, r) => {
    const resp = await harness.rawRequest(
      port,
      r,
      r.host === undefined ? 'www.example.com' : r.host,
    );
    resp.wantType = !!r.type;
    resp.wantBody = !!kase.site;
    resp.wantAllow = !!r.allow;
    resp.wantHeaders = kase.headers;
    resp.wantRecordHeaders = r.recordHeaders;
    const got = harness.normalise(resp, {
      DOCROOT: docroot,
      PORT: port,
      BACKEND: backend,
      SERVERROOT: serverRoot,
    });
    results.total++;
    if (r.differs) {
      results.marked++;
      return;
    }
    if (JSON.stringify(got) === JSON.stringify(r.expect)) results.identical++;
    expect(got).toEqual(r.expect);
  });
});
