/**
 * `explain()`: explainRules() plus what needs Node — a site's real document root (`-f`/`-d` see
 * the files on disk) and rules read from a file. The browser uses core.ts directly.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RewriteError } from '../errors.js';
import { compileText } from '../compile/compile.js';
import { inheritRules } from '../compile/inherit.js';
import type { RuleSet } from '../compile/ruleset.js';
import { parseTarget } from '../engine/request.js';
import type { UserMapFunction, RewriteMapSource } from '../common/maps.js';
import type { TypedRule } from '../compile/typed.js';
import { nodeFs } from '../engine/node-fs.js';
import {
  asRequest,
  asSource,
  run,
  type ExplainRequest,
  type ExplainResult,
  type ExplainSource,
} from './core.js';

/** A site on disk: the document root and the rules file. */
export interface ExplainSite {
  /** The document root: `-f`/`-d`/`-s` and the directory walk see its real files. */
  readonly root: string;
  /**
   * The rules file: a server config, or an `.htaccess` (directory context by its name).
   * @default the `.htaccess` files along the request's path, merged as Apache merges them
   */
  readonly config?: string;
  /** @default 'directory' for a file named `.htaccess`, else 'server' */
  readonly context?: 'server' | 'directory';
  /** Directory context: the URL-path of the directory the rules belong to. @default '/' */
  readonly directory?: string;
  /** @default 'localhost' */
  readonly serverName?: string;
  readonly maps?: Readonly<Record<string, UserMapFunction | RewriteMapSource>>;
}

const isSite = (x: unknown): x is ExplainSite =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && 'root' in x && !('rules' in x);

/** The rules of a site on disk, as an ExplainSource over the real files. */
export function siteSource(site: ExplainSite): ExplainSource {
  const root = resolve(site.root);
  // the file as the caller named it: positions show that name (`.htaccess:3:1`)
  const file = site.config ?? join(site.root, '.htaccess');
  if (!existsSync(file))
    throw new RewriteError(
      'ERR_FILE',
      site.config ? `cannot read ${file}` : `no .htaccess in ${root} (give the rules file)`,
    );
  return {
    rules: readFileSync(file, 'utf8'),
    file,
    context: site.context ?? (site.config ? undefined : 'directory'),
    directory: site.directory,
    documentRoot: root,
    serverName: site.serverName,
    maps: site.maps,
    fs: nodeFs,
  };
}

/**
 * Explains what the rules do to one request, and why: the outcome (rewrite, redirect, status,
 * proxy, pass), the environment and headers set, and every step (rules tried with their
 * `file:line:col`, the subject each saw, captures, conditions with their expanded test strings,
 * substitutions, flags, internal redirects, why processing stopped). The same engine as
 * rewrite(), with no server and no network.
 * @example
 * const r = await explain(
 *   { rules: 'RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^ index.php [L]',
 *     context: 'directory' },
 *   { url: '/blog/7', files: { 'index.php': '<?php' } },
 * );
 * r.outcome; // { type: 'rewrite', path: '/index.php', args: null, url: '/index.php' }
 * r.lines.join('\n'); // the trace, as `trace: true` prints it
 * // a site on disk: its .htaccess, its files
 * await explain({ root: '/srv/www' }, 'http://example.com/old');
 */
export async function explain(
  rules: string | readonly TypedRule[] | ExplainSource | ExplainSite,
  request: ExplainRequest | string,
): Promise<ExplainResult> {
  const req = asRequest(request);
  if (isSite(rules) && rules.config === undefined) {
    const found = htaccessFor(rules, req.url);
    return run(found.source, req, found.ruleSet);
  }
  const source = isSite(rules) ? siteSource(rules) : asSource(rules);
  return run(source, req);
}

/**
 * The `.htaccess` files of the directories along the request's path (the document root first),
 * compiled in directory context and merged parent → child as site() merges them; their rules run
 * for the deepest directory with mod_rewrite directives. Like site(), RewriteEngine is off unless
 * one of them turns it on.
 */
export function htaccessFor(
  site: ExplainSite,
  url: string,
): { source: ExplainSource; ruleSet: RuleSet } {
  const root = resolve(site.root);
  const parsed = parseTarget(url.replace(/^https?:\/\/[^/?#]*/i, '') || '/');
  const segments = parsed.type === 'target' ? parsed.uri.split('/').slice(1, -1) : [];
  let ruleSet: RuleSet | undefined;
  let directory = '/';
  let file: string | undefined;
  for (let depth = 0; depth <= segments.length; depth++) {
    const urlPath = '/' + segments.slice(0, depth).join('/');
    const dir = join(root, urlPath);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) break;
    const candidate = join(site.root, urlPath, '.htaccess');
    if (!existsSync(candidate)) continue;
    const child = compileText(readFileSync(candidate, 'utf8'), {
      context: 'directory',
      file: candidate,
      maps: site.maps,
      accessControl: true,
      siteDirectives: true,
    });
    if (child.hasRewriteDirectives) {
      directory = urlPath;
      file = candidate;
    }
    ruleSet = ruleSet ? inheritRules(ruleSet, child) : child;
  }
  const source: ExplainSource = {
    rules: '',
    file: file ?? join(site.root, '.htaccess'),
    context: 'directory',
    directory: site.directory ?? directory,
    documentRoot: root,
    serverName: site.serverName,
    fs: nodeFs,
  };
  return { source, ruleSet: ruleSet ?? compileText('', { context: 'directory' }) };
}
