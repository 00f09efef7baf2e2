/**
 * mod_autoindex's listing of a directory without an index file (modules/generators/
 * mod_autoindex.c index_directory), with Debian's autoindex.conf: FancyIndexing in an HTML table,
 * VersionSort, the stock icons, IndexIgnore, the `C=`/`O=`/`F=`/`V=`/`P=` query keys, HEADER.html
 * and README.html. Output is a byte string, built exactly as Apache 2.4 writes it (recorded in
 * conformance case 170).
 */
import { opendirSync, statSync, type Dir, type Stats } from 'node:fs';
import { escapeHtml } from '../http/respond.js';
import { fsPath } from '../common/bytes.js';
import { escapeUri } from '../common/escape.js';
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
  SUPPRESS_RULES,
  SUPPRESS_SIZE,
  TABLE_INDEXING,
  VERSION_SORT,
  type AutoindexConfig,
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
import { pageHead, pageTail, type Included } from './autoindex-page.js';

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
}

interface View {
  opts: number;
  key: string;
  direction: string;
  pattern?: string;
  colargs: string;
}

/** Debian's autoindex.conf icon lines, in order (find_item takes the first match). */
type IconItem = {
  readonly by: 'encoding' | 'type' | 'path';
  readonly to: string;
  readonly icon: string;
  readonly alt?: string;
};
const ICONS: readonly IconItem[] = debianIcons();
const DEFAULT_ICON = '/icons/unknown.gif';

function debianIcons(): IconItem[] {
  const items: IconItem[] = [];
  const add = (by: IconItem['by'], icon: string, alt: string | undefined, tos: string): void => {
    for (const to of tos.split(' '))
      items.push({ by, to: by === 'path' && !/[*?]/.test(to) ? `*${to}` : to, icon, alt });
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
  for (const odf of 'odt ods odp odg odc odf odb odi odm ott ots otp otg otc otf oti oth'.split(
    ' ',
  ))
    add('path', `/icons/odf6${odf}-20x22.png`, undefined, `.${odf}`);
  return items;
}

/**
 * find_item over the icon list (`alt`: over the alt list, the items with an alt text). A path
 * starting with `^` (^^DIRECTORY^^) is only compared by path.
 */
function findItem(
  what: 'icon' | 'alt',
  path: string,
  pathOnly: boolean,
  type?: string,
  encoding?: string,
): string | undefined {
  for (const item of ICONS) {
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
  return {
    name,
    isDir: false,
    size: -1,
    lm: -1,
    icon: fancy
      ? (findItem('icon', testPath, true) ?? findItem('icon', '^^DIRECTORY^^', true))
      : undefined,
    alt: fancy
      ? (findItem('alt', testPath, true) ?? findItem('alt', '^^DIRECTORY^^', true) ?? 'PARENTDIR')
      : undefined,
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
  if (isDir)
    return {
      ...base,
      size: -1,
      lm,
      icon: findItem('icon', named, true) ?? findItem('icon', '^^DIRECTORY^^', true),
      alt: findItem('alt', named, true) ?? findItem('alt', '^^DIRECTORY^^', true) ?? 'DIR',
    };
  const { type, encoding } = req.typeOf(full, found.forcedType);
  return {
    ...base,
    size: st.size,
    lm,
    icon: findItem('icon', named, false, type, encoding),
    alt: findItem('alt', named, false, type, encoding),
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
  const tail = pageTail(readme, req.signature);
  const body = pageHead(title, header) + entriesHtml(entries, c, v) + tail + '</body></html>\n';
  return { contentType, body };
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

function tableHtml(entries: readonly Entry[], c: AutoindexConfig, v: View): string {
  const o = v.opts;
  let cols = 1;
  let out = '  <table>\n   <tr>';
  if (!(o & SUPPRESS_ICON)) {
    out += '<th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th>';
    cols++;
  }
  out += `<th>${link('Name', 'N', v)}`;
  if (!(o & SUPPRESS_LAST_MOD) && ++cols) out += `</th><th>${link('Last modified', 'M', v)}`;
  if (!(o & SUPPRESS_SIZE) && ++cols) out += `</th><th>${link('Size', 'S', v)}`;
  if (!(o & SUPPRESS_DESC) && ++cols) out += `</th><th>${link('Description', 'D', v)}`;
  const breakrow = o & SUPPRESS_RULES ? '' : `   <tr><th colspan="${cols}"><hr></th></tr>\n`;
  out += `</th></tr>\n${breakrow}`;
  const width = nameWidth(entries, c, true);
  entries.forEach((e, x) => {
    const anchor = anchorOf(e);
    out += '<tr>';
    if (!(o & SUPPRESS_ICON)) out += `<td valign="top">${iconHtml(e, o, anchor)}</td>`;
    const n = paddedName(e, x, width);
    out += `<td><a href="${anchor}">${c.nameWidth === '*' ? escapeHtml(shownName(e, x)) : n.text}</a>${c.nameWidth === '*' ? '' : n.pad}`;
    if (!(o & SUPPRESS_LAST_MOD))
      out += e.lm !== -1 ? `</td><td align="right">${listingTime(e.lm)}  ` : '</td><td>&nbsp;';
    if (!(o & SUPPRESS_SIZE)) out += `</td><td align="right">${strfsize(e.size)}`;
    if (!(o & SUPPRESS_DESC)) out += '</td><td>&nbsp;';
    out += '</td></tr>\n';
  });
  return out + breakrow + '</table>\n';
}

/** The icon cell's content (IconsAreLinks wraps it in the entry's link). */
function iconHtml(e: Entry, o: number, anchor: string): string {
  const img = `<img src="${escapeHtml(e.icon ?? DEFAULT_ICON)}" alt="[${e.alt ?? '   '}]">`;
  return o & ICONS_ARE_LINKS ? `<a href="${anchor}">${img}</a>` : img;
}

function preHtml(entries: readonly Entry[], c: AutoindexConfig, v: View): string {
  const o = v.opts;
  const width = nameWidth(entries, c, false);
  let out = '<pre>';
  if (!(o & SUPPRESS_ICON)) out += '<img src="/icons/blank.gif" alt="Icon "> ';
  out += link('Name', 'N', v) + ' '.repeat(Math.max(0, width - 4)) + ' ';
  if (!(o & SUPPRESS_LAST_MOD)) out += link('Last modified', 'M', v) + '      ';
  if (!(o & SUPPRESS_SIZE)) out += link('Size', 'S', v) + '  ';
  if (!(o & SUPPRESS_DESC)) out += link('Description', 'D', v);
  out += o & SUPPRESS_RULES ? '\n' : '<hr>';
  entries.forEach((e, x) => {
    const anchor = anchorOf(e);
    if (!(o & SUPPRESS_ICON)) {
      const img = `<img src="${escapeHtml(e.icon ?? DEFAULT_ICON)}" alt="[${e.alt ?? '   '}]">`;
      out += o & ICONS_ARE_LINKS ? `<a href="${anchor}">${img}</a> ` : `${img} `;
    }
    const n = paddedName(e, x, width);
    out += `<a href="${anchor}">${n.text}</a>${n.pad} `;
    if (!(o & SUPPRESS_LAST_MOD)) out += e.lm !== -1 ? `${listingTime(e.lm)}  ` : ' '.repeat(19);
    if (!(o & SUPPRESS_SIZE)) out += `${strfsize(e.size)}  `;
    out += '\n';
  });
  return out + (o & SUPPRESS_RULES ? '</pre>\n' : '<hr></pre>\n');
}
