// The floors for `[P]` through Express (bench/proxy.mjs rows `xfloor` and `xend`):
//   node bench/express-floor.mjs relay PORT BACKEND_PORT
//     Express + a hand-written relay on undici's core dispatch hooks: no rules, no hand-off, the
//     least header work a correct relay does (hop-by-hop out, Host, X-Forwarded-For). What any
//     proxy through Express costs at least: its ratio to http-proxy-middleware is the ceiling of
//     rewrite()+proxy()'s.
//   node bench/express-floor.mjs end PORT
//     Express answering with res.end('ok'): Express's own cost per request, without res.send's
//     ETag, Content-Type and freshness work (the `express` row does res.send).
import express from 'express';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Agent } = require('undici');
const [mode, port, backend] = process.argv.slice(2);
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'host']);
const origin = `http://127.0.0.1:${backend}`;
const agent = new Agent({ connections: 64, keepAliveTimeout: 4000 });

/**
 * The response side: status and raw header list straight to writeHead, body streamed; a body that
 * is whole in one chunk ends the response as one latin1 string (joined with the header block, as
 * proxy() does).
 */
class Relay {
  constructor(res) {
    this.res = res;
    this.resume = undefined;
    this.length = -1;
    this.whole = undefined;
  }
  onConnect() {}
  onHeaders(status, raw, resume) {
    const out = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1');
      const lower = name.toLowerCase();
      if (lower === 'content-length') this.length = Number(raw[i + 1].toString('latin1'));
      if (!HOP.has(lower)) out.push(name, raw[i + 1].toString('latin1'));
    }
    this.res.writeHead(status, out);
    this.resume = resume;
    return true;
  }
  onData(chunk) {
    if (chunk.length === this.length && chunk.length <= 16384) {
      this.whole = chunk.toString('latin1');
      return true;
    }
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume);
    return false;
  }
  onComplete() {
    if (this.whole !== undefined) this.res.end(this.whole, 'latin1');
    else this.res.end();
  }
  onError() {
    if (this.res.headersSent) this.res.destroy();
    else this.res.writeHead(502).end();
  }
}

const app = express();
if (mode === 'relay')
  app.use((req, res) => {
    const headers = {};
    for (const name in req.headers) if (!HOP.has(name)) headers[name] = req.headers[name];
    headers.host = `127.0.0.1:${backend}`;
    headers['x-forwarded-for'] = req.socket.remoteAddress;
    if (req.readableEnded === false) req.resume();
    agent.dispatch(
      { origin, path: req.url, method: req.method, headers, body: null },
      new Relay(res),
    );
  });
else app.use((req, res) => res.end('ok'));
app.listen(Number(port), '127.0.0.1', (err) => {
  if (err) process.exit(1);
  process.send?.('ready');
});
process.on('SIGTERM', () => process.exit(0));
