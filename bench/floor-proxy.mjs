// The floor for `modrewrite serve`: a minimal hand-written reverse proxy on node:http + an undici
// Pool (no rules, no header hygiene beyond what undici requires). node bench/floor-proxy.mjs PORT BACKEND_PORT
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Pool } = require('undici');
const [port, backend] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${backend}`, { connections: 64 });
const skip = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
]);
http
  .createServer((req, res) => {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!skip.has(k)) headers[k] = v;
    // undici's own streaming API: the response body is written straight into `res`
    pool.stream(
      {
        path: req.url,
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
        opaque: res,
      },
      ({ statusCode, headers: h, opaque }) => {
        const out = {};
        for (const [k, v] of Object.entries(h)) if (!skip.has(k)) out[k] = v;
        opaque.writeHead(statusCode, out);
        return opaque;
      },
      (err) => {
        if (err && !res.headersSent) {
          res.statusCode = 502;
          res.end();
        } else if (err) res.destroy(err);
      },
    );
  })
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
