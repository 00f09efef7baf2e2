#!/usr/bin/env node
// Random mod_rewrite rule sets for the rewrite() middleware, written as conformance cases (the
// format of conformance/cases/*.json, without `expect`), so the ordinary recorder and replay
// compare Express + rewrite() with real Apache (see README.md, "Rule sets through rewrite()").
// `generateRulesCase(seed)` is pure: the same seed always gives the same case.
// Usage: node conformance/differential/rules.mjs <count> <firstSeed> <outDir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './generate.mjs';

const FILES = {
  new: 'NEW\n',
  page: 'PAGE\n',
  'a.txt': 'A\n',
  'index.php': 'PHP\n',
  'dir/x': 'X\n',
  'dir/': '',
  'sub/index.html': 'SUB\n',
  'sub/page.php': 'SUBPHP\n',
  'maps/m.txt': 'k v\nold new\n',
};

const PATTERNS = [
  '^/old/(.*)$',
  '^/(.*)$',
  '^/page/([0-9]+)$',
  '^/a\\.txt$',
  '^/(.+)/$',
  '\\.bak$',
  '^/dir(/.*)?$',
  '(.*)',
  '^/x/(.*)',
  '^/$',
  '^/(foo|bar)$',
  '^/([^/]+)/([^/]+)$',
  '!^/new',
  '^/sub/(.*)\\.php$',
  '^/m/(.*)$',
  '^/u/(.*)$',
];
const SUBSTITUTIONS = [
  '/new',
  '/new?x=$1',
  '/page',
  'http://www.example.com/$1',
  'https://%{HTTP_HOST}/$1',
  '-',
  '/dir/$1',
  '$1',
  '/a.txt?%{QUERY_STRING}',
  '/new?a=%1&b=$2',
  '/new?l=${lc:$1}',
  '/new?e=${esc:$1}',
  '/new?m=${m:$1|none}',
  '/x%20y',
  '/new?q=$1',
  '/sub/$1.php',
  '/index.php?path=$1',
  '%{DOCUMENT_ROOT}/new',
  '/new#frag',
  '/new?',
  'http://%{HTTP_HOST}%{REQUEST_URI}',
];
const FLAGS = [
  'L',
  'R',
  'R=301,L',
  'R=302,L',
  'NE,R,L',
  'QSA,L',
  'QSD,L',
  'QSA,R,L',
  'B,L',
  'BNE=/,B,L',
  'NC,L',
  'C',
  'S=1',
  'END',
  'F',
  'G',
  'E=FOO:$1',
  'E=BAR:%{REQUEST_METHOD},L',
  'CO=n:v:localhost',
  'T=text/plain,L',
  'PT,L',
  'N=3',
  'NS,L',
  'DPI,L',
  'R=410',
  'QSL,L',
];
const CONDITIONS = [
  '%{HTTP_HOST} ^www\\.example\\.com$ [NC]',
  '%{HTTP_HOST} !^www\\. [NC]',
  '%{QUERY_STRING} (^|&)id=([0-9]+)',
  '%{QUERY_STRING} ^$',
  '%{QUERY_STRING} !^$',
  '%{REQUEST_URI} \\.txt$ [OR]',
  '%{REQUEST_URI} ^/(.*)/$',
  '%{THE_REQUEST} \\s/+index\\.php [NC]',
  '%{REQUEST_METHOD} =POST',
  '%{REQUEST_METHOD} ^(GET|HEAD)$',
  '%{HTTPS} off',
  '%{HTTPS} !=on',
  '%{DOCUMENT_ROOT}%{REQUEST_URI} -f',
  '%{DOCUMENT_ROOT}%{REQUEST_URI} !-d',
  '%{REQUEST_FILENAME} -s',
  '%{HTTP:X-Debug} ^1$',
  '%{ENV:FOO} =1',
  '%{HTTP_USER_AGENT} bot [NC]',
  '%{SERVER_PORT} >80',
  '%{REQUEST_URI} =/a.txt',
  '%{QUERY_STRING} id= [NC]',
  'expr "%{QUERY_STRING} =~ /debug/"',
  '%{TIME_YEAR} >2000',
  '%{REMOTE_ADDR} =127.0.0.1',
  '%{HTTP_REFERER} !^$',
  '${lc:%{HTTP_HOST}} ^www',
];
const TARGETS = [
  '/',
  '/new',
  '/page',
  '/a.txt',
  '/old/foo',
  '/old/a%20b',
  '/page/12',
  '/dir',
  '/dir/',
  '/dir/x',
  '/x/y/z',
  '/foo',
  '/BAR',
  '/sub/page.php',
  '/sub/',
  '/m/old',
  '/m/k',
  '/u/Mixed%2FCase',
  '/index.php',
  '/a.bak',
  '/%61.txt',
  '/a%3fb',
  '/a%2fb',
  '//double',
  '/q/a+b',
  '/p/%C3%A9',
];
const QUERIES = ['', '', '?x=1', '?id=42', '?debug=1', '?a=b&c=d', '?q=%2F%20'];
// no OPTIONS: core answers it in Apache, rewrite() leaves it to the app (not comparable here)
const METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST'];
const HOSTS = ['www.example.com', 'www.example.com', 'example.com', 'WWW.Example.COM', 'localhost'];

