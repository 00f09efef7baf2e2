// Random but realistic small sites for differential testing against real Apache (see README.md).
// `generateCase(seed)` is pure: the same seed always gives the same files, configuration and
// requests. Usage (prints one case as JSON): node conformance/differential/generate.mjs <seed>
import { fileURLToPath } from 'node:url';

/** mulberry32: a small seeded PRNG, enough for picking. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const chance = (p) => next() < p;
  const some = (list, max) => {
    const n = 1 + int(max);
    return Array.from({ length: n }, () => pick(list));
  };
  return { next, int, pick, chance, some };
}

/** The tree every case starts from: fixtures name themselves, as in the real-world corpus. */
const TREE = [
  'index.html',
  'index.php',
  'a.txt',
  'b.html',
  'style.css',
  'app.js',
  'img.png',
  'data.json',
  'page.php',
  'secret.bak',
  '.env',
  'README.md',
  'missing.html',
  'sub/index.html',
  'sub/x.txt',
  'sub/page.php',
  'sub/doc.pdf',
  'sub/deep/y.txt',
  'sub/deep/index.php',
  'other/z.txt',
  'other/old.html',
  'new/a.txt',
  'new/foo',
];

const FLAG_SETS = [
  'L',
  'R=301,L',
  'R=302,L',
  'R,L',
  'R=301,NE,L',
  'F',
  'G',
  'QSA,L',
  'QSD,L',
  'NC,L',
  'END',
  'B,L',
  'C',
  'S=1',
  'E=FOO:1',
  'E=BAR:$1,L',
  'CO=test:val:.example.com',
  'T=text/plain,L',
  'H=text/html',
  'DPI',
  'NC,QSA,L',
  'R=301,QSD,L',
  'PT,L',
];

const RULES = [
  ['^old/(.*)$', 'new/$1'],
  ['^old/(.*)$', '/new/$1'],
  ['^([a-z]+)\\.html$', 'page.php?p=$1'],
  ['^(.*)\\.htm$', '$1.html'],
  ['^$', 'index.html'],
  ['^page/([0-9]+)$', 'page.php?id=$1'],
  ['^(.*)$', 'index.php?q=$1'],
  ['^', 'index.php'],
  ['.*', '-'],
  ['^secret', '-'],
  ['^(.+)/$', '/$1'],
  ['^a\\.txt$', 'b.html'],
  ['(.*)', 'http://www.example.com/$1'],
  ['^x/(.*)', 'https://example.org/$1'],
  ['^(.*)$', '/sub/$1'],
  ['^sub/(.*)$', 'other/$1'],
  ['\\.txt$', '-'],
  ['^(.*)\\.bak$', '$1.txt'],
  ['^ (.*)', '$1'],
  ['^dir/(.*)$', 'sub/$1'],
  ['^(x|y)\\.txt$', '$1.txt'],
];

const CONDS = [
  '%{REQUEST_FILENAME} !-f',
  '%{REQUEST_FILENAME} !-d',
  '%{REQUEST_FILENAME} -f',
  '%{REQUEST_FILENAME} -d',
  '%{HTTP_HOST} ^example\\.com$ [NC]',
  '%{HTTP_HOST} !^www\\. [NC]',
  '%{QUERY_STRING} (^|&)id=([0-9]+)',
  '%{QUERY_STRING} ^$',
  '%{REQUEST_METHOD} =POST',
  '%{REQUEST_METHOD} ^(GET|HEAD)$',
  '%{REQUEST_URI} \\.txt$ [OR]',
  '%{REQUEST_URI} !^/sub/',
  '%{HTTP_USER_AGENT} bot [NC]',
  '%{HTTP:X-Debug} ^1$',
  '%{ENV:FOO} =1',
  '%{HTTPS} off',
  '%{THE_REQUEST} \\s/+index\\.php [NC]',
  '%{REQUEST_URI} ^/(.*)/$',
  '%{DOCUMENT_ROOT}%{REQUEST_URI} -f',
];

