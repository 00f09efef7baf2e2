/**
 * The option checks at the top of `rewrite()` and `site()`: a JavaScript caller's mistake (a
 * missing argument, a number for a string) becomes one ERR_OPTIONS RewriteError naming the factory
 * and the option, instead of a TypeError from deep inside or a middleware that never matches.
 */
import { checkContext, checkOptionsObject, describeValue, optionsError } from '../compile/entry.js';

type Kind = 'string' | 'boolean' | 'function' | 'object' | 'strings' | 'trace' | 'trust';

const isKind: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  function: (v) => typeof v === 'function',
  object: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  trace: (v) => typeof v === 'boolean' || typeof v === 'function',
  trust: (v) =>
    typeof v === 'boolean' ||
    typeof v === 'string' ||
    typeof v === 'function' ||
    (Array.isArray(v) && v.every((x) => typeof x === 'string')),
};

const kindText: Record<Kind, string> = {
  string: 'a string',
  boolean: 'true or false',
  function: 'a function',
  object: 'an object',
  strings: 'an array of strings',
  trace: 'true, false or a function',
  trust: 'a boolean, a string, an array of strings or a function',
};

/** Throws ERR_OPTIONS for the first option (among `kinds`) that is set but of the wrong kind. */
export function checkOptionKinds(
  where: string,
  options: object,
  kinds: Readonly<Record<string, Kind>>,
): void {
  for (const [name, kind] of Object.entries(kinds)) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined || isKind[kind](value)) continue;
    throw optionsError(
      where,
      `option \`${name}\` must be ${kindText[kind]}, got ${describeValue(value)}`,
    );
  }
}

const SHARED_KINDS: Readonly<Record<string, Kind>> = {
  maps: 'object',
  mapRoot: 'string',
  serverName: 'string',
  serverAliases: 'strings',
  trustProxy: 'trust',
  trace: 'trace',
  proxy: 'function',
  handlers: 'object',
  defines: 'strings',
  environment: 'object',
};

/** `rewrite(rules, options)`'s options. */
export function checkRewriteOptions(options: unknown): void {
  checkOptionsObject('rewrite()', options);
  if (options === undefined) return;
  checkContext('rewrite()', (options as { context?: unknown }).context);
  checkOptionKinds('rewrite()', options as object, {
    ...SHARED_KINDS,
    root: 'string',
    directory: 'string',
    ignoreUnknownDirectives: 'boolean',
    file: 'function',
    useCanonicalName: 'boolean',
    serverAdmin: 'string',
    exposeOutcome: 'boolean',
    fs: 'object',
  });
}

/** `site(options)`'s options, except that the root exists (the site checks that itself). */
export function checkSiteOptions(options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw optionsError(
      'site()',
      `takes an options object { root, config?, ... }, got ${describeValue(options)}`,
    );
  }
  const { root, config } = options as { root?: unknown; config?: unknown };
  // without root, the config's DocumentRoot (site.ts withDocumentRoot says when it has none)
  if (root === '' || (root === undefined && config === undefined))
    throw optionsError(
      'site()',
      'option `root` (the document root folder) is required, or a `config` with a DocumentRoot',
    );
  checkOptionKinds('site()', options, {
    ...SHARED_KINDS,
    root: 'string',
    allowedRoots: 'strings',
    directorySlash: 'boolean',
    directoryIndex: 'strings',
    addHandler: 'object',
    fallthrough: 'boolean',
    dotfiles: 'boolean',
    debugHeaders: 'boolean',
    log: 'function',
  });
  checkSiteValues(options as Record<string, unknown>);
}

/** site()'s options whose values are not one kind: vhostPort, fileCache, symlinks, htaccess. */
function checkSiteValues(options: Record<string, unknown>): void {
  const { vhostPort, symlinks, htaccess, fileCache } = options;
  if (vhostPort !== undefined && !(Number.isInteger(vhostPort) && (vhostPort as number) >= 0))
    throw optionsError(
      'site()',
      `option \`vhostPort\` must be a port number, got ${describeValue(vhostPort)}`,
    );
  checkFileCacheOption(fileCache);
  if (
    symlinks !== undefined &&
    symlinks !== 'inside' &&
    symlinks !== 'follow' &&
    symlinks !== 'deny'
  ) {
    throw optionsError(
      'site()',
      `option \`symlinks\` must be 'inside', 'follow' or 'deny', got ${describeValue(symlinks)}`,
    );
  }
  if (htaccess !== undefined && typeof htaccess !== 'boolean' && !isKind.object(htaccess)) {
    throw optionsError(
      'site()',
      `option \`htaccess\` must be true, false or { fileName?, recheckMs? }, got ${describeValue(htaccess)}`,
    );
  }
}

/** `fileCache`: a boolean or `{ maxBytes?, maxFileBytes? }` of byte counts. */
function checkFileCacheOption(fileCache: unknown): void {
  if (fileCache !== undefined && typeof fileCache !== 'boolean' && !isKind.object(fileCache)) {
    throw optionsError(
      'site()',
      `option \`fileCache\` must be true, false or { maxBytes?, maxFileBytes? }, got ${describeValue(fileCache)}`,
    );
  }
  for (const key of ['maxBytes', 'maxFileBytes'] as const) {
    const n = isKind.object(fileCache) ? (fileCache as Record<string, unknown>)[key] : undefined;
    if (n !== undefined && !(typeof n === 'number' && Number.isFinite(n) && n >= 0))
      throw optionsError(
        'site()',
        `option \`fileCache.${key}\` must be a number of bytes (0 or more), got ${describeValue(n)}`,
      );
  }
}
