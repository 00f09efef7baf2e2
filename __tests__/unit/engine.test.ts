/** Engine behaviour that the Apache corpus does not reach directly: index soundness, maps, inheritance, robustness. */
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText } from '../../lib/compile/compile';
import { evaluateServer, evaluateDirectory } from '../../lib/engine/evaluate';
import { inheritRules } from '../../lib/compile/inherit';
import { parseTarget } from '../../lib/engine/request';
import { type RequestView } from '../../lib/engine/request';
import { literalPrefix } from '../../lib/compile/prefix-index';

const view = (headers: Record<string, string> = { host: 'www.example.com' }): RequestView => ({
  method: 'GET',
  target: '/',
  protocol: 'HTTP/1.1',
  headers,
  remoteAddr: '127.0.0.1',
  remotePort: 1,
  connRemoteAddr: '127.0.0.1',
  localAddr: '127.0.0.1',
  localPort: 80,
  secure: false,
});
const server = { documentRoot: '/srv/www' };
const run = (rules: string, uri: string, args: string | null = null) => {
  const r = evaluateServer(compileText(`RewriteEngine on\n${rules}`), {
    view: view(),
    server,
    uri,
    args,
  });
  if (r instanceof Promise) throw new Error('unexpected async');
  return r.outcome;
};

describe('literal-prefix index', () => {
  test.each([
    ['^/old/(\\d+)$', '/old/'],
    ['^/a$', '/a'],
    ['^/ab?c', '/a'],
    ['^/a+b', '/a'],
    ['/x', ''],
    ['^/a|^/b', ''],
    ['^\\/docs\\.v1/', '/docs.v1/'],
  ])('%s → %j', (pattern, prefix) => {
    expect(literalPrefix(compileText(`RewriteRule ${pattern} /x`).rules[0].re)).toBe(prefix);
  });

  test('a failing chained rule still skips its chain when the index is in use', () => {
    const filler = Array.from({ length: 20 }, (_, i) => `RewriteRule ^/f${i}$ /filler`).join('\n');
    const rules = `${filler}\nRewriteRule ^/a$ - [C]\nRewriteRule ^(.*)$ /chained [L]`;
    expect(run(rules, '/b')).toEqual({ type: 'pass' });
    expect(run(rules, '/a')).toMatchObject({ type: 'rewrite', path: '/chained' });
  });
});

describe('maps', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-maps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('txt maps are reloaded when the file changes', () => {
    const file = join(dir, 'm.txt');
    writeFileSync(file, 'a one\n');
    const rs = compileText(
      `RewriteEngine on\nRewriteMap m txt:${file}\nRewriteRule ^/m/(.*)$ /r/\${m:$1|none}`,
    );
    const ev = (uri: string) =>
      (
        evaluateServer(rs, { view: view(), server, uri, args: null }) as {
          outcome: { path?: string };
        }
      ).outcome.path;
    expect(ev('/m/a')).toBe('/r/one');
    writeFileSync(file, 'a two\nb three\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(ev('/m/a')).toBe('/r/two');
    expect(ev('/m/b')).toBe('/r/three');
  });
});

describe('RewriteOptions inheritance', () => {
  const parent = compileText('RewriteEngine on\nRewriteRule ^/g$ /global');
  const childText = (opt: string) =>
    compileText(`RewriteEngine on\n${opt}\nRewriteRule ^/g$ /local [L]`);
  const ev = (rs: ReturnType<typeof compileText>) =>
    (
      evaluateServer(rs, { view: view(), server, uri: '/g', args: null }) as {
        outcome: { path?: string };
      }
    ).outcome.path;
  test.each([
    ['', '/local'],
    ['RewriteOptions Inherit', '/local'],
    ['RewriteOptions InheritBefore', '/global'],
  ])('%j', (opt, expected) => {
    expect(ev(inheritRules(parent, childText(opt)))).toBe(expected);
  });
  test('Inherit appends the parent rules after the child rules', () => {
    const child = compileText('RewriteEngine on\nRewriteOptions Inherit\nRewriteRule ^/x$ /y');
    expect(inheritRules(parent, child).rules.map((r) => r.pattern)).toEqual(['^/x$', '^/g$']);
  });
  test('InheritDown on the parent acts as Inherit in every child, unless IgnoreInherit', () => {
    const down = compileText(
      'RewriteEngine on\nRewriteOptions InheritDownBefore\nRewriteRule ^/g$ /global',
    );
    expect(ev(inheritRules(down, childText('')))).toBe('/global');
    expect(ev(inheritRules(down, childText('RewriteOptions IgnoreInherit')))).toBe('/local');
  });
  test('a child without any rewrite directive keeps the parent config', () => {
    const none = compileText('DirectorySlash Off', { context: 'directory' });
    expect(inheritRules(parent, none).rules).toBe(parent.rules);
  });
  test('MergeBase inherits RewriteBase', () => {
    const p = compileText('RewriteEngine on\nRewriteBase /app/', { context: 'directory' });
    expect(
      inheritRules(p, compileText('RewriteRule ^a b', { context: 'directory' })).base,
    ).toBeUndefined();
    expect(
      inheritRules(
        p,
        compileText('RewriteOptions MergeBase\nRewriteRule ^a b', { context: 'directory' }),
      ).base,
    ).toBe('/app/');
  });
});

