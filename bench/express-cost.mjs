// What one request through a whole Express app costs, in-process, for bare Express and for Express
// + rewrite(rules-50.conf): real node:http IncomingMessage/ServerResponse objects, the app's full
// dispatch (router, rewrite(), res.send with its ETag) into a socket that discards the bytes. No
// network, no other process: no scheduler between the contenders, so small batches interleaved
// over many rounds resolve a fraction of a microsecond. What it leaves out (the socket's syscalls,
// node's HTTP parser) is the same for every contender, so the difference in µs per request is
// the middleware's cost inside Express. The apps share one process (and the JIT's type feedback
// for Express's code): a second bare app (bare2) is the A/A pair that shows what that costs.
import express from 'express';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

/**
 * The app of bench/server.mjs for `mode` (bare, noop, rewrite), built from `lib`'s dist; `hand`
 * puts `middleware` where rewrite() would be.
 */
function buildApp(mode, lib, middleware) {
  const app = express();
  if (mode === 'noop') app.use((req, res, next) => next());
  if (mode === 'hand') app.use(middleware);
  if (mode === 'rewrite') {
    const { rewrite } = require(lib);
    app.use(rewrite(readFileSync(new URL('./rules-50.conf', import.meta.url), 'utf8')));
  }
  app.get('/{*any}', (req, res) => {
    res.send('ok');
  });
  return app;
}

/** One request through `app`, answered into a socket that discards what it is sent. */
export function request(app, url) {
  const socket = new Duplex({
    write(chunk, encoding, done) {
      done();
    },
    read() {},
  });
  const req = new http.IncomingMessage(socket);
  req.method = 'GET';
  req.url = url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = { host: '127.0.0.1:8080', 'user-agent': 'wrk' };
  req.complete = true;
  const res = new http.ServerResponse(req);
  res.assignSocket(socket);
  app(req, res);
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

/** µs per request over a batch, the work it left for later ticks included. */
async function batch(app, url, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) request(app, url);
  await settled();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

/**
 * Runs `rounds` rounds; in each, every contender answers `size` requests (order rotated). Returns
 * µs per request per contender and round. `contenders`: [{ name, app, url }].
 */
export async function expressCost(contenders, { rounds = 300, size = 100, warm = 40 } = {}) {
  for (let r = 0; r < warm; r++) for (const c of contenders) await batch(c.app, c.url, size);
  const out = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length];
      out[c.name].push(await batch(c.app, c.url, size));
    }
  return out;
}

export { buildApp };

/**
 * Run directly (bench/rewrite-cpu.mjs starts it pinned to CPU 1):
 * `node bench/express-cost.mjs [BASELINE_CHECKOUT]` prints, as JSON, the µs per request of each
 * contender per round for both cases (nothing matches; rule 50 rewrites).
 */
if (process.argv[1] === new URL(import.meta.url).pathname) {
  const lib = new URL('../dist/cjs/index.js', import.meta.url).pathname;
  const baseline = process.argv[2];
  const apps = {
    bare: buildApp('bare', lib),
    bare2: buildApp('bare', lib),
    noop: buildApp('noop', lib),
    rewrite: buildApp('rewrite', lib),
    ...(baseline ? { baseline: buildApp('rewrite', `${baseline}/dist/cjs/index.js`) } : {}),
  };
  const rewriting = new Set(['rewrite', 'baseline']);
  const contenders = (matching) =>
    Object.entries(apps).map(([name, app]) => ({
      name,
      app,
      url: !matching
        ? '/nothing/matches/here'
        : rewriting.has(name)
          ? '/rule50/77'
          : '/target?n=77',
    }));
  const rounds = Number(process.env.BENCH_INPROC_ROUNDS || 300);
  const none = await expressCost(contenders(false), { rounds });
  const rule50 = await expressCost(contenders(true), { rounds });
  process.stdout.write(JSON.stringify({ none, rule50 }));
}
