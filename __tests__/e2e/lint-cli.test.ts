/**
 * `modrewrite lint` through the real bin (`node bin/modrewrite.cjs`, dist/ built): the text, JSON
 * and SARIF 2.1.0 reports, and the exit codes (errors fail; warnings only past --max-warnings).
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINT_RULES } from '../../lib/lint/rules';

const repo = join(__dirname, '../..');
const bin = join(repo, 'bin/modrewrite.cjs');
const version = (
  JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
).version;

let tmp: string;
beforeAll(() => {
  if (!existsSync(join(repo, 'dist/cjs/cli.js')))
    spawnSync(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: 'ignore' });
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-lint-'));
  mkdirSync(join(tmp, 'bad'));
  mkdirSync(join(tmp, 'warn'));
  mkdirSync(join(tmp, 'clean'));
  // an error (MR102), a warning (MR401), an exponential pattern (MR101 warning), an info (MR304)
  writeFileSync(
    join(tmp, 'bad/.htaccess'),
    'RewriteEngine On\nRewriteRule ^/old$ /new [L]\nRewriteCond %{REQUEST_FILNAME} !-f\nRewriteRule ^(a+)+$ index.php [QSA,L]\n',
  );
  writeFileSync(
    join(tmp, 'warn/.htaccess'),
    'RewriteEngine On\nRewriteRule ^a$ /b [R=301]\nRewriteRule ^c$ d [L]\n',
  );
  writeFileSync(
    join(tmp, 'clean/.htaccess'),
    'RewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n',
  );
}, 180000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'lint', ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('text: file:line:col severity code message, a hint line, a summary; an error exits 1', () => {
  const r = run(['bad/.htaccess']);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(
    /^bad\/\.htaccess:2:13 error MR102 pattern '\^\/old\$' starts with '\^\/'.* \[perdir-leading-slash\]$/m,
  );
  expect(r.stdout).toMatch(/^ {2}hint: write '\^old\$'/m);
  expect(r.stdout).toMatch(
    /^bad\/\.htaccess:3:13 warning MR401 .*REQUEST_FILNAME.*\n {2}hint: did you mean %\{REQUEST_FILENAME\}\?$/m,
  );
  expect(r.stdout).toMatch(/^bad\/\.htaccess:4:13 warning MR101 .*attack string: /m);
  expect(r.stdout).toMatch(/^bad\/\.htaccess:4:\d+ info MR304 /m);
  expect(r.stdout).toMatch(/^1 file: 1 error\(s\), 2 warning\(s\), 1 info$/m);
});

test('warnings exit 0, unless --max-warnings is exceeded', () => {
  const plain = run(['warn/.htaccess']);
  expect(plain.status).toBe(0);
  expect(plain.stdout).toMatch(/^warn\/\.htaccess:2:20 warning MR302 /m);
  expect(run(['--max-warnings', '1', 'warn/.htaccess']).status).toBe(0);
  expect(run(['--max-warnings', '0', 'warn/.htaccess']).status).toBe(1);
  const clean = run(['--max-warnings', '0', 'clean/.htaccess']);
  expect(clean.status).toBe(0);
  expect(clean.stdout).toMatch(/^1 file: 0 error\(s\), 0 warning\(s\), 0 info$/m);
});

test.each([
  [['--format', 'xml', 'x'], /--format must be text, json, sarif, got 'xml'/],
  [['--max-warnings', 'many', 'x'], /--max-warnings must be a number/],
  [[], /lint needs at least one FILE/],
])('usage errors exit 2: %j', (args, message) => {
  const r = run(args);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(message);
});

test('a missing file is one line on stderr and exit 1, the other files are still linted', () => {
  const r = run(['missing/.htaccess', 'clean/.htaccess']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^modrewrite: cannot read missing\/\.htaccess: ENOENT$/m);
  expect(r.stdout).toMatch(/^clean\/\.htaccess: ok \(2 rules, directory context\)/m);
});

interface JsonReport {
  results: {
    file: string;
    context: string;
    contextFrom: string;
    rules: number;
    diagnostics: {
      code: string;
      name: string;
      severity: string;
      message: string;
      hint: string;
      file: string;
      line: number;
      column: number;
    }[];
  }[];
  counts: { error: number; warning: number; info: number };
}

test('json: every result with its diagnostics and the counts', () => {
  const r = run(['--format', 'json', 'bad/.htaccess', 'clean/.htaccess']);
  expect(r.status).toBe(1);
  const report = JSON.parse(r.stdout) as JsonReport;
  expect(report.counts).toEqual({ error: 1, warning: 2, info: 1 });
  expect(report.results.map((x) => [x.file, x.context, x.contextFrom, x.rules])).toEqual([
    ['bad/.htaccess', 'directory', 'file name', 2],
    ['clean/.htaccess', 'directory', 'file name', 2],
  ]);
  expect(report.results[0]!.diagnostics[0]).toEqual({
    code: 'MR102',
    name: 'perdir-leading-slash',
    severity: 'error',
    message: expect.stringContaining("'^/old$'"),
    hint: expect.stringContaining("'^old$'"),
    file: 'bad/.htaccess',
    line: 2,
    column: 13,
  });
});

/** The properties SARIF 2.1.0 requires (and GitHub code scanning reads), checked one by one. */
function expectValidSarif(log: Record<string, unknown>): void {
  expect(log.version).toBe('2.1.0');
  expect(typeof log.$schema).toBe('string');
  const runs = log.runs as Record<string, unknown>[];
  expect(Array.isArray(runs) && runs.length).toBe(1);
  const driver = (runs[0]!.tool as { driver: Record<string, unknown> }).driver;
  expect(driver.name).toBe('modrewrite lint');
  expect(driver.version).toBe(version);
  const rules = driver.rules as { id: string; name: string; help: { text: string } }[];
  expect(rules.map((r) => r.id)).toEqual(LINT_RULES.map((r) => r.code));
  for (const rule of rules) {
    expect(rule.help.text.length).toBeGreaterThan(0);
    expect(rule.name).toMatch(/^[a-z-]+$/);
  }
  const results = runs[0]!.results as Record<string, unknown>[];
  expect(Array.isArray(results)).toBe(true);
  for (const result of results) {
    expect(rules[result.ruleIndex as number]!.id).toBe(result.ruleId);
    expect(['error', 'warning', 'note']).toContain(result.level);
    expect(typeof (result.message as { text: string }).text).toBe('string');
    const loc = (result.locations as { physicalLocation: Record<string, unknown> }[])[0]!;
    const { artifactLocation, region } = loc.physicalLocation as {
      artifactLocation: { uri: string };
      region: { startLine: number; startColumn: number };
    };
    expect(typeof artifactLocation.uri).toBe('string');
    expect(region.startLine).toBeGreaterThanOrEqual(1);
    expect(region.startColumn).toBeGreaterThanOrEqual(1);
  }
}