function rewriteBlock(r, dir) {
  const lines = ['RewriteEngine On'];
  if (r.chance(0.3)) lines.push(`RewriteBase ${r.pick(['/', dir || '/', '/sub/', '/other'])}`);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const conds = r.int(3);
    for (let c = 0; c < conds; c++) lines.push(`RewriteCond ${r.pick(r.pools.conds)}`);
    const [pattern, subst] = r.pick(r.pools.rules);
    const flags = r.chance(0.85) ? ` [${r.pick(r.pools.flags)}]` : '';
    lines.push(`RewriteRule ${pattern} ${subst}${flags}`);
  }
  return lines;
}

function aliasBlock(r) {
  return r.pick([
    () => [
      `Redirect ${r.pick(['', '301 ', '302 ', 'permanent ', 'temp ', 'seeother '])}/other /new`,
    ],
    () => ['Redirect gone /old.html'],
    () => [`Redirect 301 /a.txt http://www.example.com/b.html`],
    () => [`RedirectMatch ${r.pick(['', '301 ', '302 '])}^/old/(.*)$ /new/$1`],
    () => ['RedirectMatch 403 \\.bak$'],
    () => ['RedirectMatch (?i)\\.PDF$ http://example.org/pdf'],
    () => [`RedirectPermanent /sub/x.txt /other/z.txt`],
  ])();
}

function errorDocument(r) {
  const code = r.pick(['404', '403', '500', '410']);
  return [
    `ErrorDocument ${code} ${r.pick([
      '/missing.html',
      '"Custom error text"',
      'http://example.org/error',
      '/index.php',
      '/nope.html',
      'default',
      '/sub/',
    ])}`,
  ];
}

function headerBlock(r) {
  const name = r.pick(['X-Test', 'X-Frame-Options', 'Cache-Control', 'X-Env', 'X-Multi']);
  const cond = r.pick(['', '', ' env=FOO', ' env=!FOO', ' "expr=%{REQUEST_URI} =~ /txt/"']);
  return r.pick([
    () => [`Header ${r.pick(['', 'always '])}set ${name} "v1"${cond}`],
    () => [`Header append ${name} "v2"`, `Header add ${name} "v3"${cond}`],
    () => [`Header merge ${name} "v1"`, `Header merge ${name} "v1"`],
    () => [`Header set X-Env "%{FOO}e/%{BAR}e"`],
    () => [`Header unset ${name}`],
    () => [`Header setifempty ${name} "empty"`],
    () => ['RequestHeader set X-In "from-config"', 'Header set X-Req "%{FOO}e"'],
    () => [`Header always set ${name} "err"${cond}`],
    () => ['Header edit X-Test "v" "w"', 'Header set X-Test "vvv"'],
  ])();
}

function envBlock(r) {
  return r.pick([
    () => ['SetEnvIf Request_URI "\\.txt$" FOO=1'],
    () => ['SetEnvIfNoCase User-Agent "bot" FOO=bot'],
    () => ['SetEnv FOO set'],
    () => ['SetEnv BAR bar', 'UnsetEnv FOO'],
    () => ['SetEnvIf Host "^example" BAR=naked'],
    () => ['BrowserMatch curl FOO=curl'],
    () => ['SetEnvIfExpr "%{QUERY_STRING} =~ /debug/" FOO=dbg'],
  ])();
}

function accessBlock(r) {
  return r.pick([
    () => ['<Files "secret.bak">', '  Require all denied', '</Files>'],
    () => ['<FilesMatch "\\.(bak|env|md)$">', '  Require all denied', '</FilesMatch>'],
    () => [
      '<FilesMatch "\\.(bak|env)$">',
      '  Order allow,deny',
      '  Deny from all',
      '</FilesMatch>',
    ],
    () => ['<Files ~ "\\.txt$">', '  Order deny,allow', '  Deny from all', '</Files>'],
    () => ['<Limit POST PUT DELETE>', '  Require all denied', '</Limit>'],
    () => ['<LimitExcept GET HEAD>', '  Require all denied', '</LimitExcept>'],
    () => ['Require all denied'],
    () => ['Require ip 127.0.0.1'],
    () => ['Require method GET'],
    () => ['Order deny,allow', 'Deny from all', 'Allow from 127.0.0.1'],
    () => ['<RequireAll>', '  Require all granted', '  Require not env FOO', '</RequireAll>'],
    () => ['<If "%{QUERY_STRING} =~ /deny/">', '  Require all denied', '</If>'],
    () => ['Require expr "%{REQUEST_URI} !~ m#/sub/deep#"'],
  ])();
}

