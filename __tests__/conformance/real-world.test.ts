/**
 * The real-world score: every request of conformance/real-world/ (stock .htaccess files of
 * well-known projects, in their documented layouts, answers recorded from Apache 2.4 with Debian's
 * default modules plus rewrite, headers and expires) replayed through the real `modrewrite serve`
 * command, a separate process on loopback, with the server configuration the recorder gave Apache.
 *
 * It prints the share of identical responses per project and overall, and why the others differ,
 * and asserts two things:
 * - the score is at least conformance/real-world/floor.json (the measured score when it was last
 *   raised; the lead ratchets it up as features land, never down);
 * - no file a project protects (Apache denied it, or routed it to the front controller) is ever
 *   served with 200 and its own bytes: a security invariant that holds whatever the score.
 * Needs the build (dist/), which .ci/run makes before the tests. Re-record with
 * `node conformance/record-real-world.mjs` (needs Debian's apache2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require('../../conformance/harness.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realWorld = require('../../conformance/real-world.cjs');

interface Expect {
  status: number;
  location?: string;
  contentType?: string;
  vary?: string;
  setCookie?: string[];
  headers?: Record<string, string>;
  body: string;
}
interface Req {
  target: string;
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  protects?: boolean;
  expect: Expect;
}
interface Project {
  project: string;
  source: { repository: string; path: string; commit: string };
  htaccessPath: string;
  htaccess: string;
  files: Record<string, string>;
  requests: Req[];
}
interface Score {
  identical: number;
  total: number;
  refused: string[];
  reasons: Map<string, number>;
}

const bin = join(__dirname, '../../bin/modrewrite.cjs');
const corpusDir = join(__dirname, '../../conformance/real-world');
const floor: { identical: number; total: number } = JSON.parse(
  readFileSync(join(corpusDir, 'floor.json'), 'utf8'),
);
const files = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.json') && f !== 'floor.json')
  .sort();
const scores = new Map<string, Score>();
/** With REAL_WORLD_DIFFS=file, every differing request is written there as JSON, for triage. */
const diffs: unknown[] = [];

/** Why a response differs from Apache's: the first field that differs, named for triage. */
function reasonFor(got: Expect, want: Expect, score: Score): string {
  if (score.refused.length && got.status === 500 && want.status !== 500)
    return `.htaccess refused (first: ${score.refused[0]})`;
  if (got.status !== want.status) return `status ${want.status} → ${got.status}`;
  if (got.location !== want.location) return 'Location differs';
  const names = new Set([...Object.keys(want.headers ?? {}), ...Object.keys(got.headers ?? {})]);
  for (const name of [...names].sort()) {
    const w = want.headers?.[name];
    const g = got.headers?.[name];
    if (w === g) continue;
    if (g === undefined) return `header ${name} missing`;
    if (w === undefined) return `header ${name} extra`;
    return `header ${name} differs`;
  }
  if (got.contentType !== want.contentType) return 'Content-Type differs';
  if (got.vary !== want.vary) return 'Vary differs';
  if (JSON.stringify(got.setCookie) !== JSON.stringify(want.setCookie)) return 'Set-Cookie differs';
  return `body differs (status ${want.status})`;
}

