/**
 * The CLI's flags, declared once: `--help` text (every flag with its default), parsing, and the
 * "did you mean" hint for a mistyped flag or command all come from these tables.
 */
import { parseArgs } from 'node:util';

/** A usage mistake (unknown command or flag, a bad value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose `--help` to point at, if any. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The value's placeholder in the help (`DIR`, `N`). */
  readonly value?: string;
  readonly default?: string;
  /** What the help says after "default:" when there is no plain default value. */
  readonly defaultText?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: readonly FlagSpec[];
  readonly positionals: boolean;
}

const HELP_FLAG: FlagSpec = {
  name: 'help',
  short: 'h',
  type: 'boolean',
  help: 'show this help and exit',
};

export const SERVE: CommandSpec = {
  name: 'serve',
  summary:
    'serve a document root like an Apache vhost with AllowOverride All (.htaccess files, DirectorySlash, [P])',
  usage: 'modrewrite serve --root DIR [options]',
  positionals: false,
  flags: [
    {
      name: 'root',
      type: 'string',
      value: 'DIR',
      defaultText: 'required, unless --config has a DocumentRoot',
      help: "DocumentRoot: the folder to serve (over the config's DocumentRoot)",
    },
    {
      name: 'config',
      type: 'string',
      value: 'FILE',
      defaultText: 'none',
      help: 'server-context rules (RewriteEngine/Cond/Rule/Map, DirectorySlash, DirectoryIndex, Options, <Directory>/<Location> sections with AllowOverride, <VirtualHost> sections, Include; a whole apache2.conf loads); RewriteEngine is implied',
    },
    {
      name: 'port',
      type: 'string',
      value: 'N',
      default: '8080',
      help: 'TCP port to listen on; 0 picks a free one',
    },
    {
      name: 'host',
      type: 'string',
      value: 'ADDR',
      default: '127.0.0.1',
      help: 'address to listen on',
    },
    {
      name: 'server-name',
      type: 'string',
      value: 'NAME',
      defaultText: 'the Host header',
      help: 'ServerName (SERVER_NAME, self-referential redirects)',
    },
    {
      name: 'vhost-port',
      type: 'string',
      value: 'N',
      defaultText: 'the listening port',
      help: 'the port <VirtualHost addr:port> sections are matched against (e.g. 80 for a config written for *:80)',
    },
    {
      name: 'index',
      type: 'string',
      multiple: true,
      value: 'NAME',
      defaultText: 'index.html',
      help: 'DirectoryIndex name; repeat for several',
    },
    {
      name: 'define',
      short: 'D',
      type: 'string',
      multiple: true,
      value: 'NAME',
      defaultText: 'none',
      help: 'define NAME for <IfDefine NAME> sections, like apache2 -D NAME; repeatable',
    },
    {
      name: 'no-directory-slash',
      type: 'boolean',
      defaultText: 'DirectorySlash On',
      help: 'DirectorySlash Off: no redirect from /dir to /dir/',
    },
    {
      name: 'no-file-cache',
      type: 'boolean',
      defaultText: 'small files kept in memory (32 MiB, files up to 256 KiB)',
      help: 'read every file from disk (site() with fileCache: false)',
    },
    {
      name: 'hide-dotfiles',
      type: 'boolean',
      defaultText: 'served, as Apache does',
      help: 'answer 404 for dotfiles other than .ht* (site() without dotfiles: true)',
    },
    {
      name: 'allow-root',
      type: 'string',
      multiple: true,
      value: 'DIR',
      defaultText: 'none',
      help: 'a further folder a filesystem substitution may serve from; repeatable',
    },
    {
      name: 'proxy-status',
      type: 'string',
      value: 'apache|seed',
      default: 'apache',
      help: "[P] fault statuses: Apache mod_proxy's, or the seed's",
    },
    {
      name: 'proxy-reverse',
      type: 'boolean',
      defaultText: 'off',
      help: 'rewrite backend Location headers like ProxyPassReverse',
    },
    {
      name: 'no-dns',
      type: 'boolean',
      defaultText: 'DNS on',
      help: '[P] targets may only name loopback addresses (no DNS lookups)',
    },
    {
      name: 'map-timeout',
      type: 'string',
      value: 'MS',
      defaultText: '10000',
      help: 'budget per request for asynchronous map answers (prg:); over it: 500',
    },
    {
      name: 'trace',
      type: 'boolean',
      defaultText: 'off',
      help: 'print every rewrite decision (LogLevel rewrite:trace8) on stdout',
    },
    {
      name: 'debug-headers',
      type: 'boolean',
      defaultText: 'off',
      help: 'add X-Filename, X-Query and X-Env-* to responses',
    },
    { name: 'quiet', type: 'boolean', defaultText: 'off', help: 'no access log lines on stdout' },
    {
      name: 'workers',
      type: 'string',
      value: 'N|auto',
      default: '1',
      help: 'processes sharing the port (node:cluster); auto: one per CPU. SIGHUP reloads gracefully',
    },
    {
      name: 'drain-timeout',
      type: 'string',
      value: 'MS',
      default: '10000',
      help: 'on SIGTERM/SIGINT and reloads, how long requests in flight may finish before their sockets are closed',
    },
    HELP_FLAG,
  ],
};

