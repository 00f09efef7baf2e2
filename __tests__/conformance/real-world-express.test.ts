/**
 * The real-world corpus through the Express middleware, as the README's third migration path
 * writes it: `app.use(htaccess({ root })); app.use(express.static(root, { dotfiles: 'allow' }))`.
 * Serving stays with express.static, so responses are not Apache's byte for byte (its 404 page,
 * its ETag); what must hold is the fail-closed promise of issue 12:
 * - no file a project protects (Apache denied it, or routed it to a front controller) is ever
 *   answered with 200 and its own bytes — `dotfiles: 'allow'` is the worst case a user can pick;
 * - where Apache denied a request with 403, the middleware denies it too (never 2xx);
 * - every redirect Apache sent for a GET is sent with the same status and Location;
 * - every header the project's file sets (mod_headers, mod_expires) that Apache sent on a 200 is
 *   sent with Apache's value.
 * Uses lib/ directly (no build, no child process); real HTTP on loopback.
 */
import express from 'express';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { htaccess } from '../../lib/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realWorld = require('../../conformance/real-world.cjs');

interface Req {
  target: string;
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  protects?: boolean;
  expect: { status: number; location?: string; headers?: Record<string, string>; body: string };
}
interface Project {
  project: string;
  htaccessPath: string;
  htaccess: string;
  files: Record<string, string>;
  requests: Req[];
}
interface Answer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

const corpusDir = join(__dirname, '../../conformance/real-world');
const files = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json') && f !== 'floor.json')
  .sort();

function load(file: string): Project {
  return JSON.parse(readFileSync(join(corpusDir, file), 'utf8'));
}

/** The project's tree in a temporary document root, behind htaccess() and express.static. */
async function mount(project: Project): Promise<{ server: Server; port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'modrewrite-rw-express-'));
  realWorld.writeProject(dir, project);
  const app = express();
  app.use(htaccess({ root: dir, serverName: 'localhost', log: () => {} }));
  // mod_expires merges its max-age into a Cache-Control the handler set, as Apache does with PHP's:
  // express.static's own `public, max-age=0` is turned off, as the README tells users to
  app.use(express.static(dir, { dotfiles: 'allow', cacheControl: false }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  return { server, port: (server.address() as AddressInfo).port, dir };
}

/** One finding per request where the middleware breaks a promise above. */
function check(project: Project, r: Req, got: Answer): string | undefined {
  const method = r.method ?? 'GET';
  const line = `${method} ${r.target}: Apache ${r.expect.status}, Express ${got.status}`;
  const file = realWorld.fixtureNamed(project, r.target);
  if (r.protects && file && got.status === 200 && got.body === file.content)
    return `${line} (served the protected file)`;
  if (method !== 'GET') return undefined;
  const header = headerLost(project, r, got);
  if (header) return `${line} (${header})`;
  if (r.expect.status === 403 && got.status < 300) return `${line} (not denied)`;
  const redirect = r.expect.status >= 300 && r.expect.status < 400 && r.expect.location;
  if (redirect && (got.status !== r.expect.status || !sameLocation(got, redirect)))
    return `${line} (redirect to ${r.expect.location} lost: ${got.headers.location?.[0]})`;
  return undefined;
}

/** A header the project's file sets that Apache sent on a 200 and the middleware did not. */
function headerLost(project: Project, r: Req, got: Answer): string | undefined {
  if (r.expect.status !== 200 || got.status !== 200) return undefined;
  const ours = realWorld.normaliseRealWorld(got, project);
  for (const [name, value] of Object.entries(r.expect.headers ?? {}))
    // mod_deflate's gzip: htaccess() leaves compression to the app (README), serve does it
    if (name !== 'content-encoding' && ours.headers?.[name] !== value)
      return `${name}: ${value} → ${ours.headers?.[name]}`;
  return undefined;
}

/**
 * express.static's own DirectorySlash redirect sends a relative Location (`/css/`, its escapes as
 * the request had them), Apache an absolute one: the same target for a client on the host it
 * asked. Everything else must be Apache's Location.
 */
function sameLocation(got: Answer, apache: string): boolean {
  const location = got.headers.location?.[0];
  if (location === apache) return true;
  if (location === undefined || !location.startsWith('/')) return false;
  const target = new URL(apache);
  const relative = new URL(location, target.origin);
  const decoded = (u: URL): string => decodeURIComponent(u.pathname) + u.search;
  return decoded(relative) === decoded(target);
}

describe.each(files)('%s through htaccess() + express.static', (file) => {
  const project = load(file);
  let mounted: { server: Server; port: number; dir: string } | undefined;
  beforeAll(async () => {
    mounted = await mount(project);
  });
  afterAll(async () => {
    if (!mounted) return;
    await new Promise((ok) => mounted!.server.close(ok));
    rmSync(mounted.dir, { recursive: true, force: true });
  });

  test('keeps every protected file private and keeps Apache’s denials and redirects', async () => {
    const findings: string[] = [];
    for (const r of project.requests) {
      const host = r.host === undefined ? 'www.example.com' : r.host;
      const got: Answer = await harness.rawRequest(mounted!.port, r, host);
      const finding = check(project, r, got);
      if (finding) findings.push(finding);
    }
    expect(findings).toEqual([]);
  });
});

test('the check fires: Drupal with an empty .htaccess hands out composer.json', async () => {
  const bare: Project = { ...load('drupal.json'), htaccess: '' };
  const mounted = await mount(bare);
  try {
    const r = bare.requests.find((q) => q.target === '/composer.json' && q.protects)!;
    const got: Answer = await harness.rawRequest(mounted.port, r, 'www.example.com');
    expect(check(bare, r, got)).toMatch(/served the protected file/);
  } finally {
    await new Promise((ok) => mounted.server.close(ok));
    rmSync(mounted.dir, { recursive: true, force: true });
  }
});