function coreBlock(r) {
  return r.pick([
    () => [
      `Options ${r.pick(['-Indexes', '+Indexes', '-Indexes +FollowSymLinks', 'All', 'None'])}`,
    ],
    () => [
      `DirectoryIndex ${r.pick(['index.php index.html', 'disabled', 'page.php', 'nope.html'])}`,
    ],
    () => ['DirectorySlash Off'],
    () => [`FallbackResource ${r.pick(['/index.php', '/page.php', 'disabled'])}`],
    () => [`AddType ${r.pick(['text/x-foo .txt', 'application/x-test md', 'text/html .php'])}`],
    () => ['<FilesMatch "\\.md$">', '  ForceType text/plain', '</FilesMatch>'],
    () => [`ForceType ${r.pick(['text/plain', 'application/octet-stream'])}`],
    () => [`AddDefaultCharset ${r.pick(['UTF-8', 'On', 'Off'])}`],
    () => ['AddCharset utf-8 .txt'],
    () => ['ExpiresActive On', `ExpiresByType text/html "access plus 1 hour"`],
    () => ['ExpiresActive On', 'ExpiresDefault A600', 'ExpiresByType text/plain M60'],
    () => [
      '<If "%{HTTP_HOST} == \'example.com\'">',
      '  Header set X-If "yes"',
      '</If>',
      '<Else>',
      '  Header set X-If "no"',
      '</Else>',
    ],
    () => [
      '<IfModule mod_expires.c>',
      '  ExpiresActive On',
      '  ExpiresDefault "access plus 1 day"',
      '</IfModule>',
    ],
    () => ['<IfModule !mod_php.c>', '  Header set X-No-Php "1"', '</IfModule>'],
  ])();
}

function wrap(r, lines) {
  if (!r.chance(0.2)) return lines;
  return [
    `<IfModule ${r.pick(['mod_rewrite.c', 'mod_headers.c', 'mod_alias.c', 'mod_nothing.c'])}>`,
    ...lines.map((l) => '  ' + l),
    '</IfModule>',
  ];
}

function htaccessFor(r, dir) {
  const families = [
    rewriteBlock,
    aliasBlock,
    errorDocument,
    headerBlock,
    envBlock,
    accessBlock,
    coreBlock,
    ...r.pools.families,
  ];
  const n = 1 + r.int(4);
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(...wrap(r, r.pick(families)(r, dir)));
  return lines.join('\n') + '\n';
}

/** Server-context directives (given to Apache at the vhost level and to `serve --config`). */
function serverConfigFor(r) {
  return r
    .pick([
      () => [
        'RewriteEngine On',
        `RewriteRule ^/srv/(.*)$ /sub/$1 [${r.pick(['L', 'R=301,L', 'PT'])}]`,
      ],
      () => ['Redirect 302 /gone-away http://example.org/'],
      () => ['Header set X-Server "1"'],
      () => ['<Directory "{DOCROOT}/sub">', '  AllowOverride None', '</Directory>'],
      () => ['<Location "/other">', '  Require all denied', '</Location>'],
      () => ['DirectoryIndex index.php index.html'],
    ])()
    .join('\n');
}