/**
 * Seeds from 300000 on also draw [P] rules to the recorder's echo backend (`{BACKEND}`); seeds
 * below it are generated exactly as before.
 */
export const PROXY_SEEDS = 300000;
const PROXY_SUBSTITUTIONS = [
  'http://127.0.0.1:{BACKEND}$1',
  'http://127.0.0.1:{BACKEND}/p/$1',
  'http://127.0.0.1:{BACKEND}/p?v=$1',
  'http://127.0.0.1:{BACKEND}/p/$1?',
  'http://127.0.0.1:{BACKEND}%{REQUEST_URI}',
];
const PROXY_FLAGS = ['P', 'P,L', 'P,QSA', 'P,QSD', 'P,NE', 'P,QSL', 'P,B', 'P,NC'];

function ruleBlock(r, proxy) {
  const lines = [];
  const conds = r.int(3);
  for (let c = 0; c < conds; c++) lines.push(`RewriteCond ${r.pick(CONDITIONS)}`);
  const toProxy = proxy && r.chance(0.5);
  const flagList = toProxy ? PROXY_FLAGS : FLAGS;
  const flags = toProxy || r.chance(0.85) ? ` [${r.pick(flagList)}]` : '';
  // the pattern is drawn before the substitution, as for every seed before PROXY_SEEDS
  const pattern = r.pick(PATTERNS);
  const substitution = r.pick(toProxy ? PROXY_SUBSTITUTIONS : SUBSTITUTIONS);
  lines.push(`RewriteRule ${pattern} ${substitution}${flags}`);
  return lines;
}

function requests(r, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const req = { target: r.pick(TARGETS) + r.pick(QUERIES) };
    const method = r.pick(METHODS);
    if (method !== 'GET') req.method = method;
    const host = r.pick(HOSTS);
    if (host !== 'www.example.com') req.host = host;
    const headers = {};
    if (r.chance(0.15)) headers['X-Debug'] = '1';
    if (r.chance(0.15)) headers['User-Agent'] = 'Googlebot/2.1';
    if (r.chance(0.1)) headers.Referer = 'http://example.org/';
    if (Object.keys(headers).length) req.headers = headers;
    if (method === 'POST') req.body = 'x=1';
    out.push(req);
  }
  return out;
}

/** One server-context case: maps, 1–5 rule blocks, 10 requests. */
export function generateRulesCase(seed) {
  const r = prng(seed * 2246822519);
  const lines = ['RewriteEngine on', 'RewriteMap lc int:tolower', 'RewriteMap esc int:escape'];
  lines.push('RewriteMap m txt:maps/m.txt');
  const blocks = 1 + r.int(5);
  for (let i = 0; i < blocks; i++) lines.push(...ruleBlock(r, seed >= PROXY_SEEDS));
  return {
    name: `generated rule set, seed ${seed} (conformance/differential/rules.mjs)`,
    context: 'server',
    rules: lines.join('\n') + '\n',
    files: FILES,
    requests: requests(r, 10),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 20);
  const first = Number(process.argv[3] ?? 1);
  const out = process.argv[4];
  if (!out) throw new Error('usage: rules.mjs <count> <firstSeed> <outDir>');
  mkdirSync(out, { recursive: true });
  for (let seed = first; seed < first + count; seed++) {
    const file = join(out, `gen-${String(seed).padStart(6, '0')}.json`);
    writeFileSync(file, JSON.stringify(generateRulesCase(seed), null, 2) + '\n');
  }
}
