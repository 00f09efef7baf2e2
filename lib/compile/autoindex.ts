/**
 * mod_autoindex's per-directory configuration (modules/generators/mod_autoindex.c): the
 * `IndexIgnore`, `IndexIgnoreReset`, `IndexOptions`, `IndexOrderDefault`, `HeaderName` and
 * `ReadmeName` directives, their merge (merge_autoindex_configs), and the `Indexes` keyword of
 * core's `Options` that decides between a listing and a 403. Debian's mods-enabled/autoindex.conf
 * is the server-wide base (DEBIAN_AUTOINDEX); site/autoindex.ts renders the listing.
 */
import type { AutoindexDirective } from '../syntax/ast.js';
import type { ProblemSink } from '../syntax/parse.js';
import { optionAfter } from './core-options.js';

/** IndexOptions keywords that are flags (bits as in mod_autoindex.c). */
export const INDEX_FLAGS = new Map<string, number>([
  ['fancyindexing', 1 << 0],
  ['iconsarelinks', 1 << 1],
  ['scanhtmltitles', 1 << 2],
  ['suppresslastmodified', 1 << 3],
  ['suppresssize', 1 << 4],
  ['suppressdescription', 1 << 5],
  ['suppresspreamble', 1 << 6],
  ['suppresshtmlpreamble', 1 << 6],
  ['suppresscolumnsorting', 1 << 7],
  ['suppressrules', 1 << 8],
  ['foldersfirst', 1 << 9],
  ['versionsort', 1 << 10],
  ['htmltable', 1 << 11],
  ['ignoreclient', 1 << 13],
  ['ignorecase', 1 << 14],
  ['suppressicon', 1 << 17],
]);
export const FANCY_INDEXING = 1 << 0;
export const ICONS_ARE_LINKS = 1 << 1;
export const SUPPRESS_LAST_MOD = 1 << 3;
export const SUPPRESS_SIZE = 1 << 4;
export const SUPPRESS_DESC = 1 << 5;
export const SUPPRESS_COLSORT = 1 << 7;
export const SUPPRESS_RULES = 1 << 8;
export const FOLDERS_FIRST = 1 << 9;
export const VERSION_SORT = 1 << 10;
export const TABLE_INDEXING = 1 << 11;
export const IGNORE_CLIENT = 1 << 13;
export const IGNORE_CASE = 1 << 14;
export const SUPPRESS_ICON = 1 << 17;
/** `IndexOptions None`. */
const NO_OPTIONS = 1 << 30;
/** Keywords modrewrite accepts but does not reproduce (their output differs): refused at load. */
const UNSUPPORTED = new Set(['scanhtmltitles', 'suppresspreamble', 'suppresshtmlpreamble']);

/** K_ADJUST (`=*`: as wide as the widest entry) or a fixed width (K_NOADJUST). */
export type Width = '*' | number;

export interface AutoindexConfig {
  /** IndexIgnore patterns (ap_strcmp_match wildcards, last path segment). */
  readonly ignore: readonly string[];
  /** IndexIgnoreReset On: the inherited patterns are dropped. */
  readonly ignoreNoInherit?: boolean;
  /** Absolute IndexOptions flags (undefined: OPTION_UNSET) and the incremental ones. */
  readonly opts?: number;
  readonly incremented: number;
  readonly decremented: number;
  readonly nameWidth?: Width;
  readonly descWidth?: Width;
  readonly charset?: string;
  readonly type?: string;
  readonly header?: string;
  readonly readme?: string;
  /** IndexOrderDefault: key N|M|S|D and direction A|D. */
  readonly orderKey?: string;
  readonly orderDirection?: string;
}

/**
 * Debian's mods-available/autoindex.conf: `IndexOptions FancyIndexing VersionSort HTMLTable
 * NameWidth=* DescriptionWidth=* Charset=UTF-8`, its IndexIgnore list, HEADER.html/README.html.
 * (Its AddIcon* / DefaultIcon lines are site/autoindex.ts's icon table.)
 */
export const DEBIAN_AUTOINDEX: AutoindexConfig = {
  ignore: ['.??*', '*~', '*#', 'RCS', 'CVS', '*,v', '*,t'],
  opts: FANCY_INDEXING | VERSION_SORT | TABLE_INDEXING,
  incremented: 0,
  decremented: 0,
  nameWidth: '*',
  descWidth: '*',
  charset: 'UTF-8',
  header: 'HEADER.html',
  readme: 'README.html',
};

/** core's `Options`: whether the directive turns Indexes on, off or leaves it (core-options.ts). */
export function indexesAfter(values: readonly string[]): boolean | undefined {
  return optionAfter(values, ['indexes', 'all']);
}

