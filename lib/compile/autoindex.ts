/**
 * mod_autoindex's per-directory configuration (modules/generators/mod_autoindex.c): the
 * `IndexIgnore`, `IndexIgnoreReset`, `IndexOptions`, `IndexOrderDefault`, `HeaderName`,
 * `ReadmeName`, `AddIcon*`, `AddAlt*`, `AddDescription`, `DefaultIcon`, `IndexStyleSheet` and
 * `IndexHeadInsert` directives, their merge (merge_autoindex_configs), and the `Indexes` keyword of
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
  ['xhtml', 1 << 18],
]);
export const FANCY_INDEXING = 1 << 0;
export const ICONS_ARE_LINKS = 1 << 1;
export const SUPPRESS_LAST_MOD = 1 << 3;
export const SUPPRESS_SIZE = 1 << 4;
export const SUPPRESS_DESC = 1 << 5;
/** SuppressHTMLPreamble: an HTML HeaderName file replaces the page's own head (emit_head). */
export const SUPPRESS_PREAMBLE = 1 << 6;
export const SUPPRESS_COLSORT = 1 << 7;
export const SUPPRESS_RULES = 1 << 8;
export const FOLDERS_FIRST = 1 << 9;
export const VERSION_SORT = 1 << 10;
export const TABLE_INDEXING = 1 << 11;
export const IGNORE_CLIENT = 1 << 13;
export const IGNORE_CASE = 1 << 14;
export const SUPPRESS_ICON = 1 << 17;
export const EMIT_XHTML = 1 << 18;
/** `IndexOptions None`. */
const NO_OPTIONS = 1 << 30;
/**
 * create_autoindex_config's opts: no IndexOptions yet (`undefined` here). Incremental keywords
 * leave it so; merge_autoindex_configs ORs the increments into it when two per-directory configs
 * meet, and from then on it counts as set.
 */
const OPTION_UNSET = 1 << 20;
/** Keywords modrewrite accepts but does not reproduce (their output differs): refused at load. */
const UNSUPPORTED = new Set(['scanhtmltitles']);
/** `IconWidth` / `IconHeight` without a value: mod_autoindex's DEFAULT_ICON_WIDTH and _HEIGHT. */
const ICON_SIZES = new Map([
  ['iconwidth', 20],
  ['iconheight', 22],
]);

/**
 * One AddIcon* / AddAlt* name (push_item): matched by file name (`*` added unless it has a
 * wildcard), by type or by encoding; an `AddIcon (alt,url)` line gives both an icon and an alt.
 */
export interface IconItem {
  readonly by: 'encoding' | 'type' | 'path';
  readonly to: string;
  readonly icon?: string;
  readonly alt?: string;
}

/** K_ADJUST (`=*`: as wide as the widest entry) or a fixed width (K_NOADJUST). */
export type Width = '*' | number;

/**
 * One AddDescription name (add_desc): without a wildcard (apr_fnmatch_test) and a `/` it is found
 * anywhere in the file name (strstr); otherwise it is wrapped in `*` on both sides and matched with
 * apr_fnmatch, against the whole path (with a `/` before the name) when it has a `/`.
 */
export interface DescItem {
  readonly pattern: string;
  readonly fullPath: boolean;
  readonly wildcards: boolean;
  /** The text as written: HTML, sent unescaped. */
  readonly description: string;
}

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
  /** AddIcon* and AddAlt* items in find_item's order: the deeper directory's first. */
  readonly icons?: readonly IconItem[];
  /** AddDescription items in find_desc's order: the deeper directory's first. */
  readonly descriptions?: readonly DescItem[];
  /** IndexOptions IconWidth / IconHeight: the img elements' width and height (0: none). */
  readonly iconWidth?: number;
  readonly iconHeight?: number;
  readonly defaultIcon?: string;
  readonly styleSheet?: string;
  readonly headInsert?: string;
}

