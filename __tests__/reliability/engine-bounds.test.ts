/**
 * Bounded time on large or random input, moved out of the unit tables (they take seconds, and a
 * child process): the literal-prefix index against 3,000 random subjects, 2,000 random rule texts
 * through compile and evaluation, a real `prg:` child, and 100,000 section tags.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileText, evaluateServer, RewriteError } from '../../lib/index';
import type { RequestView } from '../../lib/index';
import { buildRuleIndex } from '../../lib/compile/prefix-index';

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

function load(text: string): number | RewriteError {
  try {
    return compileText(text, { context: 'directory' }).rules.length;
  } catch (err) {
    return err as RewriteError;
  }
}

const RULE = 'RewriteRule ^x$ /target [L]';

describe('literal-prefix index', () => {
  test('candidates are a superset of the rules that match (random subjects)', () => {
    const patterns = [
      '^/a',
      '^/a/b',
      '^/ab$',
      '^/A',
      '(?i)^/a/c',
      '^/b/(.*)$',
      '\\.php$',
      '^/a/b/c/d',
      '^/$',
      '^/z+',
      '^/x?y',
      '^/caf',
    ];
    const text = Array.from(
      { length: 40 },
      (_, i) => `RewriteRule ${patterns[i % patterns.length]} /t${i}${i % 7 === 0 ? ' [C]' : ''}`,
    ).join('\n');
    const rs = compileText(text);
    const index = buildRuleIndex(rs.rules)!;
    expect(index).toBeDefined();
    const alphabet = ['/', 'a', 'A', 'b', 'c', 'd', 'z', 'y', 'x', '.php', '/a/', '/b/'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      let s = '/';
      const len = rnd(8);
      for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
      const cands = new Set(index.candidates(s));
      rs.rules.forEach((r, i) => {
        r.re.lastIndex = 0;
        if (r.re.test(s))
          expect({ s, i, inCandidates: cands.has(i) }).toEqual({ s, i, inCandidates: true });
      });
    }
  });
});

describe('prg maps', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mr-maps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('prg maps: one long-running child, serialised, NULL = not found, restarted when it dies', async () => {
    const prog = join(dir, 'upper.sh');
    writeFileSync(
      prog,
      '#!/bin/sh\nwhile read k; do if [ "$k" = die ]; then exit 1; elif [ "$k" = none ]; then echo NULL; else echo "$k" | tr a-z A-Z; fi; done\n',
    );
    chmodSync(prog, 0o755);
    const rs = compileText(
      `RewriteEngine on\nRewriteMap up prg:${prog}\nRewriteRule ^/u/(.*)$ /r/\${up:$1|miss}`,
    );
    const ev = async (uri: string) =>
      (
        (await evaluateServer(rs, { view: view(), server, uri, args: null })).outcome as {
          path?: string;
        }
      ).path;
    const many = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => ev(`/u/${k}`)));
    expect(many).toEqual(['/r/A', '/r/B', '/r/C', '/r/D', '/r/E']);
    expect(await ev('/u/none')).toBe('/r/miss');
    expect(await ev('/u/die')).toBe('/r/miss');
    expect(await ev('/u/back')).toBe('/r/BACK');
    rs.maps.get('up')!.close!();
  });
});

describe('bad input never crashes or hangs', () => {
  test('random rule text either compiles or throws a RewriteError', () => {
    const pieces = [
      'RewriteRule',
      'RewriteCond',
      'RewriteEngine',
      'RewriteMap',
      ' ',
      '^',
      '(',
      ')',
      '[',
      ']',
      '"',
      "'",
      '\\',
      '%{',
      '${',
      '}',
      '$1',
      '%1',
      'L',
      'R=',
      ',',
      'expr',
      '-f',
      '=',
      '<',
      '\n',
      '*',
      '+',
      '?',
      '{2}',
      'a',
      '/',
    ];
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 2000; k++) {
      let text = '';
      for (let j = rnd(20); j > 0; j--) text += pieces[rnd(pieces.length)];
      try {
        const rs = compileText(text);
        for (const uri of ['/', '/a', '/a%20b']) {
          const r = evaluateServer(
            { ...rs, engine: true },
            { view: view(), server, uri, args: 'q=1' },
          );
          expect(r).toBeDefined();
        }
      } catch (err) {
        expect((err as { code?: string }).code).toMatch(/^ERR_/);
      }
    }
  });
});

describe('conditional sections', () => {
  test('100 000 opening tags load (or fail) in bounded time, without a stack overflow', () => {
    const start = Date.now();
    expect(load('<IfModule mod_php.c>\n'.repeat(100_000))).toMatchObject({ code: 'ERR_LIMIT' });
    expect(load('</IfModule>\n'.repeat(100_000))).toMatchObject({ code: 'ERR_SYNTAX_ARGS' });
    expect(load(`<IfModule mod_rewrite.c>\n${RULE}\n</IfModule>\n`.repeat(20_000))).toBe(20_000);
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
