/**
 * RewriteRule and RewriteCond flags as one declarative table (Apache's cmd_rewriterule_setflag),
 * matched by whole token, case-insensitively, long and short names.
 */
import { parseTemplate, TemplateLimitError, type Template } from './template.js';

/**
 * Status codes httpd knows (ap_index_of_response); an R=digits outside this list is a config error.
 */
// http_protocol.c's status_lines (2.4.71): ap_index_of_response finds no line for 306, 418, 425
// (NULL entries), so cmd_rewriterule_setflag refuses [R=306], [R=418], [R=425] (recorded, case 501)
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304,
  305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415,
  416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507,
  508, 510, 511,
]);

/** Apache's REWRITE_MAX_ROUNDS (the docs say 10,000; the code says 32000). */
export const REWRITE_MAX_ROUNDS = 32000;

export interface RuleFlags {
  escapeBackrefs: boolean;
  escapes?: string;
  noescapes?: string;
  noplus: boolean;
  ctls: boolean;
  chain: boolean;
  cookies: Template[];
  discardPathInfo: boolean;
  end: boolean;
  env: Template[];
  /** F, G or R=non-3xx: answer with `forcedStatus` and substitute nothing. */
  status: boolean;
  /** Status for R, F, G; 302 by default (0 for an unknown R word, which later reads as 302). */
  forcedStatus: number;
  handler?: Template;
  last: boolean;
  next: boolean;
  maxRounds: number;
  nocase: boolean;
  noescape: boolean;
  nosubreq: boolean;
  proxy: boolean;
  passthrough: boolean;
  qsappend: boolean;
  qsdiscard: boolean;
  qslast: boolean;
  redirect: boolean;
  skip: number;
  type?: Template;
  unsafePrefixStat: boolean;
  unsafeAllow3F: boolean;
  unc: boolean;
}

export function defaultRuleFlags(): RuleFlags {
  return {
    escapeBackrefs: false,
    noplus: false,
    ctls: false,
    chain: false,
    cookies: [],
    discardPathInfo: false,
    end: false,
    env: [],
    status: false,
    forcedStatus: 302,
    last: false,
    next: false,
    maxRounds: REWRITE_MAX_ROUNDS,
    nocase: false,
    noescape: false,
    nosubreq: false,
    proxy: false,
    passthrough: false,
    qsappend: false,
    qsdiscard: false,
    qslast: false,
    redirect: false,
    skip: 0,
    unsafePrefixStat: false,
    unsafeAllow3F: false,
    unc: false,
  };
}

const atoi = (s: string): number => {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) : 0;
};

type Setter = (f: RuleFlags, val: string | undefined) => string | undefined;

interface FlagSpec {
  readonly names: readonly string[];
  readonly set: Setter;
}

/** One record per flag: every name it answers to (lower case) and what it does. */
export const RULE_FLAGS: readonly FlagSpec[] = [
  {
    names: ['b', 'backrefescaping'],
    set: (f, v) => {
      f.escapeBackrefs = true;
      if (v) f.escapes = v;
      return undefined;
    },
  },
  {
    names: ['bne'],
    set: (f, v) => {
      if (!v) return "flag 'BNE' wants a list of characters (i.e. [BNE=...])";
      f.noescapes = v;
      return undefined;
    },
  },
  {
    names: ['bnp', 'backrefernoplus'],
    set: (f) => {
      f.noplus = true;
      return undefined;
    },
  },
  {
    names: ['bctls'],
    set: (f) => {
      f.ctls = true;
      f.escapeBackrefs = true;
      return undefined;
    },
  },
  {
    names: ['c', 'chain'],
    set: (f) => {
      f.chain = true;
      return undefined;
    },
  },
  {
    names: ['co', 'cookie'],
    set: (f, v) => {
      f.cookies.push(parseTemplate(v ?? ''));
      return undefined;
    },
  },
  {
    names: ['dpi', 'discardpath', 'd'],
    set: (f) => {
      f.discardPathInfo = true;
      return undefined;
    },
  },
  {
    names: ['e', 'env'],
    set: (f, v) => {
      f.env.push(parseTemplate(v ?? ''));
      return undefined;
    },
  },
  {
    names: ['end'],
    set: (f) => {
      f.end = true;
      return undefined;
    },
  },
  {
    names: ['f', 'forbidden'],
    set: (f) => {
      f.status = true;
      f.forcedStatus = 403;
      return undefined;
    },
  },
  {
    names: ['g', 'gone'],
    set: (f) => {
      f.status = true;
      f.forcedStatus = 410;
      return undefined;
    },
  },
  {
    names: ['h', 'handler'],
    set: (f, v) => {
      f.handler = parseTemplate(v ?? '');
      return undefined;
    },
  },
  {
    names: ['l', 'last'],
    set: (f) => {
      f.last = true;
      return undefined;
    },
  },
  {
    names: ['n', 'next'],
    set: (f, v) => {
      f.next = true;
      if (v) f.maxRounds = atoi(v);
      return undefined;
    },
  },
  {
    names: ['nc', 'nocase'],
    set: (f) => {
      f.nocase = true;
      return undefined;
    },
  },
  {
    names: ['ne', 'noescape'],
    set: (f) => {
      f.noescape = true;
      return undefined;
    },
  },
  {
    names: ['ns', 'nosubreq'],
    set: (f) => {
      f.nosubreq = true;
      return undefined;
    },
  },
  {
    names: ['p', 'proxy'],
    set: (f) => {
      f.proxy = true;
      return undefined;
    },
  },
  {
    names: ['pt', 'passthrough'],
    set: (f) => {
      f.passthrough = true;
      return undefined;
    },
  },
  {
    names: ['qsa', 'qsappend'],
    set: (f) => {
      f.qsappend = true;
      return undefined;
    },
  },
  {
    names: ['qsd', 'qsdiscard'],
    set: (f) => {
      f.qsdiscard = true;
      return undefined;
    },
  },
  {
    names: ['qsl', 'qslast'],
    set: (f) => {
      f.qslast = true;
      return undefined;
    },
  },
  {
    names: ['r', 'redirect'],
    set: (f, v) => {
      f.redirect = true;
      if (!v) return undefined;
      const word = v.toLowerCase();
      let status = 0; // an unknown word silently means 302 (Apache code, not docs)
      if (word === 'permanent') status = 301;
      else if (word === 'temp') status = 302;
      else if (word === 'seeother') status = 303;
      else if (/^[0-9]/.test(v)) {
        status = atoi(v);
        if (status !== 500 && !KNOWN_STATUS.has(status))
          return `invalid HTTP response code '${v}' for flag 'R'`;
        if (status < 300 || status > 399) f.status = true;
      }
      f.forcedStatus = status;
      return undefined;
    },
  },
  {
    names: ['s', 'skip'],
    set: (f, v) => {
      f.skip = atoi(v ?? '');
      return undefined;
    },
  },
  {
    names: ['t', 'type'],
    set: (f, v) => {
      f.type = parseTemplate(v ?? '');
      return undefined;
    },
  },
  {
    names: ['unsafeprefixstat'],
    set: (f) => {
      f.unsafePrefixStat = true;
      return undefined;
    },
  },
  {
    names: ['unsafeallow3f'],
    set: (f) => {
      f.unsafeAllow3F = true;
      return undefined;
    },
  },
  {
    names: ['unc'],
    set: (f) => {
      f.unc = true;
      return undefined;
    },
  },
];