/** The directives `serve` refused in the project's .htaccess, in file order, from its log. */
function refusedDirectives(log: string): string[] {
  const seen: string[] = [];
  for (const m of log.matchAll(/Invalid command '([^']+)'/g))
    if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

function percent(identical: number, total: number): string {
  return total ? ((100 * identical) / total).toFixed(1) + '%' : '-';
}

afterAll(() => {
  if (process.env.REAL_WORLD_DIFFS)
    writeFileSync(process.env.REAL_WORLD_DIFFS, JSON.stringify(diffs, null, 1));
  const lines = ['real-world conformance through modrewrite serve:'];
  const reasons = new Map<string, number>();
  let identical = 0;
  let total = 0;
  for (const [name, s] of scores) {
    identical += s.identical;
    total += s.total;
    for (const [r, n] of s.reasons) reasons.set(r, (reasons.get(r) ?? 0) + n);
    const refused = s.refused.length ? `  refused: ${s.refused.join(' ')}` : '';
    lines.push(
      `  ${name.padEnd(14)} ${String(s.identical).padStart(3)}/${String(s.total).padEnd(3)} ${percent(s.identical, s.total).padStart(6)}${refused}`,
    );
  }
  lines.push(`  ${'overall'.padEnd(14)} ${identical}/${total} ${percent(identical, total)}`);
  lines.push('why the others differ (requests):');
  for (const [r, n] of [...reasons].sort((a, b) => b[1] - a[1]))
    lines.push(`  ${String(n).padStart(4)}  ${r}`);
  console.log(lines.join('\n'));
});

test('the CLI is built and the corpus holds 15+ projects and 400+ requests', () => {
  expect(existsSync(join(__dirname, '../../dist/cjs/cli.js'))).toBe(true);
  expect(files.length).toBeGreaterThanOrEqual(15);
  const requests = files.reduce(
    (n, f) => n + JSON.parse(readFileSync(join(corpusDir, f), 'utf8')).requests.length,
    0,
  );
  expect(requests).toBeGreaterThanOrEqual(400);
});

interface Served {
  child: ChildProcess;
  port: number;
  serverRoot: string;
  log: () => string;
}

/** Lays the project out in a temporary document root and starts `modrewrite serve` on it. */
async function serve(project: Project): Promise<Served> {
  const serverRoot = mkdtempSync(join(tmpdir(), 'modrewrite-rw-'));
  const docroot = join(serverRoot, 'htdocs');
  realWorld.writeProject(docroot, project);
  // what the recorder's <Directory {DOCROOT}> and Debian's dir.conf gave Apache
  writeFileSync(
    join(serverRoot, 'site.conf'),
    `${realWorld.DOCROOT_OPTIONS}\nDirectoryIndex ${realWorld.DEBIAN_DIRECTORY_INDEX}\n`,
  );
  const args = ['serve', '--root', docroot, '--config', join(serverRoot, 'site.conf')];
  args.push('--port', '0', '--server-name', 'localhost', '--quiet', '--no-dns');
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const port = await new Promise<number>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.on('exit', (code) => fail(new Error(`modrewrite serve exited with ${code}: ${log}`)));
  });
  return { child, port, serverRoot, log: () => log };
}

async function stop(served: Served | undefined): Promise<void> {
  if (!served) return;
  const { child } = served;
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
  rmSync(served.serverRoot, { recursive: true, force: true });
}

/**
 * Sends every request of the project, in order, and scores the answers. A leak is a request for a
 * file Apache kept back (`protects`) answered with 200 and that file's own bytes.
 */
async function replay(
  project: Project,
  served: Served,
): Promise<{ score: Score; leaks: string[] }> {
  const score: Score = { identical: 0, total: 0, refused: [], reasons: new Map() };
  const leaks: string[] = [];
  for (const r of project.requests) {
    const host = r.host === undefined ? 'www.example.com' : r.host;
    const resp = await harness.rawRequest(served.port, r, host);
    const got: Expect = realWorld.normaliseRealWorld(resp, project);
    score.refused = refusedDirectives(served.log());
    score.total++;
    if (JSON.stringify(got) === JSON.stringify(r.expect)) score.identical++;
    else {
      const reason = reasonFor(got, r.expect, score);
      score.reasons.set(reason, (score.reasons.get(reason) ?? 0) + 1);
      if (process.env.REAL_WORLD_DIFFS) diffs.push({ project: project.project, r, got, reason });
    }
    const file = realWorld.fixtureNamed(project, r.target);
    if (r.protects && file && got.status === 200 && got.body === file.content)
      leaks.push(`${r.method ?? 'GET'} ${r.target}: Apache ${r.expect.status}, modrewrite 200`);
  }
  return { score, leaks };
}

function load(file: string): Project {
  return JSON.parse(readFileSync(join(corpusDir, file), 'utf8'));
}

describe.each(files)('%s through modrewrite serve', (file) => {
  const project = load(file);
  let served: Served | undefined;
  beforeAll(async () => {
    served = await serve(project);
  });
  afterAll(() => stop(served));

  test(`replays its requests; never serves a protected file (${project.source.repository})`, async () => {
    const { score, leaks } = await replay(project, served!);
    scores.set(file.replace(/\.json$/, ''), score);
    expect(score.total).toBe(project.requests.length);
    expect(leaks).toEqual([]);
  });
});

test('the leak check fires: Drupal without its .htaccess hands out composer.json and settings.php', async () => {
  // the same tree with an empty .htaccess is a plain static server: what the rules protect leaks
  const bare: Project = {
    ...load('drupal.json'),
    project: 'Drupal without .htaccess',
    htaccess: '',
  };
  const served = await serve(bare);
  try {
    const { leaks } = await replay(bare, served);
    expect(leaks).toEqual(
      expect.arrayContaining([
        'GET /composer.json: Apache 403, modrewrite 200',
        'GET /sites/default/settings.php: Apache 403, modrewrite 200',
      ]),
    );
  } finally {
    await stop(served);
  }
});

test('the overall score is at least conformance/real-world/floor.json', () => {
  let identical = 0;
  let total = 0;
  for (const s of scores.values()) {
    identical += s.identical;
    total += s.total;
  }
  expect(total).toBeGreaterThanOrEqual(floor.total);
  expect(identical).toBeGreaterThanOrEqual(floor.identical);
});
