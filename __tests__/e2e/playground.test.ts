/**
 * The playground in a real browser: `modrewrite playground` (in-process main()) serves the built
 * page, Debian's chromium (driven by playwright-core) types rules, files and URLs into it, and the
 * outcome and trace must say what Apache answered for those cases of the conformance corpus.
 * Also: the link round-trips the whole case, and the static server stays inside its folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { main } from '../../lib/cli';

jest.setTimeout(90_000);

const repo = join(__dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCUMENT_ROOT = '/var/www/html';
const HOST_HEADERS = 'Host: www.example.com';

interface Case {
  readonly context: 'server' | 'directory';
  readonly directory?: string;
  readonly rules: string;
  readonly files?: Record<string, string>;
  readonly requests: readonly { target: string; expect: Record<string, unknown> }[];
}

const loadCase = (file: string): Case =>
  JSON.parse(readFileSync(join(repo, 'conformance/cases', file), 'utf8')) as Case;

/** Requests of the corpus whose expectations (recorded from Apache) the page must show. */
const CASES: readonly { file: string; target: string; rule: string }[] = [
  { file: '010-server-basics.json', target: '/r301', rule: 'RewriteRule ^/r301$' },
  { file: '010-server-basics.json', target: '/p/7?y=2', rule: 'RewriteRule ^/p/(.+)$' },
  { file: '070-dir-root.json', target: '/a/x?q=1', rule: 'RewriteRule ^a/(.*)$ b/$1' },
  { file: '070-dir-root.json', target: '/ra', rule: 'RewriteRule ^ra$ b [R,L]' },
  { file: '080-dir-sub.json', target: '/sub/a/x?q=1', rule: 'RewriteRule ^a/(.*)$ b/$1' },
  { file: '080-dir-sub.json', target: '/sub/ra', rule: 'RewriteRule ^ra$ b [R,L]' },
];

const fromRecording = (value: unknown): string =>
  String(value).replaceAll('{DOCROOT}', DOCUMENT_ROOT);

let server: Server;
let base = '';

beforeAll(async () => {
  // the page under test is built from the current source
  execFileSync(process.execPath, [join(repo, 'scripts/build-playground.mjs')], { stdio: 'pipe' });
  const out: string[] = [];
  server = (await main(['playground', '--port', '0'], {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  })) as Server;
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  expect(out.join('\n')).toContain(`playground on ${base}`);
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
});

