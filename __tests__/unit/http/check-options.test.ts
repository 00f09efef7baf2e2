/**
 * lib/http/check-options.ts: a JavaScript caller's mistake in rewrite()/site() options is one
 * ERR_OPTIONS error naming the factory and the option, before any request.
 */
import { checkRewriteOptions, checkSiteOptions } from '../../../lib/http/check-options';
import { RewriteError } from '../../../lib/errors';

const problem = (check: () => void): string | undefined => {
  try {
    check();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(RewriteError);
    expect(err).toMatchObject({ code: 'ERR_OPTIONS' });
    return (err as Error).message;
  }
};

describe('checkRewriteOptions', () => {
  test.each<[unknown]>([
    [undefined],
    [{}],
    [{ context: 'directory', root: '/srv/www', trace: true }],
    [{ trace: () => undefined, trustProxy: ['10.0.0.0/8'], serverAliases: ['a', 'b'] }],
    [{ trustProxy: 'loopback' }],
    [{ trustProxy: (addr: string) => addr === '127.0.0.1' }],
  ])('%p is accepted', (options) => {
    expect(problem(() => checkRewriteOptions(options))).toBeUndefined();
  });

  test.each<[unknown, string]>([
    [42, 'rewrite()'],
    [{ context: 'dir' }, 'context'],
    [{ trace: 'yes' }, 'option `trace` must be true, false or a function, got'],
    [{ proxy: 'http://backend' }, 'option `proxy` must be a function'],
    [{ serverAliases: 'a' }, 'option `serverAliases` must be an array of strings'],
    [{ serverAliases: ['a', 1] }, 'option `serverAliases` must be an array of strings'],
    [{ maps: [] }, 'option `maps` must be an object'],
    [{ maps: null }, 'option `maps` must be an object'],
    [
      { trustProxy: 1 },
      'option `trustProxy` must be a boolean, a string, an array of strings or a function',
    ],
    [{ ignoreUnknownDirectives: 'true' }, 'option `ignoreUnknownDirectives` must be true or false'],
  ])('%p → %s', (options, message) => {
    const m = problem(() => checkRewriteOptions(options));
    expect(m).toContain('rewrite()');
    expect(m).toContain(message);
  });
});

describe('checkSiteOptions', () => {
  test.each<[unknown]>([
    [{ root: '/srv/www' }],
    [{ root: '/srv/www', symlinks: 'deny', htaccess: false, directoryIndex: ['index.php'] }],
    [{ root: '/srv/www', htaccess: { recheckMs: 0 } }],
    // the root may come from the config's DocumentRoot (site.ts withDocumentRoot, case 416)
    [{ config: 'DocumentRoot /srv/www' }],
  ])('%p is accepted', (options) => {
    expect(problem(() => checkSiteOptions(options))).toBeUndefined();
  });

  test.each<[unknown, string]>([
    [undefined, 'takes an options object'],
    ['/srv/www', 'takes an options object'],
    [[], 'takes an options object'],
    [{}, 'option `root` (the document root folder) is required'],
    [{ root: '' }, 'option `root` (the document root folder) is required'],
    [{ root: 42 }, 'option `root` must be a string'],
    [{ root: '/w', symlinks: 'yes' }, "option `symlinks` must be 'inside', 'follow' or 'deny'"],
    [
      { root: '/w', htaccess: 'on' },
      'option `htaccess` must be true, false or { fileName?, recheckMs? }',
    ],
    [
      { root: '/w', directoryIndex: 'index.html' },
      'option `directoryIndex` must be an array of strings',
    ],
    [{ root: '/w', log: console }, 'option `log` must be a function'],
  ])('%p → %s', (options, message) => {
    const m = problem(() => checkSiteOptions(options));
    expect(m).toContain('site()');
    expect(m).toContain(message);
  });
});
