/**
 * core.c's configuration variables: `Define NAME [value]` and `UnDefine NAME` (`set_define`,
 * `unset_define`) and `ap_resolve_env`, which config.c's `ap_build_config_sub` runs on every line
 * it reads (after continuation lines are joined; not on comments, nor on the lines of a false
 * `<IfModule>` & co., which `ap_soak_end_container` skips unread), before the directive's name is
 * split off. `${NAME}` becomes the Define'd value (names compared case-insensitively: an apr
 * table), else the process environment's (getenv); an unknown name stays as written, with
 * AH00111 "Config variable ${NAME} is not defined" unless it holds a `:` (a RewriteMap reference
 * such as `${lc:$1}`, which mod_rewrite expands per request). Recorded: cases 423–427.
 */
import type { SourcePosition } from '../errors.js';
import type { LogicalLine } from './lexer.js';

/** The environment `${NAME}` falls back to (Apache: its process environment). */
export type ConfigEnvironment = Readonly<Record<string, string | undefined>>;

/** What a server configuration defined, as its `.htaccess` files see it (the final state). */
export interface ConfigDefinitions {
  /** The names `<IfDefine>` sees (`-D` and Define), case-sensitive, in definition order. */
  readonly names: readonly string[];
  /** The values of `Define NAME value`, in definition order. */
  readonly values: readonly (readonly [string, string])[];
}

/** The process environment, where there is one (the playground bundles this module). */
export function processEnvironment(): ConfigEnvironment | undefined {
  return typeof process === 'undefined' ? undefined : process.env;
}

/**
 * One configuration's Define state while it is read (in reading order), and the environment.
 * Shared by the readers of its sections' and vhosts' bodies.
 */
export class ConfigVariables {
  /** ap_server_config_defines: what `<IfDefine>` tests (strcmp: case-sensitive). */
  readonly names: string[];
  /** server_config_defined_vars, by lower-case name (apr tables ignore case). */
  private readonly values = new Map<string, readonly [string, string]>();
  /** Lines resolved, and their Define run, ahead of their reader (a container's body). */
  readonly read = new WeakSet<LogicalLine>();
  /** The conditional sections of a container's body, decided when they were read. */
  readonly decided = new WeakMap<LogicalLine, boolean>();
  /** Whether a Define or UnDefine ran (the `.htaccess` files then need the final state). */
  changed = false;

  constructor(
    start: Partial<ConfigDefinitions> = {},
    private readonly environment: ConfigEnvironment | undefined = undefined,
  ) {
    this.names = [...(start.names ?? [])];
    for (const [name, value] of start.values ?? [])
      this.values.set(name.toLowerCase(), [name, value]);
  }

  /** set_define: the name becomes defined; a value replaces any value of the name. */
  define(name: string, value: string | undefined): void {
    this.changed = true;
    if (!this.names.includes(name)) this.names.push(name);
    if (value !== undefined) this.values.set(name.toLowerCase(), [name, value]);
  }

  /** unset_define: the name (exact) is no longer defined, and its value (any case) is gone. */
  undefine(name: string): void {
    this.changed = true;
    const at = this.names.indexOf(name);
    // Apache moves the last name into the hole; the order only shows in DUMP_RUN_CFG
    if (at >= 0) this.names.splice(at, 1);
    this.values.delete(name.toLowerCase());
  }

  /** ap_resolve_env's lookup: the Define'd value, else the environment's. */
  lookup(name: string): string | undefined {
    const defined = this.values.get(name.toLowerCase());
    if (defined) return defined[1];
    const env = this.environment;
    return env && Object.hasOwn(env, name) ? env[name] : undefined;
  }

  /** The state now (what the `.htaccess` files of a server see once its config is read). */
  definitions(): ConfigDefinitions {
    return { names: [...this.names], values: [...this.values.values()] };
  }

  /**
   * ap_resolve_env on one line: the same line when it has no `$`, else a line whose text has the
   * references replaced; its positions map back to the source (a value to its `${`).
   * `undefinedName` hears of each unknown name without `:`.
   */
  resolve(
    line: LogicalLine,
    undefinedName: (name: string, pos: SourcePosition) => void,
  ): LogicalLine {
    const src = line.text;
    if (!src.includes('$')) return line;
    const pieces: Piece[] = [];
    let text = '';
    let copied = 0;
    let s = src.indexOf('$');
    while (s >= 0) {
      // `$` without `{`, or `${` without `}`: the `$` stays, the scan goes on after it
      const close = src[s + 1] === '{' ? src.indexOf('}', s + 2) : -1;
      if (close < 0) {
        s = src.indexOf('$', s + 1);
        continue;
      }
      const name = src.slice(s + 2, close);
      const value = this.lookup(name);
      if (value === undefined) {
        if (!name.includes(':')) undefinedName(name, line.at(s));
      } else {
        pieces.push({ at: text.length, source: copied, length: s - copied, literal: true });
        text += src.slice(copied, s);
        pieces.push({ at: text.length, source: s, length: value.length, literal: false });
        text += value;
        copied = close + 1;
      }
      s = src.indexOf('$', close + 1);
    }
    if (pieces.length === 0) return line;
    pieces.push({ at: text.length, source: copied, length: src.length - copied, literal: true });
    text += src.slice(copied);
    return resolvedLine(line, text, pieces);
  }
}

/** A stretch of a resolved line: copied from the source (`literal`) or a variable's value. */
interface Piece {
  /** Offset in the resolved text. */
  readonly at: number;
  /** Offset in the source line (of the text, or of the `${`). */
  readonly source: number;
  readonly length: number;
  readonly literal: boolean;
}

function resolvedLine(line: LogicalLine, text: string, pieces: readonly Piece[]): LogicalLine {
  const sourceOffset = (offset: number): number => {
    let lo = 0;
    let hi = pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pieces[mid]!.at <= offset) lo = mid;
      else hi = mid - 1;
    }
    const p = pieces[lo]!;
    return p.literal ? p.source + (offset - p.at) : p.source;
  };
  return {
    text,
    line: line.line,
    at: (offset) => line.at(sourceOffset(offset)),
    sourceLineAt: (offset) => line.sourceLineAt(sourceOffset(offset)),
  };
}
