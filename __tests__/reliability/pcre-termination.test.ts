/**
 * The PCRE translator (lib/compile/pcre.ts) must end on every input and every request must be
 * answered (issue 9, items 14 and 17). Anything that could hang runs in a child process with a
 * time limit, so a regression fails instead of stalling the suite; the tables of what the
 * translator accepts, refuses and how it matches are in __tests__/unit/compile/pcre.test.ts.
 */
import { removeBuiltLibrary, runIsolated } from '../helpers/isolated';

afterAll(removeBuiltLibrary);

describe('issue 9 item 14: (?P=name without ) is a positioned ERR_REGEX, not an endless loop', () => {
  const cases: [string, string, number, number][] = [
    ['in a RewriteRule', 'RewriteRule ^/(?P<n>x)(?P=n /x', 1, 27],
    ['in a RewriteCond', 'RewriteCond %{REQUEST_URI} (?P=n\nRewriteRule ^ /x', 1, 32],
    ['in an expr', 'RewriteCond expr "%{REQUEST_URI} =~ /(?P=n/"\nRewriteRule ^ /x', 1, 42],
  ];
  test('every case answers within the time limit (a child process, killed after 10 s)', async () => {
    const script = `
      const out = [];
      for (const text of ${JSON.stringify(cases.map((c) => c[1]))}) {
        try { lib.compileText(text); out.push('compiled'); }
        catch (e) { out.push([e.code, e.line, e.column, e.message.split('\\n')[0]]); }
      }
      console.log(JSON.stringify(out));`;
    const r = await runIsolated(script, 10_000);
    expect(r.timedOut).toBe(false);
    const results = JSON.parse(r.stdout) as [string, number, number, string][];
    cases.forEach(([, , line, column], k) => {
      expect(results[k]).toEqual([
        'ERR_REGEX',
        line,
        column,
        expect.stringContaining('syntax error in subpattern name'),
      ]);
    });
  });
});

/** Deterministic PRNG (mulberry32) so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = [
  '(?<n>x)\\k<n>',
  '(?P<n>x)(?P=n)',
  "(?'n'x)\\k'n'",
  '\\k{n}',
  '[[:alpha:]]',
  '[[:^alpha:]]',
  '[[.a.]]',
  '[[=a=]]',
  '\\Qa.b\\E',
  '(?i)abc',
  '(?#comment)x',
  '\\x{41}',
  '\\x4',
  '[\\]]',
  '[]a]',
  '[^]a]',
  '(?|a|b)',
  '(?>a)',
  'a{2,5}+',
  'a{1,99999}',
  '(?=a)(?!b)(?<=c)(?<!d)',
  '\\Z',
  '\\cA',
  '[\\x41-\\x5a]',
  '[a-\\d]',
  '[z-a]',
  '(?P>n)',
  '(?R)',
  '(?(1)a|b)',
  '\\p{L}',
  '(a)\\1',
  '^/(a+)+$',
  '[\\Qa]\\E]',
  '\\',
  '(',
  ')',
  '[',
  '{',
  '*',
  'a**',
  '\\v\\V\\h\\H',
  '(?:a|b)*?',
];
const ALPHABET = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '\\',
  '?',
  '*',
  '+',
  '|',
  ':',
  '<',
  '>',
  '=',
  '!',
  'P',
  'k',
  'x',
  'Q',
  'E',
  'Z',
  '^',
  '$',
  '-',
  "'",
  '#',
  'a',
  '1',
  ',',
];

/** Every prefix of the tricky patterns, plus seeded mutations (insert, delete, splice). */
function fuzzInputs(seed: number, count: number): string[] {
  const inputs: string[] = [];
  for (const p of TRICKY) for (let k = 0; k <= p.length; k++) inputs.push(p.slice(0, k));
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  while (inputs.length < count) {
    let s = pick(TRICKY);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const op = rnd();
      if (op < 0.4) s = s.slice(0, at) + pick(ALPHABET) + s.slice(at);
      else if (op < 0.7) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + pick(TRICKY) + s.slice(at);
    }
    inputs.push(s);
  }
  return inputs;
}

