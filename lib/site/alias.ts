/**
 * Applying mod_alias (modules/mappers/mod_alias.c), recorded from Apache 2.4.71 in conformance
 * cases 180–186:
 *
 * - translate_name (`translate_alias_redir`): the server config's redirects, then its aliases. It
 *   runs after mod_rewrite's server-context rules (APR_HOOK_FIRST) and only when they declined:
 *   no rule matched, or a `[PT]` rule handed the new URL-path on. A rewrite wins over a Redirect.
 * - fixups (`fixup_redir`): the `.htaccess` redirects, after the access phase and after the
 *   per-directory rewrite fixup (also APR_HOOK_FIRST), and before mod_dir's (APR_HOOK_LAST). The
 *   fixups run on (RUN_ALL), so a RewriteRule that rewrote internally does not stop a Redirect
 *   that matches the ORIGINAL URL-path: the Redirect wins; a rule with [R] or [F] stops it.
 *
 * The URL-path compared is the decoded one (r->uri); `Redirect` appends the rest of it escaped
 * (ap_os_escape_path), `RedirectMatch` substitutes `$N` and escapes everything but the query and
 * fragment; both append the request's query string unless the target has a `?` (also after a
 * `#fragment`, as Apache does). A relative `/path` target becomes an absolute URL for this host.
 */
import { isAbsolute, resolve } from 'node:path';
import type { AliasConfig, AliasRule, RedirectRule } from '../compile/alias.js';
import type { CompiledSection } from '../compile/directory-sections.js';
import type { CompiledWhen } from '../compile/env.js';
import { escapeUri } from '../common/escape.js';
import { constructUrl, type RequestView, type ServerInfo } from '../engine/request.js';
import { isRedirectStatus, isUrl } from '../syntax/alias.js';
import { normalizeFsPath, underRoot, walk, type DirCache, type Walked } from './paths.js';

/** What mod_alias answers instead of serving the request. */
export type AliasAnswer =
  | { readonly type: 'redirect'; readonly status: number; readonly location: string }
  | { readonly type: 'status'; readonly status: number; readonly reason?: string };

/** Apache's AP_PREGSUB_MAXLEN: a longer substitution is an error (500). */
const PREGSUB_MAXLEN = 8192;

/**
 * alias_matches: the prefix compared character by character, where a run of `/` in it matches
 * any run of `/` (at least one) in the URL-path, ending at a segment boundary. Returns how many
 * characters of `uri` matched, 0 for no match.
 */
export function aliasMatches(uri: string, prefix: string): number {
  let a = 0;
  let u = 0;
  while (a < prefix.length) {
    if (prefix[a] === '/') {
      if (uri[u] !== '/') return 0;
      while (prefix[a] === '/') a++;
      while (uri[u] === '/') u++;
    } else if (uri[u++] !== prefix[a++]) return 0;
  }
  if (prefix[a - 1] !== '/' && u < uri.length && uri[u] !== '/') return 0;
  return u;
}

/** ap_pregsub: `$0`–`$9` are the groups (empty when unset), `\x` is x. */
function pregsub(template: string, match: RegExpExecArray): string | undefined {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '$' && /[0-9]/.test(template[i + 1] ?? '')) {
      out += match[Number(template[++i])] ?? '';
    } else if (c === '\\' && i + 1 < template.length) out += template[++i];
    else out += c;
    if (out.length >= PREGSUB_MAXLEN) return undefined;
  }
  return out;
}

/** apr_uri_parse + unparse(OMITQUERY) + ap_escape_uri, then the query and fragment as they were. */
function escapeTarget(found: string): string {
  const hash = found.indexOf('#');
  const beforeHash = hash < 0 ? found : found.slice(0, hash);
  const q = beforeHash.indexOf('?');
  const path = q < 0 ? beforeHash : beforeHash.slice(0, q);
  let out = escapeUri(path);
  if (q >= 0) out += '?' + beforeHash.slice(q + 1);
  if (hash >= 0) out += '#' + found.slice(hash + 1);
  return out;
}

function execAnchored(re: RegExp, text: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(text);
}

/** try_alias_list for redirects: the first line that matches, with its target built. */
function firstRedirect(
  rules: readonly RedirectRule[],
  uri: string,
): { status: number; found: string | undefined } | 'error' | undefined {
  for (const rule of rules) {
    if (rule.re) {
      const m = execAnchored(rule.re, uri);
      if (!m) continue;
      if (rule.target === undefined) return { status: rule.status, found: undefined };
      const found = pregsub(rule.target, m);
      return found === undefined ? 'error' : { status: rule.status, found: escapeTarget(found) };
    }
    const matched = aliasMatches(uri, rule.prefix!);
    if (matched > 0)
      return {
        status: rule.status,
        found: rule.target === undefined ? undefined : rule.target + escapeUri(uri.slice(matched)),
      };
  }
  return undefined;
}

/** The first line of a held `<If>` section that matches (each chain is tested once). */
function firstHeldRedirect(
  rules: readonly RedirectRule[] | undefined,
  uri: string,
  holds: (when: CompiledWhen) => boolean,
): ReturnType<typeof firstRedirect> {
  if (!rules?.length) return undefined;
  const held = new Map<CompiledWhen, boolean>();
  const applies = (when: CompiledWhen): boolean => {
    let v = held.get(when);
    if (v === undefined) held.set(when, (v = holds(when)));
    return v;
  };
  return firstRedirect(
    rules.filter((r) => applies(r.when!)),
    uri,
  );
}

