/**
 * mod_setenvif, mod_env and core's ErrorDocument compiled for the pipeline (site/env.ts applies
 * them), with their `<Files>` sections and `<If>` chains. Every regex and expression is built
 * here; one that cannot be is a load problem, never a silently different answer.
 */
import { utf8ToBytes } from '../common/bytes.js';
import type { SourcePosition } from '../errors.js';
import type { ProblemSink } from '../syntax/parse.js';
import type {
  EnvDirective,
  EnvFeature,
  ErrorAction,
  ErrorDocumentDirective,
  ServerSignature,
  SetEnvIfDirective,
} from '../syntax/env.js';
import type { AccessDirective } from '../syntax/ast.js';
import type { FilesSection, IfCondition } from '../syntax/sections.js';
import type { AccessConfig } from './access.js';
import { fnmatchRegExp } from './access.js';
import { parseExpr, parseExprString, type ExprNode, type Word } from './expr.js';
import { compilePcre, PcreError } from './pcre.js';

/** An `<If>` chain: every test must give its `holds` value. */
export type CompiledWhen = readonly { readonly expr: ExprNode; readonly holds: boolean }[];

/** Where a directive applies: `<Files>` (by file name) and `<If>` (per request). */
export interface Scope {
  readonly files?: (fileName: string) => boolean;
  readonly when?: CompiledWhen;
}

/** The request attributes mod_setenvif names itself (compared case-insensitively). */
export type SpecialAttribute =
  | 'remote_host'
  | 'remote_addr'
  | 'server_addr'
  | 'remote_user'
  | 'request_uri'
  | 'request_method'
  | 'request_protocol';

const SPECIAL = new Set<string>([
  'remote_host',
  'remote_addr',
  'server_addr',
  'remote_user',
  'request_uri',
  'request_method',
  'request_protocol',
]);

/** What a SetEnvIf line reads. */
export type AttributeSource =
  | { readonly type: 'special'; readonly name: SpecialAttribute }
  /** A request header by name, else the environment variable of that name. */
  | { readonly type: 'header'; readonly name: string }
  /** The first request header whose name matches. */
  | { readonly type: 'headerRegex'; readonly re: RegExp };

export type SetEnvIfEntry = Scope & {
  readonly features: readonly EnvFeature[];
  readonly pos: SourcePosition;
} & (
    | {
        readonly type: 'attribute';
        readonly source: AttributeSource;
        /**
         * Lower-case attribute: consecutive lines on one attribute read it once (match_headers).
         */
        readonly key: string;
        /** A regex (values may use `$1`, `&`), or a plain substring (non_regex_pattern). */
        readonly test:
          { readonly re: RegExp } | { readonly substring: string; readonly nocase: boolean };
      }
    | { readonly type: 'expr'; readonly expr: ExprNode }
  );

/** One mod_env operation on its table (SetEnv/PassEnv set, UnsetEnv removes). */
export type EnvVarEntry = Scope & {
  readonly op: 'set' | 'unset';
  readonly name: string;
  readonly value: string;
};

export type ErrorDocumentEntry = Scope & {
  readonly status: number;
  readonly action: ErrorAction;
  /** The text or URL as an ap_expr string, when it holds a `%{…}` reference. */
  readonly expr?: Extract<Word, { type: 'str' }>;
};

/** One `ServerSignature` line (core, per directory: the last that applies wins). */
export type SignatureEntry = Scope & { readonly value: ServerSignature };

/**
 * The per-directory (or server) configuration of the three modules and core's ServerSignature, in
 * directive order.
 */
export interface EnvConfig {
  readonly setEnvIf: readonly SetEnvIfEntry[];
  readonly vars: readonly EnvVarEntry[];
  readonly errorDocuments: readonly ErrorDocumentEntry[];
  readonly signatures: readonly SignatureEntry[];
}

