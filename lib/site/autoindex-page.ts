/**
 * The page around a mod_autoindex listing (emit_head, emit_tail): the HTML preamble, HeaderName's
 * file in place of the `<h1>`, ReadmeName's file after the listing. An HTML file goes in as it is,
 * another text/* file inside `<pre>` with `<`, `>` and `&` escaped (do_emit_plain); any other type
 * is left out. Under SuppressHTMLPreamble an HTML header file is the page's head (no doctype, no
 * title) and an HTML readme its end (no closing tags).
 */

/** What a HeaderName/ReadmeName sub-request found: the file's bytes and its type. */
export interface Included {
  /** A byte string. */
  readonly body: string;
  readonly type?: string;
}

const DOCTYPE =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n';
/** DOCTYPE_XHTML_1_0T and the html element emit_preamble writes under IndexOptions XHTML. */
const XHTML =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n' +
  '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n' +
  '<html xmlns="http://www.w3.org/1999/xhtml">\n';

/** What emit_preamble reads from the configuration. */
export interface Preamble {
  readonly xhtml: boolean;
  /** IndexStyleSheet's URL. */
  readonly styleSheet?: string;
  /** IndexHeadInsert's text, as written. */
  readonly headInsert?: string;
  /** IndexOptions SuppressHTMLPreamble. */
  readonly suppress?: boolean;
}

/** response_is_html: text/html or application/xhtml+xml, parameters aside. */
export function isHtml(type: string | undefined): boolean {
  const media = (type ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return media === 'text/html' || media === 'application/xhtml+xml';
}

const isText = (type: string | undefined): boolean => /^text\//i.test(type ?? '');

/** do_emit_plain. */
function plain(body: string): string {
  return `<pre>\n${body.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))}</pre>\n`;
}

/** emit_preamble: the doctype, the title, IndexStyleSheet's link and IndexHeadInsert's text. */
function preambleOf(title: string, p: Preamble): string {
  let out = p.xhtml ? XHTML : `${DOCTYPE}<html>\n`;
  out += ` <head>\n  <title>Index of ${title}</title>\n`;
  if (p.styleSheet !== undefined)
    out += `  <link rel="stylesheet" href="${p.styleSheet}" type="text/css"${p.xhtml ? ' />' : '>'}\n`;
  if (p.headInsert !== undefined) out += p.headInsert;
  return out + ' </head>\n <body>\n';
}

/** emit_preamble, then the header file or the `<h1>`. */
export function pageHead(title: string, header: Included | undefined, p: Preamble): string {
  const preamble = preambleOf(title, p);
  // emit_head: an HTML header file goes in without the preamble under SuppressHTMLPreamble
  if (header && isHtml(header.type)) return (p.suppress ? '' : preamble) + header.body;
  if (header && isText(header.type)) return preamble + plain(header.body);
  // emit_head: the title gets an id when a style sheet is in use
  const h1 = p.styleSheet !== undefined ? '  <h1 id="indextitle">' : '<h1>';
  return `${preamble}${h1}Index of ${title}</h1>\n`;
}

const CLOSING = '</body></html>\n';

/**
 * emit_tail: the readme file, if it is HTML or text, else the ServerSignature (ap_psignature(""):
 * a readme shown suppresses it), then the closing tags, which an HTML readme replaces under
 * SuppressHTMLPreamble.
 */
export function pageTail(readme: Included | undefined, signature = '', suppress = false): string {
  if (readme && isHtml(readme.type)) return readme.body + (suppress ? '' : CLOSING);
  if (readme && isText(readme.type)) return plain(readme.body) + CLOSING;
  return signature + CLOSING;
}