/** The directives of one file (or section) folded into its own (unmerged) configuration. */
export function compileAutoindex(
  directives: readonly AutoindexDirective[],
  sink: ProblemSink,
): AutoindexConfig | undefined {
  if (!directives.length) return undefined;
  const c: {
    -readonly [K in keyof AutoindexConfig]: AutoindexConfig[K];
  } = { ignore: [], incremented: 0, decremented: 0 };
  const ignore: string[] = [];
  for (const d of directives) {
    const words = d.args.map((a) => a.text);
    switch (d.name) {
      case 'IndexIgnore':
        ignore.push(...words);
        break;
      case 'IndexIgnoreReset':
        c.ignoreNoInherit = words[0]?.toLowerCase() === 'on';
        break;
      case 'HeaderName':
        c.header = words[0];
        break;
      case 'ReadmeName':
        c.readme = words[0];
        break;
      case 'IndexOrderDefault':
        c.orderDirection = words[0]![0]!.toUpperCase();
        c.orderKey = words[1]![0]!.toUpperCase();
        break;
      case 'IndexOptions':
        indexOptions(c, d, sink);
        break;
    }
  }
  c.ignore = ignore;
  return c;
}

/** add_opts: keywords, `+`/`-` increments, NameWidth=, DescriptionWidth=, Charset=, Type=. */
function indexOptions(
  c: { -readonly [K in keyof AutoindexConfig]: AutoindexConfig[K] },
  d: AutoindexDirective,
  sink: ProblemSink,
): void {
  let opts = c.opts ?? 0;
  let add = c.incremented;
  let remove = c.decremented;
  for (const arg of d.args) {
    const action = arg.text[0] === '+' || arg.text[0] === '-' ? arg.text[0] : '';
    const w = action ? arg.text.slice(1) : arg.text;
    const lower = w.toLowerCase();
    const eq = lower.indexOf('=');
    const key = eq < 0 ? lower : lower.slice(0, eq);
    const value = eq < 0 ? undefined : w.slice(eq + 1);
    if (UNSUPPORTED.has(key)) {
      sink.add('ERR_DIRECTIVE_ARGS', `IndexOptions: ${w} is not supported by modrewrite`, arg.pos);
      continue;
    }
    if (key === 'none') {
      opts = NO_OPTIONS;
      add = 0;
      remove = 0;
      continue;
    }
    if (key === 'namewidth' || key === 'descriptionwidth') {
      const width = widthOf(value, action);
      if (width === undefined) sink.add('ERR_DIRECTIVE_ARGS', `IndexOptions: bad ${w}`, arg.pos);
      else if (key === 'namewidth') c.nameWidth = width;
      else c.descWidth = width;
      continue;
    }
    if ((key === 'charset' || key === 'type') && value !== undefined) {
      if (key === 'charset') c.charset = value;
      else c.type = value;
      continue;
    }
    const flag = eq < 0 ? INDEX_FLAGS.get(key) : undefined;
    if (flag === undefined) {
      sink.add('ERR_DIRECTIVE_ARGS', 'Invalid directory indexing option', arg.pos);
      continue;
    }
    if (!action) {
      opts |= flag;
      add = 0;
      remove = 0;
    } else if (action === '+') {
      add |= flag;
      remove &= ~flag;
    } else {
      remove |= flag;
      add &= ~flag;
    }
  }
  // only incremental keywords: the options stay unset (inherited) as in Apache
  if (opts !== 0 || c.opts !== undefined) c.opts = opts;
  c.incremented = add;
  c.decremented = remove;
}

/** `NameWidth=*`, `=n`, or `-NameWidth` (back to the default 23). */
function widthOf(value: string | undefined, action: string): Width | undefined {
  if (value === undefined) return action === '-' ? 23 : undefined;
  if (action === '-') return undefined;
  if (value === '*') return '*';
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** merge_autoindex_configs: `child` (the deeper directory) over `parent`. */
export function mergeAutoindex(
  parent: AutoindexConfig | undefined,
  child: AutoindexConfig | undefined,
): AutoindexConfig | undefined {
  if (!parent) return child;
  if (!child) return parent;
  let opts: number | undefined;
  let incremented = 0;
  let decremented = 0;
  if (child.opts === NO_OPTIONS) opts = NO_OPTIONS;
  else {
    if (child.opts === undefined) {
      incremented = (parent.incremented | child.incremented) & ~child.decremented;
      decremented = parent.decremented | child.decremented;
      opts = parent.opts === undefined ? undefined : parent.opts & ~NO_OPTIONS;
    } else opts = child.opts;
    if (opts !== undefined) opts = (opts | incremented) & ~decremented;
  }
  return {
    ignore: child.ignoreNoInherit ? child.ignore : [...child.ignore, ...parent.ignore],
    opts,
    incremented,
    decremented,
    nameWidth: child.nameWidth ?? parent.nameWidth,
    descWidth: child.descWidth ?? parent.descWidth,
    charset: child.charset ?? parent.charset,
    type: child.type ?? parent.type,
    header: child.header ?? parent.header,
    readme: child.readme ?? parent.readme,
    orderKey: child.orderKey ?? parent.orderKey,
    orderDirection: child.orderDirection ?? parent.orderDirection,
  };
}

/** The options in force: absolute ones plus pending increments (opts unset counts as 0). */
export function effectiveOptions(c: AutoindexConfig): number {
  const base = c.opts ?? 0;
  return base === NO_OPTIONS ? 0 : (base | c.incremented) & ~c.decremented;
}
