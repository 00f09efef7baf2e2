/**
 * mod_autoindex's listing of a directory without an index file (modules/generators/
 * mod_autoindex.c index_directory), with Debian's autoindex.conf: FancyIndexing in an HTML table,
 * VersionSort, the stock icons, IndexIgnore, the `C=`/`O=`/`F=`/`V=`/`P=` query keys, HEADER.html
 * and README.html, AddDescription's texts, IconWidth/IconHeight and SuppressHTMLPreamble. Output is a byte string, built exactly as Apache 2.4 writes it (recorded in
 * conformance case 170).
 */
import { opendirSync, statSync, type Dir, type Stats } from 'node:fs';
import { escapeHtml } from '../http/respond.js';
import { fsPath } from '../common/bytes.js';
import { escapeUri } from '../common/escape.js';
import { fnmatchRegExp } from '../common/fnmatch.js';
import {
  effectiveOptions,
  FANCY_INDEXING,
  FOLDERS_FIRST,
  ICONS_ARE_LINKS,
  IGNORE_CASE,
  IGNORE_CLIENT,
  SUPPRESS_COLSORT,
  SUPPRESS_DESC,
  SUPPRESS_ICON,
  SUPPRESS_LAST_MOD,
  SUPPRESS_PREAMBLE,
  SUPPRESS_RULES,
  SUPPRESS_SIZE,
  TABLE_INDEXING,
  VERSION_SORT,
  EMIT_XHTML,
  type AutoindexConfig,
  type DescItem,
  type IconItem,
} from '../compile/autoindex.js';
import {
  fnmatchPeriod,
  listingTime,
  osEscapePath,
  strcmp,
  strcmpMatch,
  strfsize,
  strnatcmp,
} from './autoindex-format.js';
import { isHtml, pageHead, pageTail, type Included } from './autoindex-page.js';

export interface ListingRequest {
  /** The directory (a byte string), with or without its trailing slash. */
  readonly dir: string;
  /** The decoded URL-path (r->uri) and the raw query. */
  readonly uri: string;
  readonly args: string | null;
  /**
   * The configuration in effect: DEBIAN_AUTOINDEX merged with the server's and the .htaccess
   * files'.
   */
  readonly config: AutoindexConfig;
  readonly headOnly: boolean;
  /**
   * The entry's sub-request: undefined when it is not listed (refused by access rules, failed in
   * its rewrite rules), else the type its rules forced and its r->filename if they rewrote it.
   */
  readonly lookup: (
    filename: string,
    isDirectory: boolean,
  ) => Promise<{ readonly forcedType?: string; readonly filename?: string } | undefined>;
  /** mod_mime's type (without parameters; `forced`: [T=]'s) and encoding of a file. */
  readonly typeOf: (filename: string, forced?: string) => { type?: string; encoding?: string };
  /** HeaderName/ReadmeName: the sub-request for a URL relative to the directory. */
  readonly include: (relative: string) => Promise<Included | undefined>;
  /** core's ap_psignature for this request ('' when ServerSignature is Off). */
  readonly signature?: string;
}

export interface Listing {
  readonly contentType: string;
  /** An HTML HeaderName file was included (its sub-request ran). */
  readonly htmlHeader?: boolean;
  /** A byte string (names are bytes; Charset=UTF-8 is what Apache claims, not a conversion). */
  readonly body: string;
}

interface Entry {
  readonly name: string;
  readonly isDir: boolean;
  readonly size: number;
  readonly lm: number;
  readonly icon?: string;
  readonly alt?: string;
  /** AddDescription's text (FancyIndexing only). */
  readonly desc?: string;
}

interface View {
  opts: number;
  key: string;
  direction: string;
  pattern?: string;
  colargs: string;
}

/**
 * find_item over the icon list (`alt`: over the alt list, the items with an alt text). A path
 * starting with `^` (^^DIRECTORY^^) is only compared by path.
 */
function findItem(
  items: readonly IconItem[] | undefined,
  what: 'icon' | 'alt',
  path: string,
  pathOnly: boolean,
  type?: string,
  encoding?: string,
): string | undefined {
  for (const item of items ?? []) {
    const data = what === 'icon' ? item.icon : item.alt;
    if (data === undefined) continue;
    if (item.by === 'path' || path[0] === '^') {
      if (strcmpMatch(path, item.to)) return data;
    } else if (!pathOnly) {
      if (!encoding && item.by === 'type' && type && strcmpMatch(type, item.to, true)) return data;
      if (encoding && item.by === 'encoding' && strcmpMatch(encoding, item.to, true)) return data;
    }
  }
  return undefined;
}

