/**
 * explain() is the same engine as rewrite(): every request of the server- and directory-context
 * cases in conformance/cases (recorded from Apache 2.4) is explained, and the outcome, turned into
 * what the replay's file handler would answer, must equal Apache's recorded response. Requests that
 * need more than the engine (a proxy backend, `site: true` cases, a parent server config, `prg:`
 * maps, raw protocol tricks) are left to replay.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explain, type ExplainResult } from '../../lib/index';
import { mapToFile } from '../../lib/engine/directory';
import { nodeFs } from '../../lib/engine/node-fs';
import { parseTarget } from '../../lib/engine/request';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');

interface Req {
  target: string;
  method?: string;
  headers?: Record<string, string>;
  host?: string | null;
  protocol?: string;
  type?: boolean;
  body?: string;
  expect?: Record<string, unknown>;
  differs?: string;
}
interface Case {
  site?: boolean;
  context: 'server' | 'directory';
  directory?: string;
  rules: string;
  serverConfig?: string;
  startupError?: string;
  files?: Record<string, string>;
  requests: Req[];
}

const casesDir = join(__dirname, '../../conformance/cases');
const cases = readdirSync(casesDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(join(casesDir, f), 'utf8')) as Case] as const)
  .filter(([, k]) => !k.site && !k.serverConfig && !k.startupError && !/\bprg:/.test(k.rules));

/** Requests the engine alone can answer: no proxy body, no raw protocol, no recording artifact. */
const expressible = (r: Req): boolean =>
  !r.differs &&
  !r.type &&
  r.host !== null &&
  !r.protocol &&
  r.body === undefined &&
  r.target !== '*' &&
  // node's HTTP parser refuses such a request line (400) before any middleware
  !/[\x00-\x20\x7f]/.test(r.target);

const ENV_NAMES: readonly string[] = harness.ENV_NAMES;

/** Ports the rules name for the echo backend and a dead one: no connection is made here. */
const BACKEND = 9;
const DEADPORT = 10;

/**
 * A [P] outcome: where Apache's echo backend reported the request line and Host it got, the
 * proxy target must name the same; otherwise (a fault status) the outcome is at least a proxy.
 */
function expectProxied(target: string, expected: Req['expect']): void {
  const echoed = expected?.body as { url?: string; host?: string } | undefined;
  if (typeof echoed?.url !== 'string') {
    expect(target).toMatch(/^(unix:[^|]*\|)?[a-z]+:\/\//i);
    return;
  }
  // scheme://authority then the request line's URL, byte for byte (no URL parser's normalising)
  const [, authority, path] = /^[a-z]+:\/\/([^/]*)(.*)$/i.exec(
    target.replace(/^unix:[^|]*\|/, ''),
  )!;
  expect(path || '/').toBe(echoed.url);
  expect(authority!.replace(`:${BACKEND}`, ':{BACKEND}')).toBe(echoed.host);
}

/**
 * What the replay's Express app sends for this outcome (its file handler: the final URL mapped
 * under the document root, 200 (or a kept redirect status) for a file, else 404 without Vary), as raw headers for
 * harness.normalise, the function the replay compares through.
 */
function response(result: ExplainResult, r: Req, docroot: string) {
  const { outcome } = result;
  const headers: Record<string, string[]> = {};
  const add = (name: string, value: string) => (headers[name] ??= []).push(value);
  for (const [name, value] of result.headers) if (name === 'Set-Cookie') add('set-cookie', value);
  const vary = result.headers.find(([n]) => n === 'Vary')?.[1];
  if (outcome.type === 'redirect') {
    add('location', outcome.location);
    return { status: outcome.status, headers, body: '' };
  }
  if (outcome.type === 'status') return { status: outcome.status, headers, body: '' };
  if (outcome.type === 'proxy') throw new Error('a proxy outcome has no file response');
  // rewrite() answers a [PT] result that is no URL-path with core's 400 (case 352)
  if (outcome.type === 'rewrite' && outcome.passThrough && !outcome.path.startsWith('/'))
    return { status: 400, headers, body: '' };
  // the app reads the URL the middleware left in req.url (parsed and normalised again)
  const parsed = parseTarget(outcome.type === 'pass' ? r.target : outcome.url);
  const mapped =
    outcome.type === 'file'
      ? { filename: outcome.path, pathInfo: '' }
      : mapToFile(docroot, parsed.type === 'target' ? parsed.uri : '/', nodeFs);
  add('x-filename', mapped.filename);
  add('x-query', parsed.type === 'target' && parsed.args ? parsed.args : '');
  // the environment's bytes, as the replay's app sends them (case 353)
  for (const n of ENV_NAMES)
    if (result.env[n])
      add(`x-env-${n.toLowerCase()}`, Buffer.from(result.env[n]!, 'utf8').toString('latin1'));
  const st = statSync(mapped.filename, { throwIfNoEntry: false });
  if (!st?.isFile() || mapped.pathInfo) return { status: 404, headers, body: 'not found' };
  if (vary) add('vary', vary);
  const body = r.method === 'HEAD' ? '' : readFileSync(mapped.filename, 'latin1');
  // a redirect rule's kept status goes out with the file, as rewrite() sets it (case 404)
  return { status: result.status ?? 200, headers, body };
}

describe.each(cases)('%s', (_file, kase) => {
  let serverRoot = '';
  let docroot = '';
  beforeAll(() => {
    serverRoot = mkdtempSync(join(tmpdir(), 'modrewrite-explain-'));
    docroot = harness.writeFixtures(serverRoot, kase, {
      ...vars(),
      DOCROOT: join(serverRoot, 'htdocs'),
    });
  });
  afterAll(() => rmSync(serverRoot, { recursive: true, force: true }));
  const vars = () => ({ SERVERROOT: serverRoot, BACKEND: BACKEND, DEADPORT: DEADPORT });

  const requests = kase.requests.filter(expressible).map((r, i) => [i, r.target, r] as const);
  test.each(requests)('#%i %s', async (_i, target, r) => {
    const result = await explain(
      {
        rules: harness.substitute(kase.rules, { ...vars(), DOCROOT: docroot }),
        context: kase.context,
        directory: kase.directory,
        documentRoot: docroot,
        serverName: 'localhost',
        mapRoot: serverRoot,
        fs: nodeFs,
      },
      {
        url: target,
        method: r.method,
        headers: { Host: r.host ?? 'www.example.com', ...r.headers },
      },
    );
    if (result.outcome.type === 'proxy') {
      expectProxied(result.outcome.target, r.expect);
      return;
    }
    const got = harness.normalise(response(result, r, docroot), {
      DOCROOT: docroot,
      SERVERROOT: serverRoot,
    });
    expect(harness.queryHashAsEscape(got)).toEqual(harness.queryHashAsEscape(r.expect));
  });
});
