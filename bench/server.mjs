// One benchmark server (run as a child so the load generator gets its own process):
//   node bench/server.mjs bare|noop|hand|hand-loaded|rewrite PORT   (hand: bench/hand-written.mjs)
//   node bench/server.mjs static|site PORT DOCROOT   (express.static alone, or site() in front of nothing)
//   node bench/server.mjs proxy-rewrite|proxy-hpm PORT BACKEND_PORT   (Express + rewrite() [P] + proxy(), or http-proxy-middleware 3)
import express from 'express';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { rewrite, site } = require('../dist/cjs/index.js');
const [mode, port, docroot] = process.argv.slice(2);
const app = express();
// an empty middleware: what any app.use() layer costs in Express, for reference
if (mode === 'noop') app.use((req, res, next) => next());
if (mode === 'hand') app.use((await import('./hand-written.mjs')).handWritten());
// the hand-written floor in a process that also holds a compiled rewrite() of the same rules, never
// called: what merely loading the library and keeping its rule set costs the rest of the process
if (mode === 'hand-loaded') {
  globalThis.unusedRewrite = rewrite(
    readFileSync(new URL('./rules-50.conf', import.meta.url), 'utf8'),
  );
  app.use((await import('./hand-written.mjs')).handWritten());
}
if (mode === 'rewrite')
  app.use(rewrite(readFileSync(new URL('./rules-50.conf', import.meta.url), 'utf8')));
if (mode === 'static') app.use(express.static(docroot));
// default options: .htaccess files re-checked at most once a second, DirectorySlash, index.html
if (mode === 'site') app.use(site({ root: docroot }));
if (mode === 'proxy-rewrite') {
  const { proxy } = require('../dist/cjs/index.js');
  app.use(rewrite(`RewriteRule ^(.*)$ http://127.0.0.1:${docroot}$1 [P]`, { proxy: proxy() }));
}
if (mode === 'proxy-hpm') {
  const http = await import('node:http');
  const { createProxyMiddleware } = require('http-proxy-middleware');
  // the comparison the issue asks for: http-proxy-middleware 3 with a keep-alive agent
  app.use(
    createProxyMiddleware({
      target: `http://127.0.0.1:${docroot}`,
      agent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    }),
  );
}
app.get('/{*any}', (req, res) => {
  res.send('ok');
});
// Express 5 calls back with the error when the port is taken: fail loudly, never "ready" (another
// session's bench on the same port would answer the load instead, silently)
app.listen(Number(port), '127.0.0.1', (err) => {
  if (err) {
    console.error(`bench server ${mode}: ${err.message}`);
    process.exit(1);
  }
  process.send?.('ready');
});
process.on('SIGTERM', () => process.exit(0));
// the bench asks for this process's CPU time around each load run
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpu: u.user + u.system });
  }
});
