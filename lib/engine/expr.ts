/** Evaluates a `RewriteCond expr` tree (parsed at load time by compile/expr.ts). */
import { nodeFs } from './node-fs.js';
import type { FsView } from './state.js';
import type { ExprNode, Word } from '../compile/expr.js';
import { escapeUri, unescapeLoose } from '../common/escape.js';
import { fnmatchRegExp } from '../common/fnmatch.js';
import { inNet, type IpNet } from '../compile/ip.js';

export interface ExprEnv {
  variable(name: string): string;
  header(name: string): string;
  /** The file system `-f`/`-d`/`-s`… ask (the evaluation's; default: node:fs). */
  fs?: FsView;
}

export function wordValue(w: Word, env: ExprEnv): string {
  switch (w.type) {
    case 'str':
      return w.parts
        .map((p) =>
          p.type === 'literal'
            ? p.text
            : p.type === 'variable'
              ? env.variable(p.name)
              : wordValue(p.fn, env),
        )
        .join('');
    case 'var':
      return env.variable(w.name);
    case 'fn': {
      const v = wordValue(w.arg, env);
      if (w.name === 'tolower') return v.toLowerCase();
      if (w.name === 'toupper') return v.toUpperCase();
      if (w.name === 'escape') return escapeUri(v);
      if (w.name === 'unescape') return unescapeLoose(v);
      return env.header(v);
    }
  }
}

/**
 * Evaluates; returns the match captures of the last successful `=~` (for %N), or null when false.
 */
export function evalExpr(
  node: ExprNode,
  env: ExprEnv,
): { ok: boolean; captures: RegExpExecArray | null } {
  const state: EvalState = { env, captures: null };
  const ok = evalNode(node, state);
  return { ok, captures: ok ? state.captures : null };
}

/** One evaluation: the request's values and the captures of the last successful `=~` so far. */
interface EvalState {
  readonly env: ExprEnv;
  captures: RegExpExecArray | null;
}

function evalNode(n: ExprNode, s: EvalState): boolean {
  switch (n.type) {
    case 'bool':
      return n.v;
    case 'not':
      return !evalNode(n.e, s);
    case 'and':
      return evalNode(n.a, s) && evalNode(n.b, s);
    case 'or':
      return evalNode(n.a, s) || evalNode(n.b, s);
    case 'match': {
      const m = n.re.exec(wordValue(n.a, s.env));
      if (m && !n.neg) s.captures = m;
      return n.neg ? !m : !!m;
    }
    case 'unary':
      return unaryTest(n.op, wordValue(n.a, s.env), s.env.fs ?? nodeFs);
    case 'cmp':
      return compare(n.op, wordValue(n.a, s.env), wordValue(n.b, s.env));
    case 'ipmatch':
      return ipMatches(n.net, wordValue(n.a, s.env));
    case 'in': {
      // T_OP_IN: the string equals one of the list's (strcmp)
      const v = wordValue(n.a, s.env);
      return n.list.some((w) => wordValue(w, s.env) === v);
    }
  }
}

/** op_ipmatch: a string that is no address is false (apr_sockaddr_info_get fails). */
function ipMatches(net: IpNet, value: string): boolean {
  try {
    return inNet(net, value);
  } catch {
    return false;
  }
}

/** `-z -n` on the string, `-f -d -e -s -l -x` (and their aliases) on the file it names. */
function unaryTest(op: string, v: string, fs: FsView): boolean {
  const stat = (): ReturnType<FsView['stat']> => fs.stat(v);
  switch (op) {
    case 'z':
      return v === '';
    case 'T':
      return truthy(v);
    case 'n':
      return v !== '';
    case 'f':
    case 'F':
      return !!stat()?.isFile();
    case 'd':
      return !!stat()?.isDirectory();
    case 'e':
    case 'U':
    case 'A':
      return !!stat();
    case 's': {
      const s = stat();
      return !!s && s.isFile() && s.size > 0;
    }
    case 'l':
    case 'h':
    case 'L':
      return !!fs.lstat(v)?.isSymbolicLink();
    case 'x': {
      const s = stat();
      return !!s && (Number(s.mode) & 0o111) !== 0;
    }
  }
  return false;
}

/** op_T: false for '', `0`, and off, no, false in any case; true otherwise. */
function truthy(v: string): boolean {
  return !/^(?:|0|off|no|false)$/i.test(v);
}

/** String comparisons (byte order); `-eq`… on the integers the strings start with (else 0). */
function compare(op: string, a: string, b: string): boolean {
  const ai = parseInt(a, 10) || 0;
  const bi = parseInt(b, 10) || 0;
  switch (op) {
    case '==':
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '-eq':
      return ai === bi;
    case '-ne':
      return ai !== bi;
    case '-lt':
      return ai < bi;
    case '-le':
      return ai <= bi;
    case '-gt':
      return ai > bi;
    case '-ge':
      return ai >= bi;
    case '-fnmatch':
      return fnmatchRegExp(b).test(a);
    case '-strmatch':
      return fnmatchRegExp(b, false).test(a);
    case '-strcmatch':
      // APR_FNM_CASE_BLIND folds ASCII letters only (apr_tolower in the C locale)
      return fnmatchRegExp(asciiLower(b), false).test(asciiLower(a));
  }
  return false;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