/**
 * find_desc: the first AddDescription item matching the file (its last segment, or the whole path
 * for a pattern with a `/`): apr_fnmatch without flags (`*` crosses `/`) for a wildcard pattern,
 * else a substring.
 */
function findDesc(items: readonly DescItem[] | undefined, filename: string): string | undefined {
  const only = filename.slice(filename.lastIndexOf('/') + 1);
  for (const item of items ?? []) {
    const name = item.fullPath ? filename : only;
    const found = item.wildcards
      ? fnmatchRegExp(item.pattern, false).test(name)
      : name.includes(item.pattern);
    if (found) return item.description;
  }
  return undefined;
}

/** ignore_entry: the last segment of `path` against the last segment of each pattern. */
function ignored(config: AutoindexConfig, path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return config.ignore.some((p) => strcmpMatch(name, p.slice(p.lastIndexOf('/') + 1)));
}

/** The client's sort keys and format (unless IgnoreClient), as index_directory reads r->args. */
function viewOf(config: AutoindexConfig, args: string | null): View {
  const v: View = {
    opts: effectiveOptions(config),
    key: config.orderKey ?? 'N',
    direction: config.orderDirection ?? 'A',
    colargs: '',
  };
  if (v.opts & IGNORE_CLIENT) {
    v.opts |= SUPPRESS_COLSORT;
    return v;
  }
  let fval = '';
  let vval = '';
  let pattern = '';
  let q = args ?? '';
  const ends = (i: number): boolean => i >= q.length || q[i] === '&' || q[i] === ';';
  const next = (): string => q.slice(q.length > 3 ? 4 : 3);
  // bounded: every branch consumes at least three characters or stops
  while (q) {
    if (q.startsWith('C=') && 'NMSD'.includes(q[2] ?? 'x') && q[2] && ends(3)) {
      v.key = q[2];
      q = next();
    } else if (q.startsWith('O=') && (q[2] === 'A' || q[2] === 'D') && ends(3)) {
      v.direction = q[2];
      q = next();
    } else if (q.startsWith('F=') && '012'.includes(q[2] ?? 'x') && q[2] && ends(3)) {
      if (q[2] === '0') v.opts &= ~(FANCY_INDEXING | TABLE_INDEXING);
      else if (q[2] === '1') v.opts = (v.opts | FANCY_INDEXING) & ~TABLE_INDEXING;
      else v.opts |= FANCY_INDEXING | TABLE_INDEXING;
      fval = `;F=${q[2]}`;
      q = next();
    } else if (q.startsWith('V=') && (q[2] === '0' || q[2] === '1') && ends(3)) {
      if (q[2] === '0') v.opts &= ~VERSION_SORT;
      else v.opts |= VERSION_SORT;
      vval = `;V=${q[2]}`;
      q = next();
    } else if (q.startsWith('P=')) {
      let eos = 2;
      while (eos < q.length && q[eos] !== '&' && q[eos] !== ';') eos++;
      const raw = q.slice(2, eos);
      const decoded = raw ? unescapeUrl(raw) : undefined;
      v.pattern = decoded;
      pattern = decoded === undefined ? '' : `;P=${escapeUri(decoded)}`;
      q = eos < q.length && eos + 1 < q.length ? q.slice(eos + 1) : '';
    } else q = '';
  }
  v.colargs = fval + vval + pattern;
  return v;
}

/**
 * ap_unescape_url: undefined for a bad escape or an encoded `/` or NUL (the pattern is then
 * ignored).
 */
function unescapeUrl(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') {
      out += s[i];
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    const c = Number.parseInt(hex, 16);
    if (c === 0x2f || c === 0) return undefined;
    out += String.fromCharCode(c);
    i += 2;
  }
  return out;
}