/** Compiles the directives of one file (undefined when it has none). */
export function compileEnv(
  directives: readonly EnvDirective[],
  sink: ProblemSink,
): EnvConfig | undefined {
  if (!directives.length) return undefined;
  const setEnvIf: SetEnvIfEntry[] = [];
  const vars: EnvVarEntry[] = [];
  const errorDocuments: ErrorDocumentEntry[] = [];
  const signatures: SignatureEntry[] = [];
  const exprs = new Map<string, ExprNode | undefined>();
  for (const d of directives) {
    const scope = compileScope(d.files, d.when, exprs, sink);
    if (!scope) continue;
    switch (d.type) {
      case 'SetEnvIf': {
        const entry = compileSetEnvIf(d, scope, sink);
        if (entry) setEnvIf.push(entry);
        break;
      }
      case 'SetEnvIfExpr': {
        const expr = compileExpr(d.expr.text, d.expr.pos, exprs, sink);
        if (expr) setEnvIf.push({ type: 'expr', expr, features: d.features, pos: d.pos, ...scope });
        break;
      }
      case 'SetEnv':
        vars.push({
          op: 'set',
          name: d.names[0] ?? '',
          value: utf8ToBytes(d.value ?? ''),
          ...scope,
        });
        break;
      case 'PassEnv':
        // mod_env reads the process environment when the configuration is read (getenv)
        for (const name of d.names) {
          const value = Object.hasOwn(process.env, name) ? process.env[name] : undefined;
          if (value !== undefined)
            vars.push({ op: 'set', name, value: utf8ToBytes(value), ...scope });
        }
        break;
      case 'UnsetEnv':
        for (const name of d.names) vars.push({ op: 'unset', name, value: '', ...scope });
        break;
      case 'ErrorDocument': {
        const entry = errorDocumentEntry(d, sink);
        if (entry) errorDocuments.push({ ...entry, ...scope });
        break;
      }
      case 'ServerSignature':
        signatures.push({ value: d.value, ...scope });
        break;
    }
  }
  return { setEnvIf, vars, errorDocuments, signatures };
}

/**
 * One ErrorDocument: its argument is an ap_expr string (`%{VAR}`, `%{func:string}`), parsed once;
 * a `%{` that never closes does not parse in Apache either.
 */
function errorDocumentEntry(
  d: ErrorDocumentDirective,
  sink: ProblemSink,
): Omit<ErrorDocumentEntry, keyof Scope> | undefined {
  const text = 'text' in d.action ? d.action.text : 'url' in d.action ? d.action.url : '';
  if (/%\{[^}]*$/.test(text)) {
    sink.add('ERR_EXPR', `ErrorDocument: unterminated %{ in '${text}'`, d.pos);
    return undefined;
  }
  // Apache sends the text's bytes as written (the file is UTF-8): a byte string here
  const action =
    d.action.type === 'text' ? { type: 'text' as const, text: utf8ToBytes(text) } : d.action;
  if (!text.includes('%{')) return { status: d.status, action };
  try {
    const expr = parseExprString(action.type === 'text' ? action.text : text);
    return { status: d.status, action, expr };
  } catch (err) {
    sink.add('ERR_EXPR', `ErrorDocument: ${(err as Error).message} in '${text}'`, d.pos);
    return undefined;
  }
}

/**
 * Apache merges SetEnvIf lines parent first, mod_env's table and ErrorDocuments child over parent.
 */
export function mergeEnv(
  parent: EnvConfig | undefined,
  child: EnvConfig | undefined,
): EnvConfig | undefined {
  if (!parent) return child;
  if (!child) return parent;
  return {
    setEnvIf: [...parent.setEnvIf, ...child.setEnvIf],
    vars: [...parent.vars, ...child.vars],
    errorDocuments: [...parent.errorDocuments, ...child.errorDocuments],
    signatures: [...parent.signatures, ...child.signatures],
  };
}

/**
 * A directive's `<Files>` section and `<If>` chain, compiled (undefined: a problem was reported).
 */
export function compileScope(
  files: FilesSection | undefined,
  when: IfCondition | undefined,
  exprs: Map<string, ExprNode | undefined>,
  sink: ProblemSink,
): Scope | undefined {
  let compiledWhen: CompiledWhen | undefined;
  if (when) {
    const tests = when.map((t) => ({
      expr: compileExpr(t.expr, t.pos, exprs, sink),
      holds: !t.negate,
    }));
    if (tests.some((t) => !t.expr)) return undefined;
    compiledWhen = tests as CompiledWhen;
  }
  let matcher: ((fileName: string) => boolean) | undefined;
  if (files) {
    const re = filesRegExp(files, sink);
    if (!re) return undefined;
    matcher = (name) => {
      re.lastIndex = 0;
      return re.test(name);
    };
  }
  return { ...(matcher && { files: matcher }), ...(compiledWhen && { when: compiledWhen }) };
}

