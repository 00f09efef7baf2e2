/** `req.rewrite`: what modrewrite decided, for handlers and logging. */
import { bytesToUtf8 } from '../common/bytes.js';
import { setOwn } from '../engine/own.js';
import type { Evaluation, Outcome } from '../engine/outcome.js';
import type { RewriteInfo } from './types.js';

/** `req.rewrite`: one small object per rewritten request; `env` is converted on first read. */
export class RequestRewriteInfo implements RewriteInfo {
  private envCache?: Record<string, string>;
  constructor(
    private readonly evaluation: Evaluation,
    readonly trace: readonly string[],
  ) {}
  get outcome(): Outcome {
    return this.evaluation.outcome;
  }
  get contentType(): string | undefined {
    return this.evaluation.effects.contentType;
  }
  get handler(): string | undefined {
    return this.evaluation.effects.handler;
  }
  get internalRedirects(): number {
    return this.evaluation.effects.internalRedirects;
  }
  get env(): Record<string, string> {
    if (!this.envCache) {
      const env: Record<string, string> = {};
      for (const [k, v] of this.evaluation.effects.env) setOwn(env, k, bytesToUtf8(v));
      this.envCache = env;
    }
    return this.envCache;
  }
  toJSON(): RewriteInfo {
    return {
      env: this.env,
      outcome: this.outcome,
      contentType: this.contentType,
      handler: this.handler,
      trace: this.trace,
      internalRedirects: this.internalRedirects,
    };
  }
}

/**
 * What modrewrite decided for a request (also readable as `req.rewrite`).
 * @example
 * app.use(rewrite('RewriteRule ^/old$ /new [E=MOVED:1]'));
 * app.get('/new', (req, res) => res.send(rewriteInfo(req)?.env.MOVED)); // '1'
 */
export function rewriteInfo(req: object): RewriteInfo | undefined {
  return (req as { rewrite?: RewriteInfo }).rewrite;
}