/** make_parent_entry: the parent URL (none for `/`), unless IndexIgnore hides `..`. */
function parentEntry(req: ListingRequest, dir: string, opts: number): Entry | undefined {
  const segments: string[] = [];
  for (const s of `${req.uri.endsWith('/') ? req.uri : req.uri + '/'}../`.split('/').slice(1)) {
    if (s === '..') {
      if (!segments.length) return undefined;
      segments.pop();
    } else if (s !== '.') segments.push(s);
  }
  const name = '/' + segments.join('/');
  const testPath = `${dir}..`;
  if (ignored(req.config, testPath)) return undefined;
  const fancy = (opts & FANCY_INDEXING) !== 0;
  const items = req.config.icons;
  return {
    name,
    isDir: false,
    size: -1,
    lm: -1,
    icon: fancy
      ? (findItem(items, 'icon', testPath, true) ?? findItem(items, 'icon', '^^DIRECTORY^^', true))
      : undefined,
    alt: fancy
      ? (findItem(items, 'alt', testPath, true) ??
        findItem(items, 'alt', '^^DIRECTORY^^', true) ??
        'PARENTDIR')
      : undefined,
    desc: fancy ? findDesc(req.config.descriptions, testPath) : undefined,
  };
}

/** make_autoindex_entry for one directory entry (its sub-request must succeed to be listed). */
async function entryFor(
  req: ListingRequest,
  dir: string,
  name: string,
  v: View,
): Promise<Entry | undefined> {
  if (name === '.' || name === '..') return undefined;
  if (v.pattern !== undefined && !fnmatchPeriod(v.pattern, name)) return undefined;
  const full = dir + name;
  if (ignored(req.config, full)) return undefined;
  let st: Stats;
  try {
    st = statSync(fsPath(full));
  } catch {
    return undefined;
  }
  const isDir = st.isDirectory();
  if (!isDir && !st.isFile()) return undefined;
  const found = await req.lookup(full, isDir);
  if (!found) return undefined;
  const detailed = (v.opts & (FANCY_INDEXING | TABLE_INDEXING)) !== 0;
  const first = detailed && isDir && (v.opts & FOLDERS_FIRST) !== 0;
  const base = { name: isDir ? `${name}/` : name, isDir: first };
  const lm = detailed ? st.mtimeMs : v.key === 'M' ? 0 : -1;
  if (!detailed) return { ...base, size: -1, lm };
  // find_item matches the sub-request's r->filename: `redirect:/url` once a rule rewrote it
  const named = found.filename ?? full;
  const items = req.config.icons;
  const desc = findDesc(req.config.descriptions, named);
  if (isDir)
    return {
      ...base,
      size: -1,
      lm,
      desc,
      icon: findItem(items, 'icon', named, true) ?? findItem(items, 'icon', '^^DIRECTORY^^', true),
      alt:
        findItem(items, 'alt', named, true) ??
        findItem(items, 'alt', '^^DIRECTORY^^', true) ??
        'DIR',
    };
  const { type, encoding } = req.typeOf(full, found.forcedType);
  return {
    ...base,
    size: st.size,
    lm,
    icon: findItem(items, 'icon', named, false, type, encoding),
    alt: findItem(items, 'alt', named, false, type, encoding),
    desc,
  };
}

/** dsortf: the parent first, then FoldersFirst, then the key, then the name. */
function sorter(v: View): (a: Entry, b: Entry) => number {
  const version = (v.opts & VERSION_SORT) !== 0;
  const fold = (v.opts & IGNORE_CASE) !== 0;
  return (e1, e2) => {
    if (e1.name[0] === '/') return -1;
    if (e2.name[0] === '/') return 1;
    if (e1.isDir !== e2.isDir) return e1.isDir ? -1 : 1;
    const [c1, c2] = v.direction === 'A' ? [e1, e2] : [e2, e1];
    if (v.key === 'M' && c1.lm !== c2.lm) return c1.lm > c2.lm ? 1 : -1;
    if (v.key === 'S' && c1.size !== c2.size) return c1.size > c2.size ? 1 : -1;
    if (v.key === 'D') {
      const [d1, d2] = [c1.desc ?? '', c2.desc ?? ''];
      const byDesc = version ? strnatcmp(d1, d2) : strcmp(d1, d2);
      if (byDesc) return byDesc;
    }
    let r = 0;
    if (version) {
      if (fold) r = strnatcmp(c1.name, c2.name, true);
      if (!r) r = strnatcmp(c1.name, c2.name);
    }
    if (!r && fold) r = strcmp(c1.name, c2.name, true);
    return r || strcmp(c1.name, c2.name);
  };
}

