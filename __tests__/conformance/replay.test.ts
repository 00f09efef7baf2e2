/**
 * Replays every request of conformance/cases/*.json (expected outcomes recorded from real Apache
 * 2.4 by `npm run conformance:record`) against Express + modrewrite with the same files on disk,
 * over raw sockets, and compares what mod_rewrite decides.
 */
import express from 'express';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  rewrite,
  site,
  answerClientErrors,
  proxy,
  APACHE_FAULT_STATUS,
  loopbackOnlyLookup,
} from '../../lib/index';
import type { RewriteInfo } from '../../lib/index';
import { parseTarget } from '../../lib/engine/request';
import { mapToFile } from '../../lib/engine/directory';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');

interface Req {
  target: string;
  method?: string;
  headers?: Record<string, string>;
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
  name: string;
  context: 'server' | 'directory';
  directory?: string;
  rules: string;
  serverConfig?: string;
  files?: Record<string, string>;
  requests: Req[];
  startupError?: string;
  expectLoadError?: boolean;
  /** The rules set the main server's DocumentRoot: site() runs without `root` (case 416). */
  mainDocumentRoot?: boolean;
}

// CONFORMANCE_CASES: another folder of recorded cases (conformance/differential/rules.mjs)
const casesDir = process.env.CONFORMANCE_CASES ?? join(__dirname, '../../conformance/cases');
const files = readdirSync(casesDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const results = { identical: 0, total: 0, differs: 0, mismatches: [] as string[] };

/**
 * modrewrite's own proxy(), configured the way the recorder's Apache is: its fault statuses
 * (refused 503, failed lookup 500), ServerName as X-Forwarded-Server, inbound X-Forwarded-* kept
 * and appended to, no ProxyPassReverse, and name resolution as closed as the recorder's namespace.
 */
function apacheLikeProxy() {
  return proxy({
    faultStatus: APACHE_FAULT_STATUS,
    serverName: 'localhost',
    trustProxy: true,
    reverse: false,
    lookup: loopbackOnlyLookup,
  });
}

function app(kase: Case, docroot: string, serverRoot: string, backend: number) {
  const a = express();
  const vars = { DOCROOT: docroot, BACKEND: backend, SERVERROOT: serverRoot, DEADPORT: dead };
  const rules = harness.substitute(kase.rules, vars);
  const serve = (req: express.Request, res: express.Response, filePath?: string) => {
    // Apache's core answers `OPTIONS *` itself (no file is mapped)
    if (req.method === 'OPTIONS' && req.url === '*') {
      res.statusCode = 200;
      res.end();
      return;
    }
    const info = (req as unknown as { rewrite?: RewriteInfo }).rewrite;
    const parsed = parseTarget(req.url);
    const uri = parsed.type === 'target' ? parsed.uri : '/';
    const mapped = filePath
      ? { filename: filePath, pathInfo: '' }
      : mapToFile(docroot, uri, {
          stat: (p) => {
            try {
              return statSync(p);
            } catch {
              return undefined;
            }
          },
          lstat: () => undefined,
        });
    res.setHeader('X-Filename', Buffer.from(mapped.filename, 'latin1').toString('latin1'));
    res.setHeader('X-Query', parsed.type === 'target' && parsed.args ? parsed.args : '');
    // Apache's environment holds bytes and mod_headers sends them as they are; req.rewrite.env
    // gives them decoded as UTF-8, so they go back to bytes (a latin1 string) on the header
    for (const n of harness.ENV_NAMES as string[])
      if (info?.env[n])
        res.setHeader(`X-Env-${n}`, Buffer.from(info.env[n], 'utf8').toString('latin1'));
    let st;
    try {
      st = statSync(mapped.filename);
    } catch {
      st = undefined;
    }
    if (st?.isFile() && !mapped.pathInfo) {
      // like Apache for a file without a known extension: no Content-Type unless a rule forced one;
      // the status is what rewrite() left (200, or a redirect rule's kept r->status, case 333)
      res.end(readFileSync(mapped.filename));
    } else {
      // Apache's error responses drop headers_out (Vary among them); only err_headers_out stay
      res.removeHeader('Vary');
      res.status(404).send('not found');
    }
  };
  const mw = rewrite(rules, {
    context: kase.context,
    root: docroot,
    mapRoot: serverRoot,
    serverName: 'localhost',
    proxy: sharedProxy,
    parent: kase.serverConfig ? harness.substitute(kase.serverConfig, vars) : undefined,
    file: (req, res, _next, f) => serve(req as express.Request, res as express.Response, f.path),
  });
  if (kase.context === 'directory' && kase.directory && kase.directory !== '/')
    a.use(kase.directory.replace(/\/$/, ''), mw);
  else a.use(mw);
  a.use((req, res) => serve(req, res));
  a.use(
    (
      err: { status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).send('error');
    },
  );
  return a;
}

/** Site cases: the whole vhost is modrewrite's site() on node:http, nothing emulated. */
function siteApp(kase: Case, docroot: string, serverRoot: string, backend: number, port: number) {
  // PORT: the port the server listens on (a <VirtualHost *:{PORT}> names it)
  const vars = {
    DOCROOT: docroot,
    BACKEND: backend,
    SERVERROOT: serverRoot,
    DEADPORT: dead,
    PORT: port,
  };
  const handler = site({
    root: kase.mainDocumentRoot ? undefined : docroot,
    config: harness.substitute(kase.rules, vars),
    allowedRoots: [join(serverRoot, 'maps')],
    mapRoot: serverRoot,
    serverName: 'localhost',
    debugHeaders: true,
    fallthrough: false,
    proxy: sharedProxy,
    htaccess: { recheckMs: 0 },
    log: () => {},
  });
  return (req: http.IncomingMessage, res: http.ServerResponse) => handler(req, res);
}

let echo: http.Server;
let backend = 0;
let dead = 0;
const sharedProxy = apacheLikeProxy();
beforeAll(async () => {
  echo = await harness.startEcho();
  backend = (echo.address() as AddressInfo).port;
  dead = await harness.deadPort();
});
afterAll(async () => {
  echo.close();
  await sharedProxy.close();

  console.log(
    `conformance: ${results.identical}/${results.total} requests identical (${results.differs} marked in the corpus: recording artifacts or deliberate differences, each with its reason)${results.mismatches.length ? '\n' + results.mismatches.join('\n') : ''}`,
  );
});

test('the corpus was recorded from Apache and names no path of the recording machine', () => {
  for (const f of files) {
    const text = readFileSync(join(casesDir, f), 'utf8');
    expect(text).not.toMatch(/\/tmp\/|%2ftmp%2f/i);
    expect(JSON.parse(text).recordedFrom).toMatch(/^Server version: Apache\/2\.4\./);
  }
  expect(files.length).toBeGreaterThan(10);
});

describe.each(files)('%s', (file) => {
  const kase: Case = JSON.parse(readFileSync(join(casesDir, file), 'utf8'));
  let server: http.Server;
  let port = 0;
  let serverRoot = '';
  let docroot = '';
  let loadError: unknown;
  beforeAll(async () => {
    serverRoot = mkdtempSync(join(tmpdir(), 'modrewrite-replay-'));
    docroot = harness.writeFixtures(serverRoot, kase, {
      DOCROOT: join(serverRoot, 'htdocs'),
      BACKEND: backend,
      SERVERROOT: serverRoot,
      DEADPORT: dead,
    });
    try {
      // the handler is made once the port is known (site cases may name it: {PORT})
      const made: { handle?: http.RequestListener } = {};
      // as serve's server: an HTTP/1.1 request without Host reaches site() (case 456)
      server = answerClientErrors(
        http.createServer({ requireHostHeader: false }, (req, res) => made.handle!(req, res)),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
      made.handle = kase.site
        ? siteApp(kase, docroot, serverRoot, backend, port)
        : app(kase, docroot, serverRoot, backend);
    } catch (err) {
      loadError = err;
    }
  });
  afterAll(async () => {
    if (server) await new Promise((r) => server.close(r));
    rmSync(serverRoot, { recursive: true, force: true });
  });

  if (kase.startupError) {
    test('Apache refused this configuration at startup; modrewrite refuses it at load time', () => {
      expect(loadError).toBeDefined();
      expect((loadError as { code?: string }).code).toMatch(/^ERR_/);
    });
    return;
  }

  test.each(kase.requests.map((r, i) => [i, r.target, r] as const))('#%i %s', async (_i, _t, r) => {
    expect(loadError).toBeUndefined();
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
      results.differs++;
      return;
    }
    const want = harness.queryHashAsEscape(r.expect);
    const have = harness.queryHashAsEscape(got);
    const same = JSON.stringify(have) === JSON.stringify(want);
    if (same) results.identical++;
    else
      results.mismatches.push(
        `  ${file} ${r.target}: apache=${JSON.stringify(r.expect)} modrewrite=${JSON.stringify(got)}`,
      );
    expect(have).toEqual(want);
  });
});
