/** RewriteCond evaluation: every CondPattern form, with Apache's comparison quirks. */
import type { CompiledCond } from '../compile/ruleset.js';
import { evalExpr } from './expr.js';
import { expand } from './expand.js';
import { headerValue } from './request.js';
import { append, type EvalContext } from './state.js';
import { lookupVariable } from './variables.js';
import { capturesOf } from './trace.js';

export function compareLength(a: string, b: string): number {
  if (a.length !== b.length) return a.length > b.length ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function strcasecmp(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export const atoi = (s: string): number => {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) : 0;
};

/**
 * `.ht*` files are denied by the stock configuration (`<FilesMatch "^\.ht"> Require all denied`,
 * which site() always applies): the -F sub-request for one fails its access check, so -F is
 * false although the file exists (conformance case 148).
 */
function isHtFile(path: string): boolean {
  return path.slice(path.lastIndexOf('/') + 1).startsWith('.ht');
}

export function applyCond(c: CompiledCond, ctx: EvalContext): boolean {
  const t = c.test;
  let rc = false;
  if (t.type === 'expr') {
    const r = evalExpr(t.expr, {
      variable: (n) => lookupVariable(n, ctx),
      header: (n) => {
        if (n.toLowerCase() !== 'host') ctx.varyThis = append(ctx.varyThis, n);
        return headerValue(ctx.view.headers, n);
      },
      fs: ctx.fs,
    });
    rc = r.ok;
    if (rc && !c.negate && r.captures) ctx.rc = { src: r.captures.input, m: r.captures };
    if (ctx.trace) traceCond(c, ctx, 'expr', c.negate ? !rc : rc);
    return c.negate ? !rc : rc;
  }
  const input = expand(c.input, ctx, null);
  switch (t.type) {
    case 'file': {
      const st = t.test === 'l' ? undefined : ctx.fs.stat(input);
      switch (t.test) {
        case 'f':
          rc = !!st?.isFile();
          break;
        case 's':
          rc = !!st?.isFile() && Number(st.size) > 0;
          break;
        case 'd':
          rc = !!st?.isDirectory();
          break;
        case 'x':
          rc = !!st && (Number(st.mode) & 0o111) !== 0;
          break;
        case 'l':
          rc = !!ctx.fs.lstat(input)?.isSymbolicLink();
          break;
        // -F / -U: without sub-requests, modrewrite checks that the file (or the URL under the
        // document root) exists; access control is not consulted (documented difference)
        case 'F': {
          if (input === '' || ctx.view.isSubreq || !st || isHtFile(input)) {
            rc = false;
            break;
          }
          // Apache: a file sub-request (the directory's own rules run in it) that ends below 300
          // with the file still there; any kind of entry counts (recorded: a directory is true)
          rc = ctx.fileSubrequest ? ctx.fileSubrequest(input) : true;
          ctx.trace?.({ type: 'subrequest', test: 'F', url: input, ok: rc });
          break;
        }
        // -U: Apache runs a URL sub-request through the server rules (without running a handler,
        // so a missing file still succeeds) and tests status < 400; modrewrite dry-runs the same rules
        case 'U': {
          if (input === '' || ctx.view.isSubreq || !ctx.subrequest) {
            rc = false;
            break;
          }
          const sub = ctx.subrequest(input);
          rc = !(sub.type === 'status' && (sub.status ?? 0) >= 400);
          ctx.trace?.({ type: 'subrequest', test: 'U', url: input, ok: rc });
          break;
        }
      }
      break;
    }
    case 'str': {
      const cmp = c.flags.nocase
        ? strcasecmp(input, t.value)
        : t.op === '='
          ? input === t.value
            ? 0
            : 1
          : compareLength(input, t.value);
      switch (t.op) {
        case '=':
          rc = cmp === 0;
          break;
        case '>':
          rc = cmp >= 1;
          break;
        case '>=':
          rc = cmp >= 0;
          break;
        case '<':
          rc = cmp <= -1;
          break;
        case '<=':
          rc = cmp <= 0;
          break;
      }
      break;
    }
    case 'int': {
      const a = atoi(input);
      switch (t.op) {
        case 'eq':
          rc = a === t.value;
          break;
        case 'gt':
          rc = a > t.value;
          break;
        case 'ge':
          rc = a >= t.value;
          break;
        case 'lt':
          rc = a < t.value;
          break;
        case 'le':
          rc = a <= t.value;
          break;
      }
      break;
    }
    case 'regex': {
      t.re.lastIndex = 0;
      const m = t.re.exec(input);
      rc = m !== null;
      if (rc && !c.negate) ctx.rc = { src: input, m };
      break;
    }
  }
  const result = c.negate ? !rc : rc;
  if (ctx.trace) traceCond(c, ctx, input, result);
  return result;
}

/** The condition's trace event, with %0..%N when a regex matched. */
function traceCond(c: CompiledCond, ctx: EvalContext, input: string, matched: boolean): void {
  const captured = matched && !c.negate && c.test.type !== 'file' && ctx.rc?.src === input;
  ctx.trace?.({
    type: 'cond',
    pos: c.pos,
    input,
    pattern: c.source,
    negate: c.negate,
    nocase: c.flags.nocase,
    ornext: c.flags.ornext,
    matched,
    ...(captured && ctx.rc ? { captures: capturesOf(ctx.rc.m) } : {}),
  });
}
