/**
 * Issue 9, item 20: parsing and compiling are linear in the input. Each shape is parsed once at
 * 1 MB and a hundred times at 10 KB (the same number of bytes); linear work takes about the same
 * time for both (up to a few times more for the big one: GC), quadratic work a hundred times more. Runs in a child process with a time limit,
 * so a quadratic regression fails instead of stalling the suite (1 MB of blanks took minutes).
 */
import { removeBuiltLibrary, runIsolated } from '../helpers/isolated';

afterAll(removeBuiltLibrary);

/** Generators of rule text of about `n` characters, as JavaScript source for the child. */
const SHAPES: Record<string, string> = {
  'a realistic config (rules, conditions, comments, continuations, maps)': `(n) => {
    const out = ['RewriteEngine on'];
    for (let i = 0; out.join('\\n').length < n; i++) {
      out.push('# rule ' + i, 'RewriteCond %{HTTP_HOST} ^www' + i + '\\\\.example\\\\.com$ [NC,OR]',
        'RewriteCond %{REQUEST_URI} !^/static/', 'RewriteRule ^/old' + i + '/(.*)$ \\\\',
        '    /new/\${lc:$1|none}?x=%{HTTP:X-' + i + '} [R=301,L,E=n' + i + ':1]');
    }
    return 'RewriteMap lc int:tolower\\n' + out.join('\\n');
  }`,
  'blanks then text on one line': `(n) => 'RewriteRule ^/a /b' + ' '.repeat(n) + 'x'`,
  'blanks and tabs inside a comment': `(n) => '#' + ' \\t'.repeat(n / 2) + 'x'`,
  'trailing blanks on every line': `(n) => ('RewriteEngine on' + ' '.repeat(60) + '\\t\\n').repeat(Math.ceil(n / 78))`,
  'whitespace only': `(n) => ' \\t\\r\\n\\f\\v'.repeat(n / 6)`,
  'continuation lines with one word each': `(n) => 'Options' + ' a \\\\\\n'.repeat(n / 5) + 'b'`,
  'unclosed ${ in a substitution': `(n) => 'RewriteRule ^ /' + '\${'.repeat(n / 2)`,
  'unclosed %{ in a substitution': `(n) => 'RewriteRule ^ /' + '%{'.repeat(n / 2)`,
  '${ ... } without a colon, nested': `(n) => 'RewriteRule ^ /' + '\${'.repeat(n / 4) + '}'.repeat(n / 4)`,
  'many map references': `(n) => 'RewriteMap m int:tolower\\nRewriteRule ^ /' + '\${m:x|y}'.repeat(n / 8)`,
  'many unknown directives': `(n) => 'x\\n'.repeat(n / 2)`,
};

test.each(Object.entries(SHAPES))(
  '%s: 1 MB once costs less than 60x a hundred 10 KB parses',
  async (_name, generator) => {
    const script = `
    const make = ${generator};
    const parseOnce = (text) => { try { lib.compileText(text, { context: 'directory' }); } catch (e) { if (!(e instanceof lib.RewriteError)) throw e; } };
    const time = (fn) => { const t = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t) / 1e6; };
    const small = make(10_000);
    const big = make(1_000_000);
    parseOnce(small); // warm up
    const best = (fn) => Math.min(fn(), fn(), fn());
    const baseline = best(() => time(() => { for (let k = 0; k < 100; k++) parseOnce(small); }));
    const large = best(() => time(() => parseOnce(big)));
    console.log(JSON.stringify({ baseline, large, smallLength: small.length, bigLength: big.length }));`;
    const r = await runIsolated(script, 60_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    const m = JSON.parse(r.stdout) as {
      baseline: number;
      large: number;
      smallLength: number;
      bigLength: number;
    };
    expect(m.bigLength).toBeGreaterThan(50 * m.smallLength);
    // linear: 1 to 10 (one big input has more GC work than a hundred small ones); quadratic: 100 and
    // more (the defects this guards took thousands of times more). 60x leaves room for a busy shared
    // machine: whitespace-only input measured 32x while seven test runs shared two cores.
    expect(m.large).toBeLessThan(Math.max(60 * m.baseline, 100));
  },
  70_000,
);
