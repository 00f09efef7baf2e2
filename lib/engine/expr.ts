/** Evaluates a `RewriteCond expr` tree (parsed at load time by compile/expr.ts). */
import { nodeFs } from './node-fs.js';
import type { FsView } from './state.js';
import type { ExprNode, Word } from '../compile/expr.js';
import { escapeUri, unescapeLoose } from '../common/escape.js';

export interface ExprEnv {
  variable(name: string): string;
  header(name: string): string;
  /** The file system `-f`/`-d`/`-s`… ask (the evaluation's; default: node:fs). */
  fs?: FsView;
}

export function wordValue(w: Word, env: ExprEnv): string {
  switch (w.t) {
    case 'str':
      return w.parts.map((p) => ('lit' in p ? p.lit : env.variable(p.v))).join('');
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

/** Evaluates; returns the match captures of the last successful `=~` (for %N), or null when false. */
export function evalExpr(
  node: ExprNode,
  env: ExprEnv,
): { ok: boolean; captures: RegExpExecArray | null } {
  let captures: RegExpExecArray | null = null;
  const ev = (n: ExprNode): boolean => {
    switch (n.t) {
      case 'bool':
        return n.v;
      case 'not':
        return !ev(n.e);
      case 'and':
        return ev(n.a) && ev(n.b);
      case 'or':
        return ev(n.a) || ev(n.b);
      case 'match': {
        const m = n.re.exec(wordValue(n.a, env));
        if (m && !n.neg) captures = m;
        return n.neg ? !m : !!m;
      }
      case 'unary': {
        const v = wordValue(n.a, env);
        const fs = env.fs ?? nodeFs;
        const stat = (): ReturnType<FsView['stat']> => fs.stat(v);
        switch (n.op) {
          case 'z':
            return v === '';
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
      case 'cmp': {
        const a = wordValue(n.a, env);
        const b = wordValue(n.b, env);
        const ai = parseInt(a, 10) || 0;
        const bi = parseInt(b, 10) || 0;
        switch (n.op) {
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
        }
        return false;
      }
    }
  };
  const ok = ev(node);
  return { ok, captures: ok ? captures : null };
}
