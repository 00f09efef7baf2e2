/**
 * `modrewrite test` through the real bin (dist/ built), as a user runs it in a shell or in CI:
 * the text trace, --json, --expect with passing and failing lists, colour only on request of a
 * terminal, and the exit codes (0 matched/held, 1 not, 2 usage, 3 the rules do not load).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '../..');
const bin = join(repo, 'bin/modrewrite.cjs');

const HTACCESS = [
  'RewriteEngine On',
  'RewriteBase /',
  'RewriteRule ^\\.env$ - [F]',
  'RewriteRule ^old/(.*)$ /new/$1 [R=301,L]',
  'RewriteCond %{REQUEST_FILENAME} !-f',
  'RewriteCond %{REQUEST_FILENAME} !-d',
  'RewriteRule ^(.*)$ index.php?q=$1 [L,QSA]',
  '',
].join('\n');

let tmp = '';
let site = '';
beforeAll(() => {
  if (!existsSync(join(repo, 'dist/cjs/cli.js')))
    spawnSync(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: 'ignore' });
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-test-cmd-'));
  site = join(tmp, 'site');
  mkdirSync(join(site, 'blog'), { recursive: true });
  writeFileSync(join(site, '.htaccess'), HTACCESS);
  writeFileSync(join(site, 'index.php'), '<?php\n');
  writeFileSync(join(site, 'style.css'), 'body{}\n');
  writeFileSync(
    join(site, 'blog', '.htaccess'),
    'RewriteEngine On\nRewriteRule ^(\\d+)$ post.php?id=$1 [L]\n',
  );
  writeFileSync(join(tmp, 'server.conf'), 'RewriteRule ^/a$ /b [L]\n');
  writeFileSync(join(tmp, 'broken.conf'), 'RewriteRule ^/a$ /b [NOSUCHFLAG]\n');
  writeFileSync(
    join(tmp, 'pass.txt'),
    [
      '# the regression list of the site',
      '/old/x        301 /new/x',
      '/old/x        301 http://localhost/new/x',
      '/shop/7?a=1   -> /index.php?q=shop/7&a=1',
      '/shop/7       -> /index.php',
      '/blog/7       -> /blog/post.php?id=7',
      '/style.css    pass',
      '/.env         403',
      'POST /old/y   301',
      '',
    ].join('\n'),
  );
  writeFileSync(join(tmp, 'fail.txt'), '/old/x  302 /new/x\n/style.css  -> /index.php\n');
  writeFileSync(join(tmp, 'malformed.txt'), '/old/x maybe\n');
}, 180000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, 'test', ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 20000,
    env: { ...process.env, NO_COLOR: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('text: the trace of each URL with positions, captures and the result', () => {
  const r = run(['--root', 'site', '/old/a', '/shop/7?x=1']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('GET /old/a\n');
  expect(r.stdout).toContain(
    "site/.htaccess:4:1: applying pattern '^old/(.*)$' to uri 'old/a' ($1='a')",
  );
  expect(r.stdout).toContain('  result: redirect 301 to http://localhost/new/a\n');
  expect(r.stdout).toContain("site/.htaccess:5:1: RewriteCond: input='");
  expect(r.stdout).toContain('internal redirect with /index.php?q=shop/7&x=1 [INTERNAL REDIRECT]');
  expect(r.stdout).toContain('  result: rewritten to /index.php?q=shop/7&x=1\n');
  // no colour when stdout is not a terminal
  expect(r.stdout).not.toContain('\x1b[');
});

test('--root alone: the .htaccess of the deepest directory along the path, as Apache merges them', () => {
  const r = run(['--root', 'site', '/blog/7']);
  expect(r.status).toBe(0);
  // blog/.htaccess has mod_rewrite directives and no RewriteOptions Inherit: the root's do not run
  expect(r.stdout).toContain(
    "site/blog/.htaccess:2:1: applying pattern '^(\\d+)$' to uri '7' ($1='7')",
  );
  expect(r.stdout).not.toContain('site/.htaccess:');
  expect(r.stdout).toContain('result: rewritten to /blog/post.php?id=7');
});

test('exit 1 when a URL matches no rule', () => {
  const r = run(['--root', 'site', '/style.css']);
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('  no rule matched');
});

test('-X and -H reach the rules; an .htaccess below --root applies to its folder', () => {
  const r = run([
    '--root',
    'site',
    '--config',
    'site/blog/.htaccess',
    '-X',
    'POST',
    '-H',
    'Host: example.org',
    '/blog/12',
  ]);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('POST /blog/12\n');
  expect(r.stdout).toContain("applying pattern '^(\\d+)$' to uri '12' ($1='12')");
  expect(r.stdout).toContain('result: rewritten to /blog/post.php?id=12');
});

test('a server config without --root', () => {
  const r = run(['--config', 'server.conf', 'http://example.com/a']);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain("server.conf:1:1: applying pattern '^/a$' to uri '/a'");
  expect(r.stdout).toContain('result: rewritten to /b');
});

test('--json: the outcome and the structured trace', () => {
  const r = run(['--root', 'site', '--json', '/old/a', '/style.css']);
  expect(r.status).toBe(1);
  const report = JSON.parse(r.stdout) as {
    passed: number;
    failed: number;
    results: { url: string; outcome: unknown; matched: boolean; trace: { type: string }[] }[];
  };
  expect(report.passed).toBe(1);
  expect(report.failed).toBe(1);
  expect(report.results[0]).toMatchObject({
    url: '/old/a',
    matched: true,
    outcome: { type: 'redirect', status: 301, location: 'http://localhost/new/a' },
    stop: { reason: 'last', pos: { line: 4, column: 1 } },
  });
  expect(report.results[0]!.trace.map((e) => e.type)).toEqual([
    'pass',
    'rule',
    'rule',
    'substitution',
    'stop',
    'outcome',
  ]);
  expect(report.results[1]).toMatchObject({
    url: '/style.css',
    matched: false,
    outcome: { type: 'pass' },
  });
});

test('--expect: every line holds, exit 0, one line per expectation', () => {
  const r = run(['--root', 'site', '--expect', 'pass.txt']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n')).toEqual([
    'ok   GET /old/x  301 /new/x',
    'ok   GET /old/x  301 http://localhost/new/x',
    'ok   GET /shop/7?a=1  -> /index.php?q=shop/7&a=1',
    'ok   GET /shop/7  -> /index.php',
    'ok   GET /blog/7  -> /blog/post.php?id=7',
    'ok   GET /style.css  pass',
    'ok   GET /.env  403',
    'ok   POST /old/y  301',
    '8 passed, 0 failed',
  ]);
});

test('--expect: a failing line, exit 1, with what happened and its trace', () => {
  const r = run(['--root', 'site', '--expect', 'fail.txt']);
  expect(r.status).toBe(1);
  expect(r.stdout).toContain(
    'FAIL GET /old/x  302 /new/x: expected status 302, got redirect 301 to http://localhost/new/x\n',
  );
  expect(r.stdout).toContain(
    'FAIL GET /style.css  -> /index.php: expected a rewrite, got pass through',
  );
  expect(r.stdout).toContain("RewriteCond: input='");
  expect(r.stdout).toContain('0 passed, 2 failed');
});

/** Runs the command on a pseudo-terminal (util-linux `script`), where colour is the default. */
function onTerminal(env: NodeJS.ProcessEnv): string {
  const command = [process.execPath, bin, 'test', '--root', 'site', '/old/a']
    .map((w) => `'${w}'`)
    .join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 20000,
    env: { ...process.env, ...env },
  });
  return r.stdout;
}

