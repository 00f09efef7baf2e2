/**
 * core's ap_meets_conditions (server/http_protocol.c, 2.4.x) for a GET or HEAD of a file: what
 * the default handler decides from If-Match, If-Unmodified-Since, If-None-Match and
 * If-Modified-Since against the file's own ETag and Last-Modified, before any output filter
 * (mod_deflate) runs. site/static-file.ts asks it when it compresses the answer itself; and
 * ap_condition_if_range, which the byterange filter asks after mod_deflate.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What ap_meets_conditions returns: OK (the file goes out), 304 or 412. */
export type ConditionsOutcome = 'ok' | 304 | 412;

/** The file's validators as the handler sends them. */
export interface Validators {
  /** The ETag (Apache's format; `W/` when weak), undefined with FileETag None. */
  readonly eTag: string | undefined;
  readonly lastModified: string;
  /** The request's time in ms (r->request_time). */
  readonly now: number;
}

const seconds = (date: string | undefined): number =>
  date === undefined ? NaN : Math.floor(Date.parse(date) / 1000);

/**
 * util.c find_list_item for an entity tag: the list's items in order, stopping at the first that
 * is not a quoted tag (`W/` allowed only for the weak comparison, and dropped on both sides).
 */
export function etagInList(list: string, tag: string, weak: boolean): boolean {
  const bare = (t: string) => (weak && t.startsWith('W/"') ? t.slice(2) : t);
  const wanted = bare(tag);
  if (!wanted.startsWith('"')) return false;
  for (const item of list.split(',')) {
    const candidate = bare(item.trim());
    if (candidate === '') continue;
    if (!candidate.startsWith('"')) return false;
    if (candidate === wanted) return true;
  }
  return false;
}

/**
 * ap_condition_if_unmodified_since / ap_condition_if_modified_since's shared verdict on a date:
 * `hit` when the date test holds; then a Last-Modified under 60 seconds old is a weak match,
 * which a Range request does not accept.
 */
function dateVerdict(hit: boolean, mtime: number, now: number, range: boolean): boolean {
  if (!hit) return false;
  return !(now < mtime + 60 && range);
}

/** ap_meets_conditions for GET/HEAD (If-Range aside: the caller leaves such requests alone). */
export function meetsConditions(h: IncomingHttpHeaders, v: Validators): ConditionsOutcome {
  const mtime = seconds(v.lastModified);
  const now = Math.floor(v.now / 1000);
  const range = h.range !== undefined;
  const ifMatch = h['if-match'];
  if (ifMatch !== undefined && !ifMatch.startsWith('*')) {
    if (!v.eTag || v.eTag.startsWith('W/') || !etagInList(ifMatch, v.eTag, false)) return 412;
  }
  let notModified: boolean | undefined;
  const ius = seconds(h['if-unmodified-since']);
  if (h['if-unmodified-since'] !== undefined) {
    if (dateVerdict(!Number.isNaN(ius) && mtime > ius, mtime, now, range)) return 412;
    notModified = false;
  }
  const noneMatch = h['if-none-match'];
  if (noneMatch !== undefined) {
    const strongOnly = range;
    const hit =
      noneMatch.startsWith('*') ||
      (v.eTag !== undefined &&
        !(strongOnly && v.eTag.startsWith('W/')) &&
        etagInList(noneMatch, v.eTag, !strongOnly));
    notModified = hit ? notModified !== false : false;
  }
  const ims = seconds(h['if-modified-since']);
  if (h['if-modified-since'] !== undefined) {
    const hit = dateVerdict(ims >= mtime && ims <= now, mtime, now, range);
    notModified = hit ? notModified !== false : false;
  }
  return notModified === true ? 304 : 'ok';
}

/**
 * http_protocol.c ap_condition_if_range, which byterange_filter.c asks (after mod_deflate: then the
 * ETag is the gzip one): an entity tag must be the ETag itself; a date must be Last-Modified's
 * second, and that at least 60 seconds before the request (a weak match does not count). Else the
 * Range is ignored (case 383).
 */
export function ifRangeHolds(
  ifRange: string | undefined,
  eTag: string | undefined,
  lastModified: string,
): boolean {
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"')) return ifRange === eTag;
  const mtime = Math.floor(Date.parse(lastModified) / 1000);
  const rtime = Math.floor(Date.parse(ifRange) / 1000);
  return rtime === mtime && Date.now() / 1000 >= mtime + 60;
}