describe('bad input never crashes or hangs', () => {
  test('malformed request targets map to Apache statuses', () => {
    expect(parseTarget('/a%zz')).toEqual({ type: 'refused', status: 400 });
    expect(parseTarget('/a%2Fb')).toEqual({ type: 'refused', status: 404 });
    expect(parseTarget('/a%00')).toEqual({ type: 'refused', status: 404 });
    expect(parseTarget('/../etc/passwd')).toEqual({ type: 'refused', status: 400 });
    expect(parseTarget('/a/%2e%2e/b')).toEqual({ type: 'target', uri: '/b', args: null });
    expect(parseTarget('//a//b?x')).toEqual({ type: 'target', uri: '/a/b', args: 'x' });
  });

  test('a catastrophic pattern on an attacker-chosen path does not hang (linear-engine fallback)', () => {
    // without the fallback, 40 characters would take hours in a backtracking engine
    const t0 = Date.now();
    expect(run('RewriteRule ^/(a+)+$ /x', '/' + 'a'.repeat(40) + '!')).toEqual({ type: 'pass' });
    expect(run('RewriteRule ^/(a+)+$ /x', '/' + 'a'.repeat(40))).toMatchObject({
      type: 'rewrite',
      path: '/x',
    });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test('a path that keeps growing under [N] ends in 500 at 2 x LimitRequestLine, not a hang', () => {
    expect(run('RewriteRule ^/g(.*)$ /g$1$1 [N]', '/gX')).toMatchObject({
      type: 'status',
      status: 500,
    });
  });
});

describe('per-directory details', () => {
  test('RewriteBase maps a relative internal redirect back to the URL space', () => {
    const rs = compileText('RewriteEngine on\nRewriteBase /app/\nRewriteRule ^x$ y [END]', {
      context: 'directory',
    });
    const r = evaluateDirectory(rs, {
      view: view(),
      server: { documentRoot: '/nonexistent-root' },
      uri: '/sub/x',
      args: null,
      directory: '/sub',
    }) as { outcome: unknown };
    expect(r.outcome).toMatchObject({ type: 'rewrite', path: '/app/y' });
  });
  test('rules of a directory never apply to requests outside it', () => {
    const rs = compileText('RewriteEngine on\nRewriteRule ^(.*)$ /caught [L]', {
      context: 'directory',
    });
    const ev = (uri: string) =>
      (
        evaluateDirectory(rs, {
          view: view(),
          server: { documentRoot: '/nonexistent-root' },
          uri,
          args: null,
          directory: '/sub',
        }) as { outcome: { type: string; path?: string } }
      ).outcome;
    expect(ev('/other/x')).toEqual({ type: 'pass' });
    expect(ev('/subway')).toEqual({ type: 'pass' });
    expect(ev('/sub/x')).toMatchObject({ type: 'rewrite', path: '/caught' });
  });

  test('Options -FollowSymLinks makes per-directory rules answer 403 (AH00670)', () => {
    const rs = compileText('RewriteEngine on\nOptions -FollowSymLinks\nRewriteRule ^x$ y', {
      context: 'directory',
    });
    const r = evaluateDirectory(rs, {
      view: view(),
      server: { documentRoot: '/nonexistent-root' },
      uri: '/x',
      args: null,
    }) as { outcome: unknown };
    expect(r.outcome).toEqual({
      type: 'status',
      status: 403,
      cause: 'config',
      reason: expect.any(String),
    });
  });
});