const TARGETS = [
  '/',
  '/index.html',
  '/a.txt',
  '/b.html',
  '/style.css',
  '/img.png',
  '/data.json',
  '/page.php',
  '/secret.bak',
  '/.env',
  '/.htaccess',
  '/README.md',
  '/sub',
  '/sub/',
  '/sub/x.txt',
  '/sub/page.php',
  '/sub/doc.pdf',
  '/sub/deep',
  '/sub/deep/',
  '/sub/deep/y.txt',
  '/sub/.htaccess',
  '/other',
  '/other/',
  '/other/z.txt',
  '/old/foo',
  '/old/a.txt',
  '/foo.html',
  '/b.htm',
  '/page/12',
  '/missing',
  '/nope/deeper/',
  '/x/abc',
  '/dir/x.txt',
  '/%61.txt',
  '/sub/%2e%2e/a.txt',
  '/./a.txt',
  '//a.txt',
  '/sub//x.txt',
  '/a%20b',
  '/index.php/extra/info',
  '/old.html',
  '/new/',
  '/new/foo',
  '/srv/x.txt',
  '/gone-away',
  '/SUB/X.TXT',
];
const QUERIES = ['', '', '', '?x=1', '?id=42', '?debug=1', '?deny=1', '?a=b&c=d', '?q=%2F%20'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE'];
const HOSTS = ['www.example.com', 'www.example.com', 'example.com', 'EXAMPLE.com', 'localhost'];

/**
 * Seeds from IDIOM_SEEDS on also draw from the idioms of real projects' stock `.htaccess` files
 * (front controllers, Symfony's BASE computation, Authorization pass-through, canonical host and
 * HTTPS redirects, hidden-file and exploit blocks, extension hiding, maintenance 503, hotlinking)
 * with the requests that reach them. Seeds below it are generated exactly as before.
 */
const IDIOM_SEEDS = 100000;

const IDIOM_RULES = [
  ['^(.*)/$', '/$1'],
  ['^index\\.php$', '-'],
  ['.', '/index.php'],
  ['^', '%{ENV:BASE}/index.php'],
  ['.*', '-'],
  ['^(.*)$', '$1.php'],
  ['"(^|/)\\."', '-'],
  ['^/?$', '/index.php'],
  ['^index\\.php(?:/(.*)|$)', '%{ENV:BASE}/$1'],
  ['^(.+)\\.(\\d+)\\.(css|js)$', '$1.$3'],
  ['^assets/(.*)$', 'sub/$1'],
];
const IDIOM_CONDS = [
  '%{REQUEST_FILENAME}.php -f',
  '%{REQUEST_FILENAME} -s',
  '%{REQUEST_FILENAME} !-l',
  '%{REQUEST_URI}::$0 ^(/.+)/(.*)::\\2$',
  '%{REQUEST_URI}::$1 ^(.*?/)(.*)::\\2$',
  '%{HTTP:Authorization} .',
  '%{ENV:REDIRECT_STATUS} =""',
  '%{ENV:REDIRECT_STATUS} ^$',
  '%{HTTPS} !=on',
  '%{HTTP:X-Forwarded-Proto} !https',
  '%{SERVER_PORT} ^80$',
  '%{REQUEST_URI} !=/favicon.ico',
  '%{REQUEST_URI} !(\\.css|\\.js|\\.png)$ [NC]',
  '%{QUERY_STRING} base64_encode[^(]*\\([^)]*\\) [OR]',
  '%{QUERY_STRING} (<|%3C)([^s]*s)+cript.*(>|%3E) [NC]',
  '%{HTTP_REFERER} !^$',
  '%{HTTP_REFERER} !^https?://(www\\.)?example\\.com/ [NC]',
  '%{REQUEST_URI} (.+)/$',
  '%{HTTP_HOST} ^www\\.(.+)$ [NC]',
];
const IDIOM_FLAGS = [
  'E=HTTP_AUTHORIZATION:%{HTTP:Authorization}',
  'E=BASE:%1',
  'L,R=301',
  'R=301,L,NE',
  'F,NC',
  'NC,L',
  'L,QSA',
  'R=503,L',
];

/** Whole blocks as projects ship them (each a family of its own). */
function idiomBlock(r) {
  return r.pick([
    () => [
      'RewriteEngine On',
      'RewriteCond %{REQUEST_FILENAME} !-d',
      'RewriteCond %{REQUEST_FILENAME}.php -f',
      'RewriteRule ^(.*)$ $1.php [L]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{HTTP:Authorization} .',
      'RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]',
      'RewriteCond %{REQUEST_FILENAME} !-d',
      'RewriteCond %{REQUEST_URI} (.+)/$',
      'RewriteRule ^ %1 [L,R=301]',
      'RewriteCond %{REQUEST_FILENAME} !-d',
      'RewriteCond %{REQUEST_FILENAME} !-f',
      'RewriteRule ^ index.php [L]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{REQUEST_URI}::$0 ^(/.+)/(.*)::\\2$',
      'RewriteRule .* - [E=BASE:%1]',
      'RewriteCond %{HTTP:Authorization} .+',
      'RewriteRule ^ - [E=HTTP_AUTHORIZATION:%0]',
      'RewriteCond %{ENV:REDIRECT_STATUS} =""',
      'RewriteRule ^index\\.php(?:/(.*)|$) %{ENV:BASE}/$1 [R=301,L]',
      'RewriteCond %{REQUEST_FILENAME} !-f',
      'RewriteRule ^ %{ENV:BASE}/index.php [L]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]',
      `RewriteBase ${r.pick(['/', '/sub/'])}`,
      'RewriteRule ^index\\.php$ - [L]',
      'RewriteCond %{REQUEST_FILENAME} !-f',
      'RewriteCond %{REQUEST_FILENAME} !-d',
      `RewriteRule . ${r.pick(['/index.php', 'index.php', '/sub/index.html'])} [L]`,
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{HTTPS} !=on',
      'RewriteCond %{HTTP:X-Forwarded-Proto} !https',
      'RewriteRule ^ https://%{HTTP_HOST}%{REQUEST_URI} [R=301,L]',
    ],
    () => [
      'RewriteEngine On',
      ...r.pick([
        ['RewriteCond %{HTTP_HOST} !^www\\. [NC]', 'RewriteCond %{HTTP_HOST} !^localhost$'],
        ['RewriteCond %{HTTP_HOST} ^example\\.com$ [NC]'],
      ]),
      'RewriteRule ^ http://www.%{HTTP_HOST}%{REQUEST_URI} [R=301,L]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{HTTP_HOST} ^www\\.(.+)$ [NC]',
      'RewriteRule ^ http://%1%{REQUEST_URI} [R=301,L]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{SCRIPT_FILENAME} -d [OR]',
      'RewriteCond %{SCRIPT_FILENAME} -f',
      'RewriteRule "(^|/)\\." - [F]',
    ],
    () => ['RewriteEngine On', 'RewriteRule "/\\.|^\\.(?!well-known/)" - [F]'],
    () => [
      'RewriteEngine On',
      'RewriteCond %{QUERY_STRING} base64_encode[^(]*\\([^)]*\\) [OR]',
      'RewriteCond %{QUERY_STRING} (<|%3C)([^s]*s)+cript.*(>|%3E) [NC,OR]',
      'RewriteCond %{QUERY_STRING} GLOBALS(=|\\[|\\%[0-9A-Z]{0,2}) [OR]',
      'RewriteCond %{QUERY_STRING} _REQUEST(=|\\[|\\%[0-9A-Z]{0,2})',
      'RewriteRule .* index.php [F]',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{DOCUMENT_ROOT}/maintenance.html -f',
      'RewriteCond %{REQUEST_URI} !/maintenance.html',
      'RewriteRule ^ - [R=503,L]',
      'ErrorDocument 503 /maintenance.html',
    ],
    () => [
      'RewriteEngine On',
      'RewriteCond %{HTTP_REFERER} !^$',
      'RewriteCond %{HTTP_REFERER} !^https?://(www\\.)?example\\.com/ [NC]',
      'RewriteRule \\.(jpe?g|png|gif)$ - [F,NC]',
    ],
    () => ['<IfModule mod_negotiation.c>', '  Options -MultiViews', '</IfModule>'],
    () => [
      `Options ${r.pick(['-MultiViews -Indexes', '+FollowSymLinks', '+SymLinksIfOwnerMatch'])}`,
    ],
    () => ['DirectoryIndex index.php index.html', 'ErrorDocument 404 /index.php'],
    () => ['FileETag None', '<IfModule mod_headers.c>', '  Header unset ETag', '</IfModule>'],
    () => ['ServerSignature Off', 'AddDefaultCharset utf-8'],
    () => [
      '<IfModule mod_headers.c>',
      '  Header always set X-Content-Type-Options "nosniff"',
      '  <FilesMatch "\\.(css|js|png)$">',
      '    Header set Cache-Control "max-age=3600, public"',
      '  </FilesMatch>',
      '</IfModule>',
    ],
    () => [
      '<FilesMatch "\\.(bak|config|sql|ini|log|sh|inc|swp|dist|md)$|^(\\.(?!well-known).*|composer\\.(json|lock))$">',
      '  Require all denied',
      '</FilesMatch>',
    ],
    () => ['RewriteEngine On', 'RewriteOptions inherit'],
    () => ['AddType application/font-woff2 .woff2', 'AddType text/plain .md'],
  ])();
}

const POOLS_V1 = {
  rules: RULES,
  conds: CONDS,
  flags: FLAG_SETS,
  families: [],
  tree: [],
  targets: TARGETS,
  queries: QUERIES,
  headers: undefined,
};

const POOLS_IDIOMS = {
  rules: [...RULES, ...IDIOM_RULES],
  conds: [...CONDS, ...IDIOM_CONDS],
  flags: [...FLAG_SETS, ...IDIOM_FLAGS],
  families: [idiomBlock, idiomBlock, idiomBlock],
  tree: [
    'about.php',
    'blog/index.php',
    'assets/app.css',
    'assets/logo.png',
    'maintenance.html',
    'composer.json',
    '.well-known/acme-challenge/tok',
    'sub/style.12.css',
  ],
  targets: [
    ...TARGETS,
    '/about',
    '/about/',
    '/about.php',
    '/blog/',
    '/blog/post/1',
    '/index.php',
    '/index.php/x/y',
    '/assets/app.css',
    '/assets/logo.png',
    '/sub/style.12.css',
    '/composer.json',
    '/.well-known/acme-challenge/tok',
    '/favicon.ico',
    '/wp-login.php',
    '/maintenance.html',
  ],
  queries: [...QUERIES, '?base64_encode(x)', '?q=%3Cscript%3E', '?GLOBALS=1', '?p=1&page=2'],
  headers(r, headers) {
    if (r.chance(0.2)) headers.Authorization = 'Bearer abc';
    if (r.chance(0.15)) headers['X-Forwarded-Proto'] = 'https';
    if (r.chance(0.15))
      headers.Referer = r.pick(['http://example.com/page', 'http://evil.example.net/']);
  },
};

function requestsFor(r, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const req = { target: r.pick(r.pools.targets) + r.pick(r.pools.queries) };
    const method = r.pick(METHODS);
    if (method !== 'GET') req.method = method;
    const host = r.pick(HOSTS);
    if (host !== 'www.example.com') req.host = host;
    const headers = {};
    if (r.chance(0.2)) headers['User-Agent'] = r.pick(['Googlebot/2.1', 'curl/8.0']);
    if (r.chance(0.15)) headers['X-Debug'] = '1';
    if (r.pools.headers) r.pools.headers(r, headers);
    if (Object.keys(headers).length) req.headers = headers;
    if (method === 'POST' || method === 'PUT') req.body = 'x=1';
    out.push(req);
  }
  return out;
}

/** One case: `files` (including each `.htaccess`), optional `serverConfig`, `requests`. */
export function generateCase(seed, requestCount = 12) {
  const r = prng(seed * 2654435761);
  r.pools = seed >= IDIOM_SEEDS ? POOLS_IDIOMS : POOLS_V1;
  const files = {};
  for (const name of [...TREE, ...r.pools.tree]) files[name] = `FILE ${name}\n`;
  files['.htaccess'] = htaccessFor(r, '/');
  if (r.chance(0.5)) files['sub/.htaccess'] = htaccessFor(r, '/sub/');
  if (r.chance(0.2)) files['sub/deep/.htaccess'] = htaccessFor(r, '/sub/deep/');
  const kase = { seed, files, requests: requestsFor(r, requestCount) };
  if (r.chance(0.25)) kase.serverConfig = serverConfigFor(r);
  return kase;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seed = Number(process.argv[2] ?? 1);
  console.log(JSON.stringify(generateCase(seed), null, 2));
}