describe('issue 9 item 14: the translator ends on every input (fuzz)', () => {
  const SEED = 0x9e3779b9;
  const COUNT = 20_000;

  test(`${COUNT} prefixes and mutations (seed ${SEED}) each compile or throw PcreError, in a child with a 30 s limit`, async () => {
    const script = `
      const { compilePcre, PcreError } = require('./lib/compile/pcre.js');
      const inputs = ${JSON.stringify(fuzzInputs(SEED, COUNT))};
      let compiled = 0, refused = 0;
      const other = [];
      for (const p of inputs) {
        for (const nocase of [false, true]) {
          try { if (compilePcre(p, nocase) instanceof RegExp) compiled++; }
          catch (e) { if (e instanceof PcreError && Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= p.length) refused++; else other.push([p, String(e)]); }
        }
      }
      console.log(JSON.stringify({ compiled, refused, other: other.slice(0, 5) }));`;
    const r = await runIsolated(script, 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout) as { compiled: number; refused: number; other: unknown[] };
    expect(result.other).toEqual([]);
    expect(result.compiled + result.refused).toBe(2 * COUNT);
    // both outcomes are exercised (the corpus is not trivially all-valid or all-invalid)
    expect(result.compiled).toBeGreaterThan(COUNT / 10);
    expect(result.refused).toBeGreaterThan(COUNT / 10);
  }, 40_000);

  test('through compileText too: a rule with each input loads or fails with a positioned ERR_REGEX*, in a child with a 30 s limit', async () => {
    const inputs = fuzzInputs(SEED + 1, 2_000).filter((p) => p !== '' && !/[\s"']|\\$/.test(p));
    const script = `
      const bad = [];
      let loaded = 0, refused = 0;
      for (const p of ${JSON.stringify(inputs)}) {
        try { lib.compileText('RewriteRule ' + p + ' /x'); loaded++; }
        catch (e) { if (e instanceof lib.RewriteError && /^ERR_REGEX/.test(e.code) && e.line === 1 && e.column >= 13) refused++; else bad.push([p, e.code, e.column]); }
      }
      console.log(JSON.stringify({ loaded, refused, bad: bad.slice(0, 5) }));`;
    const r = await runIsolated(script, 30_000);
    expect(r.timedOut).toBe(false);
    const result = JSON.parse(r.stdout) as { loaded: number; refused: number; bad: unknown[] };
    expect(result.bad).toEqual([]);
    expect(result.loaded + result.refused).toBe(inputs.length);
  }, 40_000);
});

describe('issue 9 item 17: pathological patterns finish fast', () => {
  const subject = '/' + 'a'.repeat(32) + '!';
  const linear: [string, string][] = [
    ['RewriteRule ^/(a+)+$ /x [NC]', subject],
    ['RewriteRule ^/(a+)+\\Z /x', subject],
    ['RewriteRule ^/(a|a)+$ /x [NC]', subject],
    ['RewriteRule ^/([a-z]+)*x$ /x [NC]', subject],
    ['RewriteRule ^/(\\w+\\s?)+$ /x [NC]', subject],
    ['RewriteCond %{REQUEST_URI} ^/(a+)+$ [NC]\nRewriteRule ^ /x', subject],
    ['RewriteCond expr "%{REQUEST_URI} =~ m#^/(a+)+$#i"\nRewriteRule ^ /x', subject],
    ['RewriteRule ^(?!/api)/(a+)+$ /x', subject],
    ['RewriteRule ^(?!/api)(?=/a)/(a+)+$ /x [NC]', subject],
    // polynomial, not exponential: 3000 characters took minutes while {1,32} kept it off the linear engine
    ['RewriteRule ^/[a-z]{1,32}(.*)(.*)(.*)x$ /x', '/' + 'a'.repeat(3000)],
  ];
  test('over real HTTP in a child process: every request is answered (killed after 20 s)', async () => {
    const script = `
      const http = require('node:http');
      const cases = ${JSON.stringify(linear)};
      (async () => {
        const out = [];
        for (const [rules, path] of cases) {
          const mw = lib.rewrite('RewriteEngine on\\n' + rules);
          const server = http.createServer((req, res) => mw(req, res, () => { res.end('next'); }));
          await new Promise((r) => server.listen(0, '127.0.0.1', r));
          const started = Date.now();
          const status = await new Promise((resolve, reject) => {
            http.get({ host: '127.0.0.1', port: server.address().port, path }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
          });
          out.push([status, Date.now() - started]);
          await new Promise((r) => server.close(r));
        }
        console.log(JSON.stringify(out));
      })();`;
    const r = await runIsolated(script, 20_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    const results = JSON.parse(r.stdout) as [number, number][];
    expect(results).toHaveLength(linear.length);
    for (const [status, ms] of results) {
      expect(status).toBe(200); // 'next' answers 200 when no rule matched (none of these paths match)
      expect(ms).toBeLessThan(2_000);
    }
  }, 30_000);
});
