/**
 * Checks on variables, tests and the module set-up: MR401 (an unknown `%{NAME}`), MR402 (a file
 * test on a URL-path), MR403 ([P] needs mod_proxy), MR404 (no `RewriteEngine On`).
 */
import type { Template } from '../compile/template.js';
import type { Arg } from '../syntax/ast.js';
import { argPos, editDistance, offsetOf, templateParts, type LintReport } from './diagnostic.js';
import type { LintModel } from './model.js';

/**
 * The names mod_rewrite's lookup_variable() knows (httpd 2.4 modules/mappers/mod_rewrite.c; it
 * upper-cases the name first, so `%{request_uri}` works, recorded from Apache 2.4.71). Any other
 * name expands to an empty string: `RewriteCond %{REQUEST_FILNAME} ^$` matches every request there.
 */
export const KNOWN_VARIABLES: readonly string[] = [
  'API_VERSION',
  'AUTH_TYPE',
  'CONN_REMOTE_ADDR',
  'CONTEXT_DOCUMENT_ROOT',
  'CONTEXT_PREFIX',
  'DOCUMENT_ROOT',
  'HTTPS',
  'HTTP_ACCEPT',
  'HTTP_COOKIE',
  'HTTP_FORWARDED',
  'HTTP_HOST',
  'HTTP_PROXY_CONNECTION',
  'HTTP_REFERER',
  'HTTP_USER_AGENT',
  'IPV6',
  'IS_SUBREQ',
  'PATH_INFO',
  'QUERY_STRING',
  'REMOTE_ADDR',
  'REMOTE_HOST',
  'REMOTE_IDENT',
  'REMOTE_PORT',
  'REMOTE_USER',
  'REQUEST_FILENAME',
  'REQUEST_METHOD',
  'REQUEST_SCHEME',
  'REQUEST_URI',
  'SCRIPT_FILENAME',
  'SCRIPT_GROUP',
  'SCRIPT_USER',
  'SERVER_ADDR',
  'SERVER_ADMIN',
  'SERVER_NAME',
  'SERVER_PORT',
  'SERVER_PROTOCOL',
  'SERVER_SOFTWARE',
  'THE_REQUEST',
  'TIME',
  'TIME_DAY',
  'TIME_HOUR',
  'TIME_MIN',
  'TIME_MON',
  'TIME_SEC',
  'TIME_WDAY',
  'TIME_YEAR',
];
const KNOWN = new Set(KNOWN_VARIABLES);
const PREFIXES = ['HTTP', 'ENV', 'SSL', 'LA-U', 'LA-F'];

