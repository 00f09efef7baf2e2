/**
 * Runs one request through the engine without HTTP, for unit tables of the engine's pieces:
 * `serverOutcome(rules, '/path?query', headers)` parses the target as the adapters do
 * (parseTarget) and evaluates the rules in server context (documentRoot /srv/www, host
 * www.example.com unless a header says otherwise).
 */
import { compile } from '../../lib/compile/compile';
import type { RuleSet } from '../../lib/compile/ruleset';
import { evaluateDirectory, evaluateServer } from '../../lib/engine/evaluate';
import type { Evaluation } from '../../lib/engine/outcome';
import { parseTarget, type RequestView } from '../../lib/engine/request';

export const DOCUMENT_ROOT = '/srv/www';

export function requestView(
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): RequestView {
  return {
    method,
    target,
    protocol: 'HTTP/1.1',
    headers: { host: 'www.example.com', ...headers },
    remoteAddr: '192.0.2.7',
    remotePort: 50123,
    connRemoteAddr: '192.0.2.7',
    localAddr: '127.0.0.1',
    localPort: 80,
    secure: false,
  };
}

/** Server-context evaluation of `rules` (text: compiled with compile(), RewriteEngine implied). */
export function serverEvaluation(
  rules: string | RuleSet,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Evaluation {
  const ruleSet = typeof rules === 'string' ? compile(rules) : rules;
  const parsed = parseTarget(target);
  if (parsed.type === 'refused') throw new Error(`bad target ${target}: ${parsed.status}`);
  const result = evaluateServer(ruleSet, {
    view: requestView(target, headers, method),
    server: { documentRoot: DOCUMENT_ROOT, serverName: 'www.example.com' },
    uri: parsed.uri,
    args: parsed.args,
    // no file exists: prefix_stat and -f/-d answer "no" without touching this machine's disk
    fs: { stat: () => undefined, lstat: () => undefined } as never,
  });
  if (result instanceof Promise) throw new Error('an asynchronous map answered');
  return result;
}

/** The outcome of serverEvaluation, as a short string: `rewrite /p?q`, `redirect 301 url`, `status 403`, `pass`. */
export function serverOutcome(
  rules: string | RuleSet,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
): string {
  const { outcome } = serverEvaluation(rules, target, headers, method);
  switch (outcome.type) {
    case 'rewrite':
    case 'file':
      return `${outcome.type} ${outcome.path}${outcome.args === null ? '' : `?${outcome.args}`}`;
    case 'redirect':
      return `redirect ${outcome.status} ${outcome.location}`;
    case 'status':
      return `status ${outcome.status}`;
    case 'proxy':
      return `proxy ${outcome.target}${outcome.noCanon ? ' (nocanon)' : ''}`;
    default:
      return outcome.type;
  }
}

export { evaluateDirectory };
