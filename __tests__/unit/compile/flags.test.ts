/**
 * lib/compile/flags.ts: cmd_parseflagfield and cmd_rewriterule_setflag / cmd_rewritecond_setflag
 * (mod_rewrite.c): comma-separated, trimmed, case-insensitive names, `key=value` split at the
 * first `=`; long and short names; R's words and codes; any unknown name starting with D is
 * accepted silently; unknown flags are errors (apache-semantics.md §1.3).
 */
import {
  parseCondFlags,
  parseRuleFlags,
  REWRITE_MAX_ROUNDS,
  splitFlags,
  type FlagToken,
  type RuleFlags,
} from '../../../lib/compile/flags';

describe('splitFlags: [a, b=c ,d=e=f] → tokens with offsets', () => {
  test.each<[string, FlagToken[]]>([
    ['[L]', [{ key: 'L', offset: 1 }]],
    [
      '[R=301,L]',
      [
        { key: 'R', val: '301', offset: 1 },
        { key: 'L', offset: 7 },
      ],
    ],
    [
      '[ NC , E=a:b=c ]',
      [
        { key: 'NC', offset: 2 },
        { key: 'E', val: 'a:b=c', offset: 7 },
      ],
    ],
    ['[B= ?]', [{ key: 'B', val: ' ?', offset: 1 }]],
    ['[,,L,]', [{ key: 'L', offset: 3 }]],
    ['[]', []],
  ])('%s', (text, expected) => {
    expect(splitFlags(text)).toEqual(expected);
  });
});

const rule = (text: string): { flags: RuleFlags; errors: string[] } => {
  const r = parseRuleFlags(splitFlags(text));
  return { flags: r.flags, errors: r.errors.map((e) => e.message) };
};

describe('parseRuleFlags: names and values', () => {
  test.each<[string, Partial<RuleFlags>]>([
    ['[L]', { last: true }],
    ['[last]', { last: true }],
    ['[l]', { last: true }],
    ['[END]', { end: true }],
    ['[R]', { redirect: true, forcedStatus: 302, status: false }],
    ['[R=301]', { redirect: true, forcedStatus: 301, status: false }],
    ['[redirect=permanent]', { redirect: true, forcedStatus: 301 }],
    ['[R=Temp]', { forcedStatus: 302 }],
    ['[R=seeother]', { forcedStatus: 303 }],
    ['[R=bogus]', { redirect: true, forcedStatus: 0 }], // an unknown word: 302 later, no error
    ['[R=404]', { redirect: true, forcedStatus: 404, status: true }], // non-3xx: a status rule
    ['[R=500]', { forcedStatus: 500, status: true }],
    ['[R=308]', { forcedStatus: 308, status: false }],
    ['[F]', { status: true, forcedStatus: 403 }],
    ['[forbidden]', { status: true, forcedStatus: 403 }],
    ['[G]', { status: true, forcedStatus: 410 }],
    ['[NC]', { nocase: true }],
    ['[nocase]', { nocase: true }],
    ['[NE]', { noescape: true }],
    ['[noescape]', { noescape: true }],
    ['[NS]', { nosubreq: true }],
    ['[N]', { next: true, maxRounds: REWRITE_MAX_ROUNDS }],
    ['[N=10]', { next: true, maxRounds: 10 }],
    ['[N=12abc]', { maxRounds: 12 }], // atoi
    ['[P]', { proxy: true }],
    ['[PT]', { passthrough: true }],
    ['[passthrough]', { passthrough: true }],
    ['[QSA]', { qsappend: true }],
    ['[qsappend]', { qsappend: true }],
    ['[QSD]', { qsdiscard: true }],
    ['[QSL]', { qslast: true }],
    ['[S=2]', { skip: 2 }],
    ['[skip=x]', { skip: 0 }],
    ['[C]', { chain: true }],
    ['[chain]', { chain: true }],
    ['[B]', { escapeBackrefs: true, ctls: false }],
    ['[B=/?]', { escapeBackrefs: true, escapes: '/?' }],
    ['[backrefescaping]', { escapeBackrefs: true }],
    ['[BNP]', { noplus: true, escapeBackrefs: false }], // BNP alone does not turn B on
    ['[backrefernoplus]', { noplus: true }], // Apache's spelling (sic)
    ['[BCTLS]', { ctls: true, escapeBackrefs: true }],
    ['[B,BNE=/]', { escapeBackrefs: true, noescapes: '/' }],
    ['[DPI]', { discardPathInfo: true }],
    ['[discardpath]', { discardPathInfo: true }],
    ['[D]', { discardPathInfo: true }],
    ['[Dwhatever]', { discardPathInfo: false }], // any D… is accepted and ignored
    ['[UnsafePrefixStat]', { unsafePrefixStat: true }],
    ['[unsafeallow3f]', { unsafeAllow3F: true }],
    ['[UNC]', { unc: true }],
    ['[E=a:b,E=c]', {}],
  ])('%s', (text, expected) => {
    const { flags, errors } = rule(text);
    expect(errors).toEqual([]);
    expect(flags).toMatchObject(expected);
  });

  test('E=, CO=, T= and H= keep their values as templates, several E and CO allowed', () => {
    const { flags } = rule('[E=a:$1,E=!b,CO=n:v:example.com,CO=m:w:x,T=text/plain,H=handler-%1]');
    expect(flags.env.map((t) => t.text)).toEqual(['a:$1', '!b']);
    expect(flags.cookies.map((t) => t.text)).toEqual(['n:v:example.com', 'm:w:x']);
    expect(flags.type?.text).toBe('text/plain');
    expect(flags.handler?.text).toBe('handler-%1');
  });

  test.each([
    ['[QSX]', "RewriteRule: unknown flag 'QSX'"],
    ['[Lx]', "RewriteRule: unknown flag 'Lx'"],
    ['[constructor]', "RewriteRule: unknown flag 'constructor'"],
    ['[R=299]', "RewriteRule: invalid HTTP response code '299' for flag 'R'"],
    ['[R=999]', "RewriteRule: invalid HTTP response code '999' for flag 'R'"],
    ['[BNE]', "RewriteRule: flag 'BNE' wants a list of characters (i.e. [BNE=...])"],
    ['[BNE=]', "RewriteRule: flag 'BNE' wants a list of characters (i.e. [BNE=...])"],
    ['[QS]', "RewriteRule: unknown flag 'QS'"],
  ])('%s is refused: %s', (text, message) => {
    expect(rule(text).errors).toEqual([message]);
  });
});

describe('parseCondFlags: NC, OR, NV (long names too)', () => {
  test.each([
    ['[NC]', { nocase: true, ornext: false, novary: false }, []],
    ['[nocase,ornext]', { nocase: true, ornext: true, novary: false }, []],
    ['[OR,NV]', { nocase: false, ornext: true, novary: true }, []],
    ['[novary]', { nocase: false, ornext: false, novary: true }, []],
    ['[L]', { nocase: false, ornext: false, novary: false }, ["RewriteCond: unknown flag 'L'"]],
    [
      '[__proto__]',
      { nocase: false, ornext: false, novary: false },
      ["RewriteCond: unknown flag '__proto__'"],
    ],
  ])('%s', (text, flags, errors) => {
    const r = parseCondFlags(splitFlags(text));
    expect(r.flags).toEqual(flags);
    expect(r.errors.map((e) => e.message)).toEqual(errors);
  });
});
