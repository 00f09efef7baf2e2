/** RewriteCond evaluation: every CondPattern form, with Apache's comparison quirks. */
import type { CompiledCond, CondTest } from '../compile/ruleset.js';
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

/** apply_rewrite_cond: the expanded TestString against the CondPattern, then `!`. */
export function applyCond(c: CompiledCond, ctx: EvalContext): boolean {
  const t = c.test;
  if (t.type === 'expr') return exprCond(c, t, ctx);
  const input = expand(c.input, ctx, null);
  let rc = false;
  switch (t.type) {
    case 'file':
      rc = fileTest(t.test, input, ctx);
      break;
    case 'str':
      rc = stringTest(t, input, c.flags.nocase);
      break;
    case 'int':
      rc = integerTest(t, atoi(input));
      break;
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

/** `expr "…"` (ap_expr): its regex captures become %0..%N when it matched. */
function exprCond(
  c: CompiledCond,
  t: Extract<CondTest, { type: 'expr' }>,
  ctx: EvalContext,
): boolean {
  const r = evalExpr(t.expr, {
    variable: (n) => lookupVariable(n, ctx),
    header: (n) => {
      if (n.toLowerCase() !== 'host') ctx.varyThis = append(ctx.varyThis, n);
      return headerValue(ctx.view.headers, n);
    },
    fs: ctx.fs,
  });
  const rc = r.ok;
  if (rc && !c.negate && r.captures) ctx.rc = { src: r.captures.input, m: r.captures };
  if (ctx.trace) traceCond(c, ctx, 'expr', c.negate ? !rc : rc);
  return c.negate ? !rc : rc;
}

/** `-f -s -d -x -l -F -U` on the expanded TestString. */
function fileTest(
  test: Extract<CondTest, { type: 'file' }>['test'],
  input: string,
  ctx: EvalContext,
): boolean {
  if (test === 'l') return !!ctx.fs.lstat(input)?.isSymbolicLink();
  if (test === 'U') return urlSubrequest(input, ctx);
  const st = ctx.fs.stat(input);
  switch (test) {
    case 'f':
      return !!st?.isFile();
    case 's':
      return !!st?.isFile() && Number(st.size) > 0;
    case 'd':
      return !!st?.isDirectory();
    case 'x':
      return !!st && (Number(st.mode) & 0o111) !== 0;
    case 'F':
      return input !== '' && !!st && fileSubrequest(input, ctx);
  }
}

/**
 * -F: Apache runs a file sub-request (the directory's own rules run in it) that must end below
 * 300 with the file still there; any kind of entry counts (recorded: a directory is true). The
 * caller has checked that something exists at `input`.
 */
function fileSubrequest(input: string, ctx: EvalContext): boolean {
  if (ctx.view.isSubreq || isHtFile(input)) return false;
  const ok = ctx.fileSubrequest ? ctx.fileSubrequest(input) : true;
  ctx.trace?.({ type: 'subrequest', test: 'F', url: input, ok });
  return ok;
}

/**
 * -U: Apache runs a URL sub-request through the server rules (without running a handler, so a
 * missing file still succeeds) and tests status < 400; modrewrite dry-runs the same rules.
 */
function urlSubrequest(input: string, ctx: EvalContext): boolean {
  if (input === '' || ctx.view.isSubreq || !ctx.subrequest) return false;
  const sub = ctx.subrequest(input);
  const ok = !(sub.type === 'status' && (sub.status ?? 0) >= 400);
  ctx.trace?.({ type: 'subrequest', test: 'U', url: input, ok });
  return ok;
}

/** `=`, `<`, `>`, `<=`, `>=`: `=` compares bytes, the others compare length first ([NC]: case). */
export function stringTest(
  t: Extract<CondTest, { type: 'str' }>,
  input: string,
  nocase: boolean,
): boolean {
  let cmp: number;
  if (nocase) cmp = strcasecmp(input, t.value);
  else if (t.op === '=') cmp = input === t.value ? 0 : 1;
  else cmp = compareLength(input, t.value);
  switch (t.op) {
    case '=':
      return cmp === 0;
    case '>':
      return cmp >= 1;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp <= -1;
    case '<=':
      return cmp <= 0;
  }
}

/** `-eq -gt -ge -lt -le` on the TestString read as atoi() does. */
function integerTest(t: Extract<CondTest, { type: 'int' }>, a: number): boolean {
  switch (t.op) {
    case 'eq':
      return a === t.value;
    case 'gt':
      return a > t.value;
    case 'ge':
      return a >= t.value;
    case 'lt':
      return a < t.value;
    case 'le':
      return a <= t.value;
  }
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