/** Debian's autoindex.conf icon lines, in order (find_item takes the first match). */
function debianIcons(): IconItem[] {
  const items: IconItem[] = [];
  const add = (by: IconItem['by'], icon: string, alt: string | undefined, tos: string): void => {
    for (const to of tos.split(' ')) items.push(iconItem(by, to, icon, alt));
  };
  add('encoding', '/icons/compressed.gif', 'CMP', 'x-compress x-gzip x-bzip2');
  add('type', '/icons/text.gif', 'TXT', 'text/*');
  add('type', '/icons/image2.gif', 'IMG', 'image/*');
  add('type', '/icons/sound2.gif', 'SND', 'audio/*');
  add('type', '/icons/movie.gif', 'VID', 'video/*');
  const paths: [string, string][] = [
    ['binary.gif', '.bin .exe'],
    ['binhex.gif', '.hqx'],
    ['tar.gif', '.tar'],
    ['world2.gif', '.wrl .wrl.gz .vrml .vrm .iv'],
    ['compressed.gif', '.Z .z .tgz .gz .zip'],
    ['a.gif', '.ps .ai .eps'],
    ['layout.gif', '.html .shtml .htm .pdf'],
    ['text.gif', '.txt'],
    ['c.gif', '.c'],
    ['p.gif', '.pl .py'],
    ['f.gif', '.for'],
    ['dvi.gif', '.dvi'],
    ['uuencoded.gif', '.uu'],
    ['script.gif', '.conf .sh .shar .csh .ksh .tcl'],
    ['tex.gif', '.tex'],
    ['bomb.gif', '/core'],
  ];
  for (const [icon, tos] of paths) add('path', `/icons/${icon}`, undefined, tos);
  add('path', '/icons/sound2.gif', 'SND', '.ogg');
  add('path', '/icons/movie.gif', 'VID', '.ogm');
  add('path', '/icons/back.gif', undefined, '..');
  add('path', '/icons/hand.right.gif', undefined, 'README');
  add('path', '/icons/folder.gif', undefined, '^^DIRECTORY^^');
  add('path', '/icons/blank.gif', undefined, '^^BLANKICON^^');
  const odf = 'odt ods odp odg odc odf odb odi odm ott ots otp otg otc otf oti oth';
  for (const ext of odf.split(' '))
    add('path', `/icons/odf6${ext}-20x22.png`, undefined, `.${ext}`);
  return items;
}

/**
 * push_item: `**DIRECTORY**` is `^^DIRECTORY^^`, encodings are lower-cased, a file name without a
 * wildcard (ap_is_matchexp) matches as a suffix.
 */
function iconItem(by: IconItem['by'], to: string, icon?: string, alt?: string): IconItem {
  let name = by === 'path' && to === '**DIRECTORY**' ? '^^DIRECTORY^^' : to;
  if (by === 'encoding') name = name.toLowerCase();
  if (by === 'path' && !/[*?]/.test(name)) name = `*${name}`;
  return { by, to: name, icon, alt };
}

/**
 * Debian's mods-available/autoindex.conf: `IndexOptions FancyIndexing VersionSort HTMLTable
 * NameWidth=* DescriptionWidth=* Charset=UTF-8`, its IndexIgnore list, HEADER.html/README.html,
 * its AddIcon* lines and `DefaultIcon /icons/unknown.gif`.
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
  icons: debianIcons(),
  defaultIcon: '/icons/unknown.gif',
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
  const icons: IconItem[] = [];
  const descriptions: DescItem[] = [];
  for (const d of directives) {
    const words = d.args.map((a) => a.text);
    if (addIcons(icons, d.name, words)) continue;
    switch (d.name) {
      case 'AddDescription':
        for (const to of words.slice(1)) descriptions.push(descItem(words[0]!, to));
        break;
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
      case 'DefaultIcon':
        c.defaultIcon = words[0];
        break;
      case 'IndexStyleSheet':
        c.styleSheet = words[0];
        break;
      case 'IndexHeadInsert':
        c.headInsert = words[0];
        break;
    }
  }
  c.ignore = ignore;
  if (icons.length) c.icons = icons;
  if (descriptions.length) c.descriptions = descriptions;
  return c;
}

/** add_desc (Linux: WILDCARDS_REQUIRED is 0, a name without wildcards matches as a substring). */
function descItem(description: string, to: string): DescItem {
  const fullPath = to.includes('/');
  const wildcards = fullPath || fnmatchTest(to);
  const pattern = wildcards ? `${fullPath ? '*/' : '*'}${to}*` : to;
  return { pattern, fullPath, wildcards, description };
}

/** apr_fnmatch_test: a `?` or `*`, or a `[` closed by a `]` (a backslash escapes the next character). */
function fnmatchTest(pattern: string): boolean {
  let nesting = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '?' || c === '*') return true;
    if (c === '\\') {
      if (++i >= pattern.length) return false;
    } else if (c === '[') nesting++;
    else if (c === ']' && nesting) return true;
  }
  return false;
}

const ICON_BY = new Map<string, IconItem['by']>([
  ['AddIcon', 'path'],
  ['AddIconByType', 'type'],
  ['AddIconByEncoding', 'encoding'],
  ['AddAlt', 'path'],
  ['AddAltByType', 'type'],
  ['AddAltByEncoding', 'encoding'],
]);

/**
 * add_icon / add_alt for each name after the first argument (ITERATE2); true when `name` is one of
 * them. `AddIcon (alt,url)` also adds the alt text (ap_getword_nc up to the comma, the URL up to
 * the closing parenthesis).
 */