export const LINT: CommandSpec = {
  name: 'lint',
  summary:
    'check rule files for load errors and the usual mistakes (codes MR001-MR404, see README "lint")',
  usage:
    'modrewrite lint [--context server|directory] [--format text|json|sarif] [--max-warnings N] FILE...',
  positionals: true,
  flags: [
    {
      name: 'context',
      type: 'string',
      value: 'server|directory',
      defaultText: 'directory for .htaccess and *.htaccess, else server',
      help: 'the context the files are checked in',
    },
    {
      name: 'format',
      type: 'string',
      value: 'text|json|sarif',
      default: 'text',
      help: 'output: text lines, JSON, or SARIF 2.1.0 for GitHub code scanning',
    },
    {
      name: 'max-warnings',
      type: 'string',
      value: 'N',
      defaultText: 'unlimited',
      help: 'exit 1 when there are more than N warnings (errors always fail, info never)',
    },
    HELP_FLAG,
  ],
};

export { TEST } from './test-flags.js';
import { TEST } from './test-flags.js';
export { PLAYGROUND } from './playground-flags.js';
import { PLAYGROUND } from './playground-flags.js';

export const COMMANDS: readonly CommandSpec[] = [SERVE, LINT, TEST, PLAYGROUND];

export const EXIT_CODES = `Exit codes:
  0  success (help, version, clean lint, serve stopped by SIGINT/SIGTERM)
  1  the input is unusable: rules with problems (lint: an error, or more warnings than --max-warnings), a missing --root folder or --config file, a port in use
  2  usage error: unknown command or flag, a missing or bad flag value
  test: 0 every URL matched a rule (every --expect line held), 1 one did not, 3 the rules do not load`;

/** `modrewrite --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: modrewrite <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    "  -h, --help     show this help (and `modrewrite <command> --help` for a command's flags)",
    '  -v, --version  print the version',
    '',
    EXIT_CODES,
  ].join('\n');
}

const flagLabel = (f: FlagSpec): string =>
  `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;

const flagDefault = (f: FlagSpec): string =>
  f.default !== undefined ? f.default : (f.defaultText ?? '');

/** `modrewrite <command> --help`: every flag with its default. */
export function commandHelp(spec: CommandSpec): string {
  const width = Math.max(...spec.flags.map((f) => flagLabel(f).length)) + 2;
  const lines = spec.flags.map((f) => {
    const def = flagDefault(f);
    return `  ${flagLabel(f).padEnd(width)}${f.help}${def && f !== HELP_FLAG ? ` (default: ${def})` : ''}`;
  });
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary[0].toUpperCase() + spec.summary.slice(1) + '.',
    '',
    'Options:',
    ...lines,
    '',
    EXIT_CODES,
  ].join('\n');
}

/** Optimal string alignment distance (Levenshtein plus transpositions: `prot` → `port` is 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` (a unique prefix, else the smallest edit distance within reach),
 * if any.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const distance = editDistance(word, c);
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** The message for an unknown flag, with the nearest known one when there is one. */
function unknownFlag(spec: CommandSpec, flag: string): UsageError {
  const names = spec.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
  const bare = flag.replace(/=.*$/, '');
  const guess = nearest(
    bare,
    names.filter((n) => n.startsWith('--')),
  );
  return new UsageError(
    `unknown flag '${bare}' for ${spec.name}${guess ? `; did you mean '${guess}'?` : ''}`,
    spec.name,
  );
}

export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses a command's arguments strictly; every mistake is a UsageError. */
export function parseCommand(spec: CommandSpec, args: readonly string[]): Parsed {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; short?: string; default?: string }
  > = {};
  for (const f of spec.flags) {
    // parseArgs refuses keys that are present but undefined
    options[f.name] = {
      type: f.type,
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short ? { short: f.short } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: spec.positionals,
      options,
    });
    return { values, positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) throw unknownFlag(spec, unknown[1]);
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(
        `${spec.name} takes no arguments besides flags: ${e.message.replace(/^Unexpected argument '([^']+)'.*$/s, "'$1'")}`,
        spec.name,
      );
    throw new UsageError(`${spec.name}: ${e.message}`, spec.name);
  }
}

/** The command named `word`, or a UsageError suggesting the nearest. */
export function findCommand(word: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === word);
  if (spec) return spec;
  const guess = nearest(
    word,
    COMMANDS.map((c) => c.name),
  );
  throw new UsageError(`unknown command '${word}'${guess ? `; did you mean '${guess}'?` : ''}`);
}
