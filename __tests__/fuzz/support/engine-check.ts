/**
 * The evaluation property, run inside the fuzz worker: a rule text that compiles is evaluated for
 * one request (server context with evaluateServer, directory context with evaluateDirectory).
 * The answer is an Outcome of a known type with a valid status, or a RewriteError (the documented
 * runtime limits); never another exception. The time bound (an endless loop, catastrophic
 * backtracking) is enforced by the caller, which terminates the worker.
 */
import { compile, evaluateDirectory, evaluateServer, RewriteError } from '../../../lib/index';
import type { ConfigContext, Evaluation, RequestView } from '../../../lib/index';

export interface EngineInput {
  readonly text: string;
  readonly context: ConfigContext;
  readonly method: string;
  /** Decoded URL-path as the engine receives it. */
  readonly uri: string;
  readonly args: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

const OUTCOME_TYPES = new Set(['pass', 'rewrite', 'file', 'redirect', 'status', 'proxy']);

/** Returns '' when the property holds (or the text does not compile: that is the compile property's business). */
export function checkEngine(json: string): string {
  const input = JSON.parse(json) as EngineInput;
  let rules;
  try {
    rules = compile(input.text, { context: input.context, mapRoot: process.env.FUZZ_MAP_ROOT });
  } catch {
    return '';
  }
  const view: RequestView = {
    method: input.method,
    target: input.uri + (input.args === null ? '' : `?${input.args}`),
    protocol: 'HTTP/1.1',
    headers: input.headers,
    remoteAddr: '127.0.0.1',
    remotePort: 40000,
    connRemoteAddr: '127.0.0.1',
    localAddr: '127.0.0.1',
    localPort: 8080,
    secure: false,
  };
  const evaluate = input.context === 'server' ? evaluateServer : evaluateDirectory;
  let result: Evaluation | Promise<Evaluation>;
  try {
    result = evaluate(rules, {
      view,
      server: {
        documentRoot: process.env.FUZZ_MAP_ROOT ?? '/nonexistent',
        serverName: 'fuzz.example',
      },
      uri: input.uri,
      args: input.args,
      directory: '/',
    });
  } catch (err) {
    if (err instanceof RewriteError) return '';
    return `evaluation threw something other than a RewriteError: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}`.slice(0, 2000) : String(err)}`;
  }
  // an asynchronous map answered (txt:/prg:): the worker cannot wait for it; nothing more to check here
  if (result instanceof Promise) {
    result.catch(() => undefined);
    return '';
  }
  return checkOutcome(result);
}

function checkOutcome(result: Evaluation): string {
  const outcome = result.outcome;
  if (!OUTCOME_TYPES.has(outcome.type)) return `unknown outcome type ${JSON.stringify(outcome)}`;
  if (outcome.type === 'redirect' || outcome.type === 'status') {
    if (!Number.isInteger(outcome.status) || outcome.status < 100 || outcome.status > 599)
      return `outcome with an invalid status ${JSON.stringify(outcome)}`;
  }
  return '';
}