test('sarif: a SARIF 2.1.0 log with the rules and one result per finding', () => {
  const r = run(['--format', 'sarif', 'bad/.htaccess']);
  expect(r.status).toBe(1);
  const log = JSON.parse(r.stdout) as Record<string, unknown>;
  expectValidSarif(log);
  const results = (log.runs as { results: Record<string, unknown>[] }[])[0]!.results;
  expect(results.map((x) => [x.ruleId, x.level])).toEqual([
    ['MR102', 'error'],
    ['MR401', 'warning'],
    ['MR101', 'warning'],
    ['MR304', 'note'],
  ]);
  expect(results[0]!.locations).toEqual([
    {
      physicalLocation: {
        artifactLocation: { uri: 'bad/.htaccess' },
        region: { startLine: 2, startColumn: 13 },
      },
    },
  ]);
});

test('without recheck installed the other checks still run, with a note on stderr', () => {
  // the built package beside a node_modules that links every package of this repo but recheck
  const pkg = join(tmp, 'pkg');
  mkdirSync(join(pkg, 'node_modules'), { recursive: true });
  cpSync(join(repo, 'bin'), join(pkg, 'bin'), { recursive: true });
  cpSync(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(pkg, 'package.json'));
  for (const name of readdirSync(join(repo, 'node_modules')))
    if (name !== 'recheck')
      symlinkSync(join(repo, 'node_modules', name), join(pkg, 'node_modules', name), 'dir');
  const r = spawnSync(
    process.execPath,
    [join(pkg, 'bin/modrewrite.cjs'), 'lint', 'bad/.htaccess'],
    {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 60000,
    },
  );
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    /^modrewrite: the ReDoS check \(MR101\) is skipped: recheck did not load/,
  );
  expect(r.stdout).toMatch(/^bad\/\.htaccess:2:13 error MR102 /m);
  expect(r.stdout).not.toMatch(/MR101/);
});