/**
 * The redirect (or status) a mod_alias configuration answers for the decoded URL-path `uri`:
 * the whole-directory form first (try_redirect), then the lines in order (try_alias_list).
 */
export function aliasRedirect(
  config: AliasConfig | undefined,
  uri: string,
  args: string | null,
  view: RequestView,
  server: ServerInfo,
  holds: (when: CompiledWhen) => boolean = () => false,
): AliasAnswer | undefined {
  if (!config) return undefined;
  const every = config.ifEveryRequest?.find((e) => holds(e.when!)) ?? config.everyRequest;
  const hit = every
    ? {
        status: every.status,
        found: every.target === undefined ? undefined : escapeTarget(every.target),
      }
    : (firstHeldRedirect(config.ifRedirects, uri, holds) ?? firstRedirect(config.redirects, uri));
  if (hit === undefined) return undefined;
  if (hit === 'error')
    return {
      type: 'status',
      status: 500,
      reason: 'Regex substitution failed. Replacement too long?',
    };
  if (!isRedirectStatus(hit.status) || hit.found === undefined)
    return {
      type: 'status',
      status: hit.status,
      reason: `mod_alias answers ${hit.status} for ${uri}`,
    };
  let location = hit.found.startsWith('/') ? constructUrl(view, server, hit.found) : hit.found;
  if (!isUrl(location))
    return {
      type: 'status',
      status: 500,
      reason: `cannot redirect '${uri}' to '${location}'; target is not a valid absoluteURI or abs_path`,
    };
  // append the request's query only when the target supplies none
  if (args !== null && !location.includes('?')) location += '?' + args;
  return { type: 'redirect', status: hit.status, location };
}

/**
 * The filesystem path a server `Alias`/`AliasMatch` maps `uri` to; undefined when none matches,
 * 'error' when the substitution is too long (Apache: 500).
 */
export function aliasFilename(
  config: AliasConfig | undefined,
  uri: string,
): { file: string | 'error'; handler?: string } | undefined {
  for (const rule of config?.aliases ?? []) {
    const found = aliasTarget(rule, uri);
    if (found !== undefined) return { file: found, handler: rule.handler };
  }
  return undefined;
}

function aliasTarget(rule: AliasRule, uri: string): string | 'error' | undefined {
  if (!rule.re) {
    const matched = aliasMatches(uri, rule.prefix!);
    return matched > 0 ? rule.target + uri.slice(matched) : undefined;
  }
  const m = execAnchored(rule.re, uri);
  if (!m) return undefined;
  const found = pregsub(rule.target, m);
  if (found === undefined) return 'error';
  // ap_server_root_relative
  return isAbsolute(found) ? found : resolve(rule.serverRoot, found);
}

const declared = new WeakMap<readonly CompiledSection[], readonly string[]>();

/**
 * The folders the server config names in plain `<Directory>` sections (no wildcard, no regex):
 * an Alias into one of them serves what Apache serves there, the section's access rules deciding
 * (conformance cases 444–449: packaged configs alias folders they grant in a `<Directory>`).
 */
export function declaredRoots(sections: readonly CompiledSection[] | undefined): readonly string[] {
  if (!sections) return [];
  let roots = declared.get(sections);
  if (!roots) {
    roots = sections
      .map((c) => c.section)
      .filter((s) => s.kind === 'directory' && !s.regex && !/[*?[]/.test(s.pattern))
      .map((s) => s.pattern);
    declared.set(sections, roots);
  }
  return roots;
}

/**
 * What translate_name's mod_alias step decided: an answer, a walked file, or nothing (declined).
 */
export type Translated =
  | AliasAnswer
  | {
      readonly type: 'walked';
      readonly walked: Walked;
      /** ScriptAlias's `cgi-script` (mod_alias sets r->handler). */
      readonly handler?: string;
    };

/**
 * translate_alias_redir: the server config's redirects, then its aliases. An alias target must
 * lie under the document root, an allowed root or a folder a `<Directory>` section names (Debian's
 * stock `<Directory />` denies the rest): elsewhere 403, fail closed. undefined: mod_alias declines (core maps the URL-path under the
 * document root).
 */
export function translateAlias(
  config: AliasConfig | undefined,
  request: { readonly view: RequestView; readonly server: ServerInfo },
  path: string,
  args: string | null,
  roots: {
    readonly allowed: readonly string[];
    /** The server config's `<Directory>` folders (declaredRoots): for Alias targets only. */
    readonly declared?: readonly string[];
    readonly dirs?: DirCache;
  },
): Translated | undefined {
  if (!config || !(path.startsWith('/') || path === '')) return undefined;
  const answer = aliasRedirect(config, path, args, request.view, request.server);
  if (answer) return answer;
  const aliased = aliasFilename(config, path);
  if (aliased === undefined) return undefined;
  const found = aliased.file;
  if (found === 'error')
    return {
      type: 'status',
      status: 500,
      reason: 'Regex substitution failed. Replacement too long?',
    };
  const file = normalizeFsPath(found);
  const allowed =
    roots.allowed.find((r) => underRoot(file, r)) ??
    roots.declared?.find((r) => underRoot(file, r));
  if (!allowed)
    return { type: 'status', status: 403, reason: `${file} (Alias) is outside every allowed root` };
  const rest = file.slice(allowed.replace(/\/$/, '').length);
  const walked = walk(allowed, rest || '/', roots.dirs);
  return aliased.handler
    ? { type: 'walked', walked, handler: aliased.handler }
    : { type: 'walked', walked };
}