/** Reads the directory (entries as byte strings); unreadable: undefined (Apache: 403). */
function readNames(dir: string): string[] | undefined {
  // in the directory's own order, as apr_dir_read gives them (readdirSync sorts): each entry's
  // sub-request runs in that order, so a later [CO] name loses to the first (add_cookie)
  let handle: Dir | undefined;
  try {
    // the names as bytes (node reads them so; its types list only the string encodings)
    handle = opendirSync(fsPath(dir), { encoding: 'buffer' as BufferEncoding });
    const names: string[] = [];
    for (let e = handle.readSync(); e; e = handle.readSync())
      names.push((e.name as unknown as Buffer).toString('latin1'));
    return names;
  } catch {
    return undefined;
  } finally {
    handle?.closeSync();
  }
}

/** The listing, or undefined when the directory cannot be read (403). */
export async function renderListing(req: ListingRequest): Promise<Listing | undefined> {
  const dir = req.dir.endsWith('/') ? req.dir : `${req.dir}/`;
  const names = readNames(dir);
  if (!names) return undefined;
  const c = req.config;
  const charset = c.charset ?? 'UTF-8';
  const contentType = charset
    ? `${c.type ?? 'text/html'};charset=${charset}`
    : (c.type ?? 'text/html');
  if (req.headOnly) return { contentType, body: '' };
  const v = viewOf(c, req.args);
  let title = escapeHtml(req.uri);
  while (title.length > 1 && title.endsWith('/')) title = title.slice(0, -1);
  const header = c.header
    ? await req.include(c.header + (req.args !== null ? `?${req.args}` : ''))
    : undefined;
  const entries: Entry[] = [];
  const parent = parentEntry(req, dir, v.opts);
  if (parent) entries.push(parent);
  for (const name of names) {
    const e = await entryFor(req, dir, name, v);
    if (e) entries.push(e);
  }
  entries.sort(sorter(v));
  const readme = c.readme ? await req.include(c.readme) : undefined;
  const preamble = {
    xhtml: (v.opts & EMIT_XHTML) !== 0,
    styleSheet: c.styleSheet,
    headInsert: c.headInsert,
    suppress: (v.opts & SUPPRESS_PREAMBLE) !== 0,
  };
  const body =
    pageHead(title, header, preamble) +
    entriesHtml(entries, c, v) +
    pageTail(readme, req.signature, preamble.suppress);
  return { contentType, body, htmlHeader: isHtml(header?.type) };
}

/** output_directories: the table (HTMLTable), the <pre> (FancyIndexing) or the plain list. */
function entriesHtml(entries: readonly Entry[], c: AutoindexConfig, v: View): string {
  if (v.opts & TABLE_INDEXING) return tableHtml(entries, c, v);
  if (v.opts & FANCY_INDEXING) return preHtml(entries, c, v);
  let out = '<ul>';
  entries.forEach((e, x) => {
    out += `<li><a href="${anchorOf(e)}"> ${escapeHtml(shownName(e, x))}</a></li>\n`;
  });
  return out + '</ul>\n';
}

const anchorOf = (e: Entry): string => escapeHtml(osEscapePath(e.name));
const shownName = (e: Entry, x: number): string =>
  x === 0 && e.name[0] === '/' ? 'Parent Directory' : e.name;

/** emit_link: a column header; the current key's link reverses the direction. */
function link(label: string, column: string, v: View): string {
  if (v.opts & SUPPRESS_COLSORT) return label;
  const order = v.key === column && v.direction === 'A' ? 'D' : 'A';
  return `<a href="?C=${column};O=${order}${v.colargs}">${label}</a>`;
}

/** The name column's width (NameWidth; `*` is the longest name in the <pre> layout). */
function nameWidth(entries: readonly Entry[], c: AutoindexConfig, table: boolean): number {
  const fixed = typeof c.nameWidth === 'number' ? c.nameWidth : 23;
  if (c.nameWidth !== '*' || table) return fixed;
  return entries.reduce((w, e) => Math.max(w, e.name.length), fixed);
}

/** The name, cut to the width with `..>`, and the padding after it. */
function paddedName(e: Entry, x: number, width: number): { text: string; pad: string } {
  let t = shownName(e, x);
  if (t.length > width) t = t.slice(0, width - 3) + '..>';
  return { text: escapeHtml(t), pad: ' '.repeat(Math.max(0, width - t.length)) };
}

