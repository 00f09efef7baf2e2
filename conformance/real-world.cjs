// Shared by the real-world recorder (conformance/record-real-world.mjs, real Apache) and the
// real-world scorer (__tests__/conformance/real-world.test.ts, `modrewrite serve`): where a
// project's files go, the server configuration both sides run, and what of a response is compared.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** /etc/apache2/mods-enabled/ of a fresh Debian apache2 2.4.71 install, then the three added. */
const DEBIAN_MODULES = [
  'mpm_event',
  'access_compat',
  'alias',
  'auth_basic',
  'authn_core',
  'authn_file',
  'authz_core',
  'authz_host',
  'authz_user',
  'autoindex',
  'deflate',
  'dir',
  'env',
  'filter',
  'mime',
  'negotiation',
  'reqtimeout',
  'setenvif',
  'status',
];
/** What every real-world recording loads besides Debian's set (issue 12). */
const ADDED_MODULES = ['rewrite', 'headers', 'expires'];

/**
 * The DirectoryIndex of Debian's mods-available/dir.conf (enabled on a fresh apache2 install).
 * The recorder reads the real file through `Include`; the scorer gives modrewrite the same list.
 */
const DEBIAN_DIRECTORY_INDEX = 'index.html index.cgi index.pl index.php index.xhtml index.htm';

/**
 * Debian's `<Directory /var/www/>` block of apache2.conf, with AllowOverride All as every project's
 * install guide asks. The recorder wraps it in `<Directory {DOCROOT}>`; the scorer passes it to
 * `modrewrite serve --config` (which applies server-context directives to the document root).
 */
const DOCROOT_OPTIONS = 'Options Indexes FollowSymLinks';

/**
 * The Apache configuration every real-world recording runs (record-real-world.mjs, and the
 * differential runner with its own `extra` server lines): Debian's enabled modules with their own
 * .conf files as a2enmod links them, and the parts of Debian's apache2.conf that decide responses.
 */
function debianApacheConf(root, port, extra) {
  const available = '/etc/apache2/mods-available';
  const docroot = path.join(root, 'htdocs');
  const modules = [...DEBIAN_MODULES, ...ADDED_MODULES];
  const lines = [
    `ServerRoot "${root}"`,
    `Listen 127.0.0.1:${port}`,
    `PidFile "${root}/httpd.pid"`,
    `ErrorLog "${root}/error.log"`,
    'LogLevel warn rewrite:trace3',
    ...modules.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
    ...modules
      .filter((m) => fs.existsSync(`${available}/${m}.conf`))
      .map((m) => `Include ${available}/${m}.conf`),
    'User www-data',
    'Group www-data',
    'ServerName localhost',
    `Mutex file:${root} default`,
    'AccessFileName .htaccess',
    '<FilesMatch "^\\.ht">',
    '  Require all denied',
    '</FilesMatch>',
    '<Directory />',
    '  Options FollowSymLinks',
    '  AllowOverride None',
    '  Require all denied',
    '</Directory>',
    `DocumentRoot "${docroot}"`,
    `<Directory "${docroot}">`,
    `  ${DOCROOT_OPTIONS}`,
    '  AllowOverride All',
    '  Require all granted',
    '</Directory>',
  ];
  if (extra !== undefined) lines.push(extra);
  return lines.join('\n') + '\n';
}

/** Writes a project's fixtures and its .htaccess under `docroot`. */
function writeProject(docroot, project) {
  fs.mkdirSync(docroot, { recursive: true });
  for (const [name, content] of Object.entries(project.files)) {
    const target = path.join(docroot, name);
    if (name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  const htaccess = path.join(docroot, project.htaccessPath);
  fs.mkdirSync(path.dirname(htaccess), { recursive: true });
  fs.writeFileSync(htaccess, project.htaccess);
}

/**
 * The response headers a project's file sets itself (mod_headers `Header`, mod_expires), in lower
 * case: those are compared besides status, Location, body, Content-Type, Set-Cookie and Vary.
 */
function headersSetBy(htaccess) {
  const names = new Set();
  const header =
    /^\s*Header\s+(?:always\s+|onsuccess\s+)?(?:set|append|add|merge|setifempty|edit\*?)\s+"?([A-Za-z0-9-]+)/gim;
  for (const m of htaccess.matchAll(header)) names.add(m[1].toLowerCase());
  if (/^\s*Expires(?:Active|Default|ByType)\b/im.test(htaccess)) {
    names.add('cache-control');
    names.add('expires');
  }
  for (const already of ['content-type', 'vary', 'set-cookie', 'location']) names.delete(already);
  return [...names].sort();
}

/**
 * What is compared. Dates (`Expires`) are reduced to their presence: they move with the clock.
 * The body is compared for every status: for files it names the file served (fixtures hold their
 * own path), for errors and redirects it is the server's own page.
 */
function normaliseRealWorld(resp, project) {
  const h = (k) => resp.headers[k] || [];
  const out = { status: resp.status };
  if (h('location').length) out.location = h('location')[0];
  if (h('content-type').length) out.contentType = h('content-type')[0];
  const vary = h('vary')
    .join(',')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (vary.length) out.vary = vary.join(', ');
  if (h('set-cookie').length) out.setCookie = h('set-cookie');
  for (const name of headersSetBy(project.htaccess)) {
    if (!h(name).length) continue;
    const value = name === 'expires' ? '<date>' : h(name).join(', ');
    (out.headers = out.headers || {})[name] = value;
  }
  // mod_autoindex listings show each entry's modification time: it moves with every checkout
  out.body = resp.body.replace(/\d{4}-\d\d-\d\d \d\d:\d\d/g, '<mtime>');
  return out;
}

/**
 * The fixture a request names directly (its path, percent-decoded, without the query), if it is a
 * file of the project. Undefined for anything else (front-controller URLs, directories, missing files).
 */
function fixtureNamed(project, target) {
  let p = target.split('?')[0];
  try {
    p = decodeURIComponent(p);
  } catch {
    return undefined;
  }
  const name = p.replace(/^\/+/, '');
  if (name === project.htaccessPath) return { name, content: project.htaccess };
  if (Object.hasOwn(project.files, name) && !name.endsWith('/'))
    return { name, content: project.files[name] };
  return undefined;
}

/**
 * A request protects a file when it names an existing file of the project and Apache kept that
 * file's bytes back: it denied it or answered an error (status >= 400), or a rule routed the request
 * to a PHP front controller instead (Kirby's content/, October's config/). A different
 * representation of an asset (Drupal's .css.gz for a gzip client) is not protection.
 */
function isProtecting(project, req) {
  const file = fixtureNamed(project, req.target);
  if (!file || !req.expect) return false;
  if ((req.method || 'GET') !== 'GET') return false;
  if (req.expect.status >= 400) return true;
  const routed = /^FILE .*\.php\n$/.test(req.expect.body) && req.expect.body !== file.content;
  return req.expect.status === 200 && routed;
}

module.exports = {
  debianApacheConf,
  DEBIAN_MODULES,
  ADDED_MODULES,
  DEBIAN_DIRECTORY_INDEX,
  DOCROOT_OPTIONS,
  writeProject,
  headersSetBy,
  normaliseRealWorld,
  fixtureNamed,
  isProtecting,
};