const hasScript = spawnSync('script', ['--version']).status === 0;

(hasScript ? test : test.skip)('colour on a terminal, none with NO_COLOR', () => {
  const coloured = onTerminal({ NO_COLOR: '' });
  expect(coloured).toContain('\x1b[1mGET /old/a\x1b[0m');
  expect(coloured).toContain("\x1b[32msite/.htaccess:4:1: applying pattern '^old/(.*)$'");
  expect(onTerminal({ NO_COLOR: '1' })).not.toContain('\x1b[');
});

test.each<[string, string[], number, RegExp]>([
  [
    'rules that do not load',
    ['--config', 'broken.conf', '/a'],
    3,
    /unknown flag 'NOSUCHFLAG' \(broken\.conf:1:22\)/,
  ],
  ['a missing rules file', ['--config', 'missing.conf', '/a'], 3, /missing\.conf/],
  [
    'a malformed --expect line',
    ['--root', 'site', '--expect', 'malformed.txt'],
    3,
    /malformed\.txt:1: expected 'URL OUTCOME'/,
  ],
  ['no rules named', ['/a'], 2, /test needs --config FILE or --root DIR/],
  ['no URL', ['--root', 'site'], 2, /at least one URL/],
  [
    'a bad --context',
    ['--root', 'site', '--context', 'vhost', '/a'],
    2,
    /--context must be server or directory/,
  ],
  ['a bad -H', ['--root', 'site', '-H', 'nocolon', '/a'], 2, /-H takes 'Name: value'/],
])('%s', (_name, args, status, stderr) => {
  const r = run(args);
  expect(r.status).toBe(status);
  expect(r.stderr).toMatch(stderr);
});