/** The bits of a listing's markup its configuration decides (XHTML, IndexStyleSheet, icons). */
interface Markup {
  /** ` /` before an empty element's `>` under IndexOptions XHTML. */
  readonly close: string;
  /** IndexStyleSheet is set: the table gets ids and classes. */
  readonly styled: boolean;
  readonly blankIcon?: string;
  readonly defaultIcon?: string;
  /** IconWidth / IconHeight as the img elements' attributes. */
  readonly iconSize: string;
}

function markupOf(c: AutoindexConfig, o: number): Markup {
  return {
    close: o & EMIT_XHTML ? ' /' : '',
    styled: c.styleSheet !== undefined,
    blankIcon: findItem(c.icons, 'icon', '^^BLANKICON^^', true),
    defaultIcon: c.defaultIcon,
    iconSize:
      (c.iconWidth ? ` width="${c.iconWidth}"` : '') +
      (c.iconHeight ? ` height="${c.iconHeight}"` : ''),
  };
}

/** The cell's attributes: a class under IndexStyleSheet, else the plain table's own. */
const cell = (m: Markup, name: string, plain: string): string =>
  m.styled ? ` class="${name}">` : `${plain}>`;

function tableHtml(entries: readonly Entry[], c: AutoindexConfig, v: View): string {
  const o = v.opts;
  const m = markupOf(c, o);
  let cols = 1;
  let out = m.styled ? '  <table id="indexlist">\n   <tr class="indexhead">' : '  <table>\n   <tr>';
  if (!(o & SUPPRESS_ICON)) {
    out += `<th${cell(m, 'indexcolicon', ' valign="top"')}`;
    out +=
      m.blankIcon !== undefined
        ? `<img src="${escapeHtml(m.blankIcon)}" alt="[ICO]"${m.iconSize}${m.close}></th>`
        : '&nbsp;</th>';
    cols++;
  }
  out += `<th${cell(m, 'indexcolname', '')}${link('Name', 'N', v)}`;
  if (!(o & SUPPRESS_LAST_MOD) && ++cols)
    out += `</th><th${cell(m, 'indexcollastmod', '')}${link('Last modified', 'M', v)}`;
  if (!(o & SUPPRESS_SIZE) && ++cols)
    out += `</th><th${cell(m, 'indexcolsize', '')}${link('Size', 'S', v)}`;
  if (!(o & SUPPRESS_DESC) && ++cols)
    out += `</th><th${cell(m, 'indexcoldesc', '')}${link('Description', 'D', v)}`;
  const rowClass = m.styled ? ' class="indexbreakrow"' : '';
  const breakrow =
    o & SUPPRESS_RULES ? '' : `   <tr${rowClass}><th colspan="${cols}"><hr${m.close}></th></tr>\n`;
  out += `</th></tr>\n${breakrow}`;
  const width = nameWidth(entries, c, true);
  entries.forEach((e, x) => {
    out += tableRow(e, x, c, v, m, width);
  });
  return out + breakrow + '</table>\n';
}

/** One row of the table (even/odd classes under IndexStyleSheet). */
function tableRow(
  e: Entry,
  x: number,
  c: AutoindexConfig,
  v: View,
  m: Markup,
  width: number,
): string {
  const o = v.opts;
  const anchor = anchorOf(e);
  let out = m.styled ? `   <tr class="${x & 1 ? 'odd' : 'even'}">` : '<tr>';
  if (!(o & SUPPRESS_ICON))
    out += `<td${cell(m, 'indexcolicon', ' valign="top"')}${iconHtml(e, o, anchor, m, '&nbsp;')}</td>`;
  const n = paddedName(e, x, width);
  const shown = c.nameWidth === '*' ? escapeHtml(shownName(e, x)) : n.text;
  out += `<td${cell(m, 'indexcolname', '')}<a href="${anchor}">${shown}</a>`;
  if (c.nameWidth !== '*') out += n.pad;
  if (!(o & SUPPRESS_LAST_MOD)) {
    if (e.lm !== -1)
      out += `</td><td${cell(m, 'indexcollastmod', ' align="right"')}${listingTime(e.lm)}  `;
    else out += m.styled ? '</td><td class="indexcollastmod">&nbsp;' : '</td><td>&nbsp;';
  }
  if (!(o & SUPPRESS_SIZE))
    out += `</td><td${cell(m, 'indexcolsize', ' align="right"')}${strfsize(e.size)}`;
  if (!(o & SUPPRESS_DESC)) {
    const desc =
      e.desc === undefined ? '&nbsp;' : c.descWidth === '*' ? e.desc : cutDesc(e.desc, c, o);
    out += `</td><td${cell(m, 'indexcoldesc', '')}${desc}`;
  }
  return out + '</td></tr>\n';
}

