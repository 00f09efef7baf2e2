// One benchmark server (run as a child so the load generator gets its own process):
//   node bench/server.mjs bare|rewrite PORT
import express from 'express';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { rewrite } = require('../dist/cjs/index.js');
const [mode, port] = process.argv.slice(2);
const app = express();
// an empty middleware: what any app.use() layer costs in Express, for reference
if (mode === 'noop') app.use((req, res, next) => next());
if (mode === 'rewrite') app.use(rewrite(readFileSync(new URL('./rules-50.conf', import.meta.url), 'utf8')));
app.get('/{*any}', (req, res) => { res.send('ok'); });
app.listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
// the bench asks for this process's CPU time around each load run
process.on('message', (m) => { if (m === 'cpu') { const u = process.cpuUsage(); process.send?.({ cpu: u.user + u.system }); } });
