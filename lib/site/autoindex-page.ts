/**
 * The page around a mod_autoindex listing (emit_head, emit_tail): the HTML preamble, HeaderName's
 * file in place of the `<h1>`, ReadmeName's file after the listing. An HTML file goes in as it is,
 * another text/* file inside `<pre>` with `<`, `>` and `&` escaped (do_emit_plain); any other type
 * is left out. No server signature: modrewrite's pages are ServerSignature Off.
 */

/** What a HeaderName/ReadmeName sub-request found: the file's bytes and its type. */
export interface Included {
  /** A byte string. */
  readonly body: string;
  readonly type?: string;
}

const DOCTYPE =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n';

/** response_is_html: text/html or application/xhtml+xml, parameters aside. */
function isHtml(type: string | undefined): boolean {
  const media = (type ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return media === 'text/html' || media === 'application/xhtml+xml';
}

const isText = (type: string | undefined): boolean => /^text\//i.test(type ?? '');

/** do_emit_plain. */
function plain(body: string): string {
  return `<pre>\n${body.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))}</pre>\n`;
}

/** emit_preamble, then the header file or the `<h1>`. */
export function pageHead(title: string, header: Included | undefined): string {
  const preamble = `${DOCTYPE}<html>\n <head>\n  <title>Index of ${title}</title>\n </head>\n <body>\n`;
  if (header && isHtml(header.type)) return preamble + header.body;
  if (header && isText(header.type)) return preamble + plain(header.body);
  return `${preamble}<h1>Index of ${title}</h1>\n`;
}

/**
 * emit_tail without the closing tags: the readme file, if it is HTML or text, else the
 * ServerSignature (ap_psignature(""): a readme shown suppresses it).
 */
export function pageTail(readme: Included | undefined, signature = ''): string {
  if (readme && isHtml(readme.type)) return readme.body;
  if (readme && isText(readme.type)) return plain(readme.body);
  return signature;
}