/**
 * The icon (the entry's, else DefaultIcon; neither: `none`), wrapped in the entry's link under
 * IconsAreLinks.
 */
function iconHtml(e: Entry, o: number, anchor: string, m: Markup, none: string): string {
  const src = e.icon ?? m.defaultIcon;
  const img =
    src !== undefined
      ? `<img src="${escapeHtml(src)}" alt="[${e.alt ?? '   '}]"${m.iconSize}${m.close}>`
      : none;
  return o & ICONS_ARE_LINKS ? `<a href="${anchor}">${img}</a>` : img;
}

function preHtml(entries: readonly Entry[], c: AutoindexConfig, v: View): string {
  const o = v.opts;
  const m = markupOf(c, o);
  const width = nameWidth(entries, c, false);
  // DescriptionWidth=*: as wide as the longest description (strlen, markup included)
  const descWidth =
    c.descWidth === '*'
      ? entries.reduce((w, e) => Math.max(w, e.desc?.length ?? 0), 23)
      : (c.descWidth ?? 23);
  let out = '<pre>';
  if (!(o & SUPPRESS_ICON))
    out +=
      m.blankIcon !== undefined
        ? `<img src="${escapeHtml(m.blankIcon)}" alt="Icon "${m.iconSize}${m.close}> `
        : '      ';
  out += link('Name', 'N', v) + ' '.repeat(Math.max(0, width - 4)) + ' ';
  if (!(o & SUPPRESS_LAST_MOD)) out += link('Last modified', 'M', v) + '      ';
  if (!(o & SUPPRESS_SIZE)) out += link('Size', 'S', v) + '  ';
  if (!(o & SUPPRESS_DESC)) out += link('Description', 'D', v);
  out += o & SUPPRESS_RULES ? '\n' : `<hr${m.close}>`;
  entries.forEach((e, x) => {
    const anchor = anchorOf(e);
    if (!(o & SUPPRESS_ICON)) out += `${iconHtml(e, o, anchor, m, '     ')} `;
    const n = paddedName(e, x, width);
    out += `<a href="${anchor}">${n.text}</a>${n.pad} `;
    if (!(o & SUPPRESS_LAST_MOD)) out += e.lm !== -1 ? `${listingTime(e.lm)}  ` : ' '.repeat(19);
    if (!(o & SUPPRESS_SIZE)) out += `${strfsize(e.size)}  `;
    if (!(o & SUPPRESS_DESC) && e.desc !== undefined) out += cutDesc(e.desc, c, o, descWidth);
    out += '\n';
  });
  return out + (o & SUPPRESS_RULES ? '</pre>\n' : `<hr${m.close}></pre>\n`);
}

/**
 * terminate_description: the description cut to `width` visible characters (markup between `<`
 * and `>` is free, an entity counts as one), its last character then replaced by `>`. Without a
 * DescriptionWidth the width grows by the columns suppressed.
 */
function cutDesc(desc: string, c: AutoindexConfig, o: number, width?: number): string {
  let maxsize = width ?? (typeof c.descWidth === 'number' ? c.descWidth : 23);
  if (c.descWidth === undefined) {
    if (o & SUPPRESS_ICON) maxsize += 6;
    if (o & SUPPRESS_LAST_MOD) maxsize += 19;
    if (o & SUPPRESS_SIZE) maxsize += 7;
  }
  let x = 0;
  for (; x < desc.length && (maxsize > 0 || desc[x] === '<'); x++) {
    if (desc[x] === '<') {
      x = desc.indexOf('>', x);
      if (x < 0) return desc;
    } else if (desc[x] === '&') {
      maxsize--;
      x = desc.indexOf(';', x);
      if (x < 0) return desc;
    } else maxsize--;
  }
  return maxsize === 0 && x < desc.length ? `${desc.slice(0, x - 1)}>` : desc;
}