const RULE_FLAG_INDEX = new Map<string, FlagSpec>();
for (const spec of RULE_FLAGS) for (const n of spec.names) RULE_FLAG_INDEX.set(n, spec);

export interface CondFlags {
  nocase: boolean;
  ornext: boolean;
  novary: boolean;
}

/**
 * A Map: flag names are rule text (`[constructor]` is an unknown flag, not Object's constructor).
 */
const COND_FLAG_INDEX = new Map<string, keyof CondFlags>([
  ['nc', 'nocase'],
  ['nocase', 'nocase'],
  ['or', 'ornext'],
  ['ornext', 'ornext'],
  ['nv', 'novary'],
  ['novary', 'novary'],
]);

/** A flag token and where it starts in the flags argument. */
export interface FlagToken {
  readonly key: string;
  readonly val?: string;
  readonly offset: number;
}

/** cmd_parseflagfield: `[a,b=c, d]` → tokens (the caller checked the brackets). */
export function splitFlags(text: string): FlagToken[] {
  const inner = text.slice(1, -1);
  const out: FlagToken[] = [];
  let offset = 1;
  for (const raw of inner.split(',')) {
    const lead = raw.length - raw.replace(/^\s+/, '').length;
    const tok = raw.trim();
    if (tok) {
      const eq = tok.indexOf('=');
      out.push(
        eq < 0
          ? { key: tok, offset: offset + lead }
          : { key: tok.slice(0, eq), val: tok.slice(eq + 1), offset: offset + lead },
      );
    }
    offset += raw.length + 1;
  }
  return out;
}

/** Applies rule flag tokens; returns [flags, problems as (message, token)]. */
export interface FlagProblem {
  readonly message: string;
  readonly token: FlagToken;
  readonly code: 'ERR_UNKNOWN_FLAG' | 'ERR_FLAG_VALUE' | 'ERR_LIMIT';
  /** Offset of the problem within the flag token, when known. */
  readonly valueOffset?: number;
}

export function parseRuleFlags(tokens: FlagToken[]): { flags: RuleFlags; errors: FlagProblem[] } {
  const flags = defaultRuleFlags();
  const errors: FlagProblem[] = [];
  for (const t of tokens) {
    const key = t.key.toLowerCase();
    const spec = RULE_FLAG_INDEX.get(key);
    if (!spec) {
      // Apache quirk: any flag starting with D is silently accepted.
      if (key.startsWith('d')) continue;
      errors.push({
        message: `RewriteRule: unknown flag '${t.key}'`,
        token: t,
        code: 'ERR_UNKNOWN_FLAG',
      });
      continue;
    }
    const err = setFlag(spec, flags, t);
    if (typeof err === 'string')
      errors.push({ message: `RewriteRule: ${err}`, token: t, code: 'ERR_FLAG_VALUE' });
    else if (err) errors.push(err);
  }
  return { flags, errors };
}

/** Runs a flag's setter; a template nested too deeply is an ERR_LIMIT at its place in the value. */
function setFlag(spec: FlagSpec, flags: RuleFlags, t: FlagToken): string | FlagProblem | undefined {
  try {
    return spec.set(flags, t.val);
  } catch (err) {
    if (!(err instanceof TemplateLimitError)) throw err;
    const valueOffset = t.key.length + 1 + err.offset;
    return {
      message: `RewriteRule: flag '${t.key}': ${err.message}`,
      token: t,
      code: 'ERR_LIMIT',
      valueOffset,
    };
  }
}

export function parseCondFlags(tokens: FlagToken[]): {
  flags: CondFlags;
  errors: { message: string; token: FlagToken }[];
} {
  const flags: CondFlags = { nocase: false, ornext: false, novary: false };
  const errors: { message: string; token: FlagToken }[] = [];
  for (const t of tokens) {
    const name = COND_FLAG_INDEX.get(t.key.toLowerCase());
    if (!name) errors.push({ message: `RewriteCond: unknown flag '${t.key}'`, token: t });
    else flags[name] = true;
  }
  return { flags, errors };
}
