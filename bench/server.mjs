// One benchmark server (run as a child so the load generator gets its own process):
//   node bench/server.mjs bare|noop|rewrite PORT
//   node bench/server.mjs static|site PORT DOCROOT   (express.static alone, or site() in front of nothing)
import express from 'express';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { rewrite, site } = require('../dist/cjs/index.js');
const [mode, port, docroot] = process.argv.slice(2);
const app = express();
// an empty middleware: what any app.use() layer costs in Express, for reference
if (mode === 'noop') app.use((req, res, next) => next());
if (mode === 'rewrite') app.use(rewrite(readFileSync(new URL('./rules-50.conf', import.meta.url), 'utf8')));
if (mode === 'static') app.use(express.static(docroot));
// default options: .htaccess files re-checked at most once a second, DirectorySlash, index.html
if (mode === 'site') app.use(site({ root: docroot }));
if (mode === 'servefile') { const { serveFile } = require('../dist/cjs/site/static-file.js'); app.use((req, res) => serveFile(req, res, docroot + req.url, { onError: () => res.end() })); }
app.get('/{*any}', (req, res) => { res.send('ok'); });
app.listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
// the bench asks for this process's CPU time around each load run
process.on('message', (m) => { if (m === 'cpu') { const u = process.cpuUsage(); process.send?.({ cpu: u.user + u.system }); } });