/** The nearest known name within a typo's reach, if any. */
function suggestion(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const known of KNOWN_VARIABLES) {
    const d = editDistance(name, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/** Why `%{name}` is unknown and what to write instead; undefined when Apache knows it. */
function unknownVariable(raw: string): { message: string; hint: string } | undefined {
  const name = raw.toUpperCase();
  const colon = name.indexOf(':');
  if (colon > 0) {
    const prefix = name.slice(0, colon);
    if (PREFIXES.includes(prefix)) return undefined;
    const near = PREFIXES.find((p) => editDistance(prefix, p) <= 1);
    return {
      message: `%{${raw}}: '${raw.slice(0, colon)}:' is no variable prefix (HTTP:, ENV:, SSL:, LA-U:, LA-F:); it expands to an empty string`,
      hint: near
        ? `did you mean %{${near}${raw.slice(colon)}}?`
        : 'use one of HTTP:, ENV:, SSL:, LA-U:, LA-F:',
    };
  }
  if (KNOWN.has(name)) return undefined;
  const near = suggestion(name);
  const header = /^HTTP_(.+)$/.exec(name)?.[1];
  const hint = near
    ? `did you mean %{${near}}?`
    : header
      ? `a request header is %{HTTP:${header.toLowerCase().replace(/_/g, '-')}}`
      : 'see the variable list of the RewriteCond documentation; an environment variable is %{ENV:NAME}';
  return { message: `%{${raw}} is no variable Apache knows: it expands to an empty string`, hint };
}

function checkTemplateVars(arg: Arg, t: Template | undefined, report: LintReport): void {
  for (const p of templateParts(t)) {
    if (p.type !== 'var') continue;
    const problem = unknownVariable(p.name);
    if (problem)
      report.add('MR401', argPos(arg, offsetOf(arg, `%{${p.name}`)), problem.message, problem.hint);
  }
}

/** MR401 over every test string and substitution. */
export function checkVariables(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) {
    for (const c of rule.conds) checkTemplateVars(c.d.testString, c.input, report);
    checkTemplateVars(rule.d.substitution, rule.output, report);
  }
}

/** URL-path variables: a file test on them tests `/path` from the filesystem root. */
const URL_VARIABLES = new Set(['REQUEST_URI', 'THE_REQUEST', 'PATH_INFO', 'QUERY_STRING']);

/**
 * MR402. Recorded from Debian's Apache 2.4.71 in an .htaccess: `RewriteCond %{REQUEST_URI} -f` is
 * false for an existing /urif.html. In server context REQUEST_FILENAME is still the URL-path (the
 * RewriteCond documentation, "REQUEST_FILENAME"), so a file test on it is flagged there too.
 */
export function checkFileTests(model: LintModel, report: LintReport): void {
  for (const c of model.rules.flatMap((r) => r.conds)) {
    if (c.test.type !== 'file' || !c.input) continue;
    const first = c.input.parts[0];
    if (first?.type !== 'var') continue;
    const name = first.name.toUpperCase();
    const onUrl = URL_VARIABLES.has(name);
    const serverFilename =
      model.context === 'server' && (name === 'REQUEST_FILENAME' || name === 'SCRIPT_FILENAME');
    if (!onUrl && !serverFilename) continue;
    report.add(
      'MR402',
      c.d.pattern.pos,
      onUrl
        ? `-${c.test.test} on %{${first.name}}, a URL-path: Apache tests it as a file path from the filesystem root`
        : `-${c.test.test} on %{${first.name}} in server context: the file is not mapped yet, the variable holds the URL-path`,
      model.context === 'directory'
        ? 'test %{REQUEST_FILENAME} instead'
        : 'test %{DOCUMENT_ROOT}%{REQUEST_URI} or %{LA-U:REQUEST_FILENAME} instead',
    );
  }
}

/** MR403: [P] rules (info: lint cannot see whether the server loads mod_proxy). */
export function checkProxy(model: LintModel, report: LintReport): void {
  for (const rule of model.rules) {
    if (!rule.flags.proxy || !rule.d.flags) continue;
    report.add(
      'MR403',
      rule.d.flags.pos,
      '[P] hands the request to mod_proxy: Apache must load mod_proxy and mod_proxy_http (else the request fails with 500/404)',
      'make sure the server loads mod_proxy and mod_proxy_http; in Node pass a proxy to site()/rewrite() or use modrewrite serve',
    );
  }
}

/** MR404: rules without `RewriteEngine On` (warning in an .htaccess, info in server context). */
export function checkEngine(model: LintModel, report: LintReport): void {
  const first = model.rules[0];
  if (!first) return;
  if (model.engine?.on === false) {
    report.add(
      'MR404',
      model.engine.d.pos,
      `RewriteEngine Off: the ${model.rules.length} rule(s) of this file do not run`,
      'remove the rules or turn the engine on',
      'info',
    );
    return;
  }
  if (model.engine) return;
  const directory = model.context === 'directory';
  report.add(
    'MR404',
    first.d.pos,
    directory
      ? 'no RewriteEngine On in this .htaccess: Apache runs its rules only if a parent directory turns the engine on (and the rules are inherited)'
      : "no RewriteEngine On: rewrite() and modrewrite serve imply it, but Apache's server config needs the line",
    "add 'RewriteEngine On' before the first rule",
    directory ? 'warning' : 'info',
  );
}
