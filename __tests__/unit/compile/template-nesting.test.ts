/**
 * Issue 9, item 21: `${map:` nesting is bounded by MAX_TEMPLATE_NESTING at load time, with a
 * positioned ERR_LIMIT, instead of a RangeError (stack overflow) from the recursive parser.
 */
import { compileText } from '../../../lib/compile/compile';
import { evaluateServer } from '../../../lib/engine/evaluate';
import { RewriteError } from '../../../lib/errors';
import { type RequestView } from '../../../lib/engine/request';
import { MAX_TEMPLATE_NESTING } from '../../../lib/compile/template';

const nested = (levels: number, inner = 'KEY'): string =>
  '${lc:'.repeat(levels) + inner + '}'.repeat(levels);

const loadError = (text: string): unknown => {
  try {
    compileText(text);
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

const view: RequestView = {
  method: 'GET',
  target: '/v',
  protocol: 'HTTP/1.1',
  headers: { host: 'h' },
  remoteAddr: '127.0.0.1',
  remotePort: 1,
  connRemoteAddr: '127.0.0.1',
  localAddr: '127.0.0.1',
  localPort: 80,
  secure: false,
};

describe('${map:} nesting limit', () => {
  // the first `${` beyond the limit: the column where the pattern's text starts plus its offset
  const tooDeepAt = (start: number): number => start + MAX_TEMPLATE_NESTING * '${lc:'.length;

  test.each([
    [
      'a RewriteRule substitution',
      (t: string) => `RewriteMap lc int:tolower\nRewriteRule ^ /${t}`,
      2,
      tooDeepAt(16),
    ],
    [
      'a RewriteCond test string',
      (t: string) => `RewriteMap lc int:tolower\nRewriteCond ${t} =x\nRewriteRule ^ /x`,
      2,
      tooDeepAt(13),
    ],
    [
      'an [E=] flag value',
      (t: string) => `RewriteMap lc int:tolower\nRewriteRule ^ /x [E=v:${t}]`,
      2,
      tooDeepAt(23),
    ],
  ])(
    'in %s: 100,000 levels are a positioned ERR_LIMIT, not a RangeError',
    (_what, make, line, column) => {
      const err = loadError(make(nested(100_000)));
      expect(err).toBeInstanceOf(RewriteError);
      expect(err).toMatchObject({
        code: 'ERR_LIMIT',
        line,
        column,
        message: expect.stringContaining(`nested more than ${MAX_TEMPLATE_NESTING} levels`),
      });
    },
  );

  test(`${MAX_TEMPLATE_NESTING} levels load and expand`, () => {
    const rs = compileText(
      `RewriteEngine on\nRewriteMap lc int:tolower\nRewriteRule ^/v$ /${nested(MAX_TEMPLATE_NESTING)}`,
    );
    const r = evaluateServer(rs, { view, server: { documentRoot: '/srv' }, uri: '/v', args: null });
    if (r instanceof Promise) throw new Error('unexpected async');
    expect(r.outcome).toMatchObject({ type: 'rewrite', path: '/key' });
  });

  test(`${MAX_TEMPLATE_NESTING + 1} levels are refused`, () => {
    expect(
      loadError(`RewriteMap lc int:tolower\nRewriteRule ^ /${nested(MAX_TEMPLATE_NESTING + 1)}`),
    ).toMatchObject({ code: 'ERR_LIMIT' });
  });
});
