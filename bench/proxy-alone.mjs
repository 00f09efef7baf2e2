// proxy() alone on node:http, no rules (the proxy part of `modrewrite serve` without site()): what
// bench/proxy.mjs compares with the undici floor (bench/floor-proxy.mjs).
// node bench/proxy-alone.mjs PORT BACKEND_PORT
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { proxy } = require('../dist/cjs/index.js');
const [port, backend] = process.argv.slice(2).map(Number);
const toBackend = proxy({ target: `http://127.0.0.1:${backend}` });
http
  .createServer((req, res) => toBackend(req, res, () => res.end()))
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => process.exit(0));