function addIcons(items: IconItem[], name: string, words: readonly string[]): boolean {
  const by = ICON_BY.get(name);
  if (!by) return false;
  const first = words[0]!;
  let icon: string | undefined;
  let alt: string | undefined;
  if (name.startsWith('AddAlt')) alt = first;
  else if (first[0] === '(') {
    const comma = first.indexOf(',');
    const close = first.indexOf(')');
    alt = comma < 0 ? first.slice(1, close) : first.slice(1, comma);
    icon = comma < 0 || comma > close ? '' : first.slice(comma + 1, close);
  } else icon = first;
  for (const to of words.slice(1)) items.push(iconItem(by, to, icon, alt));
  return true;
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
    // -ScanHTMLTitles only clears a flag modrewrite never sets
    if (UNSUPPORTED.has(key) && action !== '-') {
      sink.add('ERR_DIRECTIVE_ARGS', `IndexOptions: ${w} is not supported by modrewrite`, arg.pos);
      continue;
    }
    if (key === 'none') {
      opts = NO_OPTIONS;
      add = 0;
      remove = 0;
      continue;
    }
    if (iconSizeOption(c, { key, action, value, arg }, sink)) continue;
    if (key === 'namewidth' || key === 'descriptionwidth') {
      const width = widthOf(value, action, key === 'namewidth' ? 5 : 12);
      if ('error' in width) sink.add('ERR_DIRECTIVE_ARGS', `IndexOptions: ${width.error}`, arg.pos);
      else if (key === 'namewidth') c.nameWidth = width.width;
      else c.descWidth = width.width;
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

/**
 * IconWidth[=n] / IconHeight[=n] (true when `key` is one): the default size without a value, 0
 * (none) for `-IconWidth`; `-IconWidth=n` is Apache's error.
 */
function iconSizeOption(
  c: { -readonly [K in keyof AutoindexConfig]: AutoindexConfig[K] },
  o: {
    key: string;
    action: string;
    value: string | undefined;
    arg: AutoindexDirective['args'][number];
  },
  sink: ProblemSink,
): boolean {
  const standard = ICON_SIZES.get(o.key);
  if (standard === undefined) return false;
  if (o.action === '-' && o.value !== undefined) {
    const name = o.key === 'iconwidth' ? 'IconWidth' : 'IconHeight';
    sink.add('ERR_DIRECTIVE_ARGS', `Cannot combine '-' with ${name}=n`, o.arg.pos);
    return true;
  }
  const size = o.action === '-' ? 0 : o.value === undefined ? standard : atoi(o.value);
  if (o.key === 'iconwidth') c.iconWidth = size;
  else c.iconHeight = size;
  return true;
}

/** C's atoi: optional blanks and sign, then the leading digits (none: 0). */
function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

/**
 * add_opts' `NameWidth=*`, `=n` or `-NameWidth` (back to the default 23; DescriptionWidth alike):
 * `n` read by atoi (no digits: 0), below `min` (5, 12) but not 0 refused.
 */
function widthOf(
  value: string | undefined,
  action: string,
  min: number,
): { readonly width: Width } | { readonly error: string } {
  if (value === undefined)
    return action === '-' ? { width: 23 } : { error: 'a width with no value may only be -' };
  if (action === '-') return { error: "cannot combine '-' with a width" };
  if (value[0] === '*') return { width: '*' };
  const n = atoi(value);
  return n && n < min ? { error: `the width must be greater than ${min}` } : { width: n };
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
      opts = (parent.opts ?? OPTION_UNSET) & ~NO_OPTIONS;
    } else opts = child.opts;
    opts = (opts | incremented) & ~decremented;
    // still exactly OPTION_UNSET: nothing set. With increments on it, it is no longer unset, and
    // a later merge takes it as the options (plain list: two .htaccess levels, the upper one with
    // `IndexOptions +…`, recorded in case 403)
    if (opts === OPTION_UNSET) opts = undefined;
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
    // apr_array_append(add->icon_list, base->icon_list): the deeper directory's items first
    icons:
      child.icons && parent.icons
        ? [...child.icons, ...parent.icons]
        : (child.icons ?? parent.icons),
    // apr_array_append(add->desc_list, base->desc_list)
    descriptions:
      child.descriptions && parent.descriptions
        ? [...child.descriptions, ...parent.descriptions]
        : (child.descriptions ?? parent.descriptions),
    // `add->icon_width ? add->icon_width : base->icon_width`: 0 (-IconWidth) inherits
    iconWidth: child.iconWidth || parent.iconWidth,
    iconHeight: child.iconHeight || parent.iconHeight,
    defaultIcon: child.defaultIcon ?? parent.defaultIcon,
    styleSheet: child.styleSheet ?? parent.styleSheet,
    headInsert: child.headInsert ?? parent.headInsert,
  };
}

/** The options in force: absolute ones plus pending increments (opts unset counts as 0). */
export function effectiveOptions(c: AutoindexConfig): number {
  const base = c.opts ?? 0;
  return base === NO_OPTIONS ? 0 : (base | c.incremented) & ~c.decremented;
}