describe('the static server', () => {
  test.each([
    ['/', 200, 'text/html; charset=utf-8'],
    ['/app.js', 200, 'text/javascript; charset=utf-8'],
    ['/style.css', 200, 'text/css; charset=utf-8'],
    ['/worker.js', 200, 'text/javascript; charset=utf-8'],
    ['/../package.json', 404, 'text/plain'],
    ['/%2e%2e/package.json', 404, 'text/plain'],
    ['/..%2fpackage.json', 404, 'text/plain'],
    ['/nothing.html', 404, 'text/plain'],
  ])('GET %s → %i', async (path, status, type) => {
    // fetch() normalizes `..`: the raw target goes over a socket through http.request
    const res = await rawGet(path);
    expect(res.status).toBe(status);
    expect(res.type).toBe(type);
    expect(res.csp).toContain("default-src 'self'");
  });

  test('the built folder can be hosted anywhere: every asset path is relative', () => {
    const html = readFileSync(join(repo, 'playground/dist/index.html'), 'utf8');
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual(expect.arrayContaining(['./style.css', './app.js']));
    for (const ref of refs) expect(ref).toMatch(/^(?:\.\/|data:|https:\/\/)/);
    const app = readFileSync(join(repo, 'playground/dist/app.js'), 'utf8');
    expect(app).toContain('"./worker.js",import.meta.url');
  });

  test('only GET and HEAD', async () => {
    const res = await fetch(base, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  test('modrewrite playground --help lists its flags with their defaults', async () => {
    const out: string[] = [];
    expect(await main(['playground', '--help'], { out: (l) => out.push(l), err: () => {} })).toBe(
      0,
    );
    expect(out.join('\n')).toMatch(/--port N +TCP port; 0 picks a free one \(default: 8081\)/);
    expect(out.join('\n')).toMatch(/--host ADDR +address to listen on \(default: 127\.0\.0\.1\)/);
  });

  test('a bad --port is a usage error (exit 2)', async () => {
    const err: string[] = [];
    const code = await main(['playground', '--port', 'http'], {
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).toBe(2);
    expect(err[0]).toBe("modrewrite: --port must be 0..65535, got 'http'");
  });
});

function rawGet(path: string): Promise<{ status: number; type: string; csp: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base, { path }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          csp: String(res.headers['content-security-policy']),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) {
  // CI installs chromium (.ci/run): without it the browser test must fail, not vanish
  test('chromium is installed', () => {
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`);
  });
}
if (!haveChromium && !process.env.CI)
  console.warn(`playground browser tests skipped: no chromium at ${CHROMIUM}`);

(haveChromium ? describe : describe.skip)('the page in chromium', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  /** A fresh tab on `url`, its script errors collected, once the page has run its case. */
  async function open(url: string): Promise<Page> {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(url);
    await tab.waitForSelector('body[data-ready="true"]');
    return tab;
  }

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await open(base);
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    expect(errors).toEqual([]);
  });

  test.each(CASES)('$file $target: the outcome and trace Apache recorded', async (c) => {
    const kase = loadCase(c.file);
    const expected = kase.requests.find((r) => r.target === c.target)!.expect;
    await enterCase(page, kase, c.target);
    const ruleLine = kase.rules.split('\n').findIndex((l) => l.startsWith(c.rule)) + 1;
    expect(ruleLine).toBeGreaterThan(0);
    if (expected.location !== undefined) {
      await waitForDetail(page, 'Location', fromRecording(expected.location));
      expect(await detail(page, 'status')).toBe(String(expected.status));
      expect(await page.getAttribute('#outcome', 'data-kind')).toBe('redirect');
    } else {
      await waitForDetail(page, 'filename', fromRecording(expected.filename));
      expect(await detail(page, 'query')).toBe(expected.query);
      expect(await detail(page, 'answer')).toBe('200 (the file exists)');
    }
    // the trace: the rule's line was tried and matched; the editor highlights that line
    const steps = await traceSteps(page);
    expect(steps).toContainEqual(
      expect.objectContaining({ kind: 'rule', line: String(ruleLine), ok: 'true' }),
    );
    expect(await page.getAttribute(`#backdrop [data-line="${ruleLine}"]`, 'class')).toBe('matched');
    expect(await page.getAttribute(`#gutter div:nth-child(${ruleLine})`, 'class')).toBe('matched');
  });

  test('the link holds the whole case: reloading it gives the same state and result', async () => {
    const kase = loadCase('080-dir-sub.json');
    await enterCase(page, kase, '/sub/ra');
    await waitForDetail(page, 'Location', `http://www.example.com${DOCUMENT_ROOT}/sub/b`);
    // the hash is written once the typing settles
    await page.waitForSelector('body[data-ready="true"]:not([data-pending])');
    const before = await snapshot(page);
    const link = page.url();
    expect(link).toMatch(/#[zj]=[A-Za-z0-9_-]+$/);
    const other = await open(link);
    try {
      expect(await snapshot(other)).toEqual(before);
    } finally {
      await other.close();
    }
  });

  test('a rule that does not load is shown at its line, and the outcome says so', async () => {
    await page.fill('#rules', 'RewriteEngine On\nRewriteRule ^(bad$ /x [L]\n');
    await page.waitForFunction(
      () => document.querySelector('#outcome')?.getAttribute('data-kind') === 'error',
    );
    expect(await page.textContent('#problems')).toMatch(/^line 2, column \d+: ERR_/);
    expect(await page.getAttribute('#backdrop [data-line="2"]', 'class')).toBe('problem');
  });

  test('UTF-8 in rules, URLs and file names meets as bytes, as in Apache', async () => {
    await page.check('#context-server');
    await page.fill('#rules', 'RewriteEngine On\nRewriteRule ^/café/(.)$ /menü.html?c=$1 [L]\n');
    await setFiles(page, ['menü.html']);
    await page.fill('#url', '/caf%C3%A9/%C3%BC');
    // `.` is one byte (PCRE without UTF): the rule does not match a two-byte ü
    await page.waitForSelector('body[data-ready="true"]:not([data-pending])');
    expect(await page.getAttribute('#outcome', 'data-kind')).toBe('pass');
    expect(await page.textContent('#trace')).toContain(
      "applying pattern '^/café/(.)$' to uri '/café/ü' (no match)",
    );
    await page.fill('#url', '/caf%C3%A9/x');
    await waitForDetail(page, 'filename', `${DOCUMENT_ROOT}/menü.html`);
    expect(await detail(page, 'answer')).toBe('200 (the file exists)');
    expect(await page.textContent('#trace')).toContain("[$1='x']");
    // -f sees the file the URL's bytes name
    await page.check('#context-directory');
    await page.fill('#rules', 'RewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]\n');
    await page.fill('#url', '/men%C3%BC.html');
    await page.waitForSelector('body[data-ready="true"]:not([data-pending])');
    expect(await page.textContent('#outcome-summary')).toBe('pass through (nothing rewritten)');
  });

  test('a pattern that backtracks without end is stopped; the page stays usable', async () => {
    await page.check('#context-server');
    await page.fill('#rules', 'RewriteEngine On\nRewriteRule ^/(a+)+$ /x [L]\n');
    await page.fill('#url', '/' + 'a'.repeat(40) + '!');
    await page.waitForFunction(
      () => document.querySelector('#outcome-summary')?.textContent?.startsWith('stopped after'),
      undefined,
      { timeout: 10_000 },
    );
    // the engine's worker was replaced: the next URL is answered at once
    await page.fill('#url', '/aaa');
    await waitForDetail(page, 'URL', '/x');
  });

  test.each([
    ['Force HTTPS and www (server)', 'Location', 'https://www.example.com/shop/cart?id=7'],
    [
      '.htaccess in a subdirectory, RewriteBase',
      'Location',
      'http://www.example.com/blog/new/hello',
    ],
    ['Deny by user agent, [F]', 'status', '403'],
    ['Front controller (.htaccess)', 'filename', `${DOCUMENT_ROOT}/index.php`],
  ])('the example %s shows %s %s', async (name, label, value) => {
    await page.selectOption('#examples', { label: name });
    await waitForDetail(page, label, value);
  });

  test('hosted in a sub-folder by another server, the page runs the same', async () => {
    const dist = join(repo, 'playground/dist');
    const types: Record<string, string> = {
      html: 'text/html',
      css: 'text/css',
      js: 'text/javascript',
    };
    // a plain static host: /tools/rewrite/<file> is the built folder's file
    const host = createServer((req, res) => {
      const name =
        (req.url ?? '').replace(/^\/tools\/rewrite\/(?:index\.html)?/, '') || 'index.html';
      const file = join(dist, name.replace(/[?#].*$/, ''));
      if (!/^[a-z]+\.(?:html|css|js)$/.test(name) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': types[file.split('.').pop()!] });
      res.end(readFileSync(file));
    });
    await new Promise<void>((ok) => host.listen(0, '127.0.0.1', ok));
    try {
      const port = (host.address() as AddressInfo).port;
      const tab = await open(`http://127.0.0.1:${port}/tools/rewrite/`);
      try {
        expect(await tab.textContent('#outcome-summary')).toBe('rewritten to /index.php?ref=home');
      } finally {
        await tab.close();
      }
    } finally {
      await new Promise((done) => host.close(done));
    }
  });

  test('screenshot of the default case for the README (docs/playground.png)', async () => {
    // a fresh page without a hash: the default case
    await page.close();
    page = await open(base);
    expect(await page.textContent('#outcome-summary')).toBe('rewritten to /index.php?ref=home');
    mkdirSync(join(repo, 'docs'), { recursive: true });
    const file = join(repo, 'docs/playground.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  });
});

/** Types the case into the page: context, rules, files, headers, then the URL key by key. */
async function enterCase(page: Page, kase: Case, target: string): Promise<void> {
  await page.check(kase.context === 'server' ? '#context-server' : '#context-directory');
  // the directory is an .htaccess's: the field is disabled for server context
  if (kase.context === 'directory') await page.fill('#directory', kase.directory ?? '/');
  await page.fill('#rules', kase.rules);
  await setFiles(page, Object.keys(kase.files ?? {}));
  await page.fill('#headers', HOST_HEADERS);
  await page.fill('#url', '');
  await page.locator('#url').pressSequentially(target);
}

/** Empties the file tree with its × buttons, then adds each path through the form. */
async function setFiles(page: Page, paths: readonly string[]): Promise<void> {
  while ((await page.locator('#file-tree .remove').count()) > 0)
    await page.locator('#file-tree .remove').first().click();
  for (const path of paths) {
    await page.fill('#new-file', path);
    await page.press('#new-file', 'Enter');
  }
}

async function detail(page: Page, label: string): Promise<string | undefined> {
  return page.evaluate((wanted) => {
    for (const row of document.querySelectorAll('#outcome-details tr'))
      if (row.querySelector('th')?.textContent === wanted)
        return row.querySelector('td')?.textContent ?? '';
    return undefined;
  }, label);
}

/** Waits (the page debounces) until the outcome shows `label` = `value`; says what it shows if not. */
async function waitForDetail(page: Page, label: string, value: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([wanted, text]) =>
        [...document.querySelectorAll('#outcome-details tr')].some(
          (row) =>
            row.querySelector('th')?.textContent === wanted &&
            row.querySelector('td')?.textContent === text,
        ),
      [label, value] as const,
      { timeout: 5000 },
    );
  } catch {
    throw new Error(
      `the outcome never showed ${label} = ${value}; it shows: ${await page.textContent('#outcome')}\ntrace: ${await page.textContent('#trace')}`,
    );
  }
}

async function traceSteps(page: Page) {
  return page.$$eval('#trace li', (items) =>
    items.map((li) => ({
      kind: (li as HTMLElement).dataset.kind,
      line: (li as HTMLElement).dataset.line,
      ok: (li as HTMLElement).dataset.ok,
      text: li.textContent,
    })),
  );
}

/** Every input and every output of the page. */
async function snapshot(page: Page) {
  return page.evaluate(() => {
    const value = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
    return {
      rules: value('rules'),
      server: (document.getElementById('context-server') as HTMLInputElement).checked,
      directory: value('directory'),
      method: value('method'),
      url: value('url'),
      headers: value('headers'),
      files: [...document.querySelectorAll('#file-tree li')].map(
        (li) => (li as HTMLElement).dataset.path,
      ),
      outcome: document.getElementById('outcome')?.textContent,
      trace: document.getElementById('trace')?.textContent,
      highlighted: [...document.querySelectorAll('#backdrop .matched')].map(
        (d) => (d as HTMLElement).dataset.line,
      ),
    };
  });
}
