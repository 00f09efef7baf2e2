/**
 * rewrite() screens requests with code generated per rule set (lib/engine/screen-code.ts); a
 * process that refuses code generation (`node --disallow-code-generation-from-strings`, as some
 * hardened deployments run) keeps the generic screen and must answer exactly alike. Each process
 * serves the same rules over real HTTP and reports what its app saw.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const lib = join(__dirname, '../../dist/cjs/index.js');

/** Serves the rules on loopback, asks for each URL, prints what the app saw (req.url) or the status. */
const script = `
const http = require('node:http');
const { rewrite } = require(${JSON.stringify(lib)});
const rules = [
  'RewriteEngine on',
  'RewriteCond %{HTTP_HOST} ^example\\\\.com$ [NC]',
  'RewriteRule ^/(.*)$ http://www.example.com/$1 [R=301,L]',
  'RewriteRule \\\\.(bak|old)$ - [F]',
  'RewriteRule ^/products/(\\\\d+)$ /shop/item?id=$1 [QSA,L]',
  'RewriteRule ^/search/(.+)$ /find?q=$1 [B,QSA,L]',
  'RewriteRule ^/docs/v1/(.*)$ /docs/legacy/$1 [R=302,L]',
  'RewriteRule ^/legal/(terms|privacy)$ /policies/$1 [L]',
  'RewriteRule ^/t/(.*)$ /x?&a=$1& [L,QSA]',
].join('\\n');
const mw = rewrite(rules);
const server = http.createServer((req, res) => mw(req, res, () => res.end(req.url)));
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const urls = ['/nothing', '/products/7?x=1', '/products/x', '/search/a%20b', '/docs/v1/p',
    '/legal/terms', '/legal/other', '/a.bak', '/t/1?z=2', '/t/%3F', '/t/'];
  const out = [];
  for (const url of urls) {
    const res = await fetch('http://127.0.0.1:' + port + url, { redirect: 'manual' });
    const location = res.headers.get('location')?.replace(':' + port + '/', ':PORT/');
    out.push([url, res.status, res.status === 200 ? await res.text() : location]);
  }
  const canonical = await new Promise((resolve) => http.get({ port, path: '/p', headers: { host: 'EXAMPLE.com' } }, (res) => { res.resume(); resolve(res.headers.location); }));
  out.push(['host', canonical]);
  console.log(JSON.stringify(out));
  server.close();
});
`;

async function answers(flags: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [...flags, '-e', script], { timeout: 20_000 });
  return JSON.parse(stdout) as unknown;
}

test('generated and generic screens answer alike over HTTP', async () => {
  const generated = await answers([]);
  const generic = await answers(['--disallow-code-generation-from-strings']);
  expect(generic).toEqual(generated);
  expect(generated).toEqual([
    ['/nothing', 200, '/nothing'],
    ['/products/7?x=1', 200, '/shop/item?id=7&x=1'],
    ['/products/x', 200, '/products/x'],
    ['/search/a%20b', 200, '/find?q=a+b'],
    ['/docs/v1/p', 302, 'http://127.0.0.1:PORT/docs/legacy/p'],
    ['/legal/terms', 200, '/policies/terms'],
    ['/legal/other', 200, '/legal/other'],
    ['/a.bak', 403, null],
    ['/t/1?z=2', 200, '/x?&a=1&&z=2'],
    // a `?` from a back-reference into a substitution that has one already (the engine decides)
    ['/t/%3F', 200, '/x?&a=?&'],
    ['/t/', 200, '/x?&a=&'],
    ['host', 'http://www.example.com/p'],
  ]);
});