function filesRegExp(section: FilesSection, sink: ProblemSink): RegExp | undefined {
  if (!section.regex) return fnmatchRegExp(section.pattern);
  try {
    return compilePcre(utf8ToBytes(section.pattern), false);
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${section.opener}: Regex could not be compiled: ${err.message}`,
      section.pos,
    );
    return undefined;
  }
}

/**
 * An ap_expr (the subset compile/expr.ts reads), parsed once per text; anything else is ERR_EXPR.
 */
function compileExpr(
  text: string,
  pos: SourcePosition,
  exprs: Map<string, ExprNode | undefined>,
  sink: ProblemSink,
): ExprNode | undefined {
  if (exprs.has(text)) return exprs.get(text);
  let node: ExprNode | undefined;
  try {
    node = parseExpr(utf8ToBytes(text));
  } catch (err) {
    const unsupported = err instanceof PcreError && err.unsupported;
    sink.add(
      unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_EXPR',
      `cannot evaluate the expression '${text}': ${(err as Error).message}`,
      pos,
    );
  }
  exprs.set(text, node);
  return node;
}

/** mod_setenvif's add_setenvif_core: the attribute, then the regex or plain substring. */
function compileSetEnvIf(
  d: SetEnvIfDirective,
  scope: Scope,
  sink: ProblemSink,
): SetEnvIfEntry | undefined {
  const key = d.attribute.toLowerCase();
  let source: AttributeSource;
  if (SPECIAL.has(key)) source = { type: 'special', name: key as SpecialAttribute };
  else if (/^[-A-Za-z0-9_]*$/.test(d.attribute)) source = { type: 'header', name: d.attribute };
  else {
    // is_header_regex: any other character makes the name a regular expression over header names
    const re = regex(d.attribute, d.nocase, d.pos, `${d.directive}: header name`, sink);
    if (!re) return undefined;
    source = { type: 'headerRegex', re };
  }
  const plain = nonRegexPattern(d.pattern.text);
  let test: { re: RegExp } | { substring: string; nocase: boolean };
  if (plain !== undefined) test = { substring: utf8ToBytes(plain), nocase: d.nocase };
  else {
    const re = regex(d.pattern.text, d.nocase, d.pattern.pos, d.directive, sink);
    if (!re) return undefined;
    test = { re };
  }
  const features = d.features.map((f) =>
    f.value === null ? f : { ...f, value: utf8ToBytes(f.value) },
  );
  return { type: 'attribute', source, key, test, features, pos: d.pos, ...scope };
}

function regex(
  text: string,
  nocase: boolean,
  pos: SourcePosition,
  what: string,
  sink: ProblemSink,
): RegExp | undefined {
  try {
    return compilePcre(utf8ToBytes(text), nocase);
  } catch (err) {
    if (!(err instanceof PcreError)) throw err;
    sink.add(
      err.unsupported ? 'ERR_REGEX_UNSUPPORTED' : 'ERR_REGEX',
      `${what} regex could not be compiled: ${err.message}`,
      pos,
    );
    return undefined;
  }
}

/**
 * mod_setenvif's non_regex_pattern: a pattern without regex metacharacters (backslash escapes
 * removed) is a plain substring test; undefined when it is a regex.
 */
export function nonRegexPattern(s: string): string | undefined {
  let out = '';
  let escaped = false;
  for (const c of s) {
    if ('^.$|()[]*+?{}'.includes(c)) {
      if (!escaped) return undefined;
      escaped = false;
      out += c;
    } else if (c === '\\') {
      if (escaped) out += c;
      escaped = !escaped;
    } else {
      if (escaped) return undefined;
      out += c;
    }
  }
  return escaped ? undefined : out;
}

/**
 * Access directives inside `<If>` sections: one access configuration per `<If>` body (its lines
 * share one chain), applied by the access phase after the file's own sections when the chain
 * holds (site/access.ts). `compileAccess` is compile/access.ts's, passed in to keep the modules
 * acyclic.
 */
export function compileIfAccess(
  directives: readonly AccessDirective[],
  sink: ProblemSink,
  compileAccess: (d: readonly AccessDirective[], sink: ProblemSink) => AccessConfig | undefined,
): { readonly when: CompiledWhen; readonly access: AccessConfig }[] {
  const bodies = new Map<IfCondition, AccessDirective[]>();
  for (const d of directives) {
    if (!d.when) continue;
    const body = bodies.get(d.when) ?? [];
    body.push(d);
    bodies.set(d.when, body);
  }
  const exprs = new Map<string, ExprNode | undefined>();
  const out: { when: CompiledWhen; access: AccessConfig }[] = [];
  for (const [when, body] of bodies) {
    const scope = compileScope(undefined, when, exprs, sink);
    const access = compileAccess(body, sink);
    if (scope?.when && access) out.push({ when: scope.when, access });
  }
  return out;
}
