/** Random request-targets through a rich rule set: every request gets an answer, nothing throws or hangs. */
import express from 'express';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { rewrite } from '../../lib/index';

const RULES = `
  RewriteEngine on
  RewriteMap lc int:tolower
  RewriteMap esc int:escape
  RewriteCond %{QUERY_STRING} (^|&)id=([^&]*)
  RewriteRule ^/item$ /items/%2? [R=301,L]
  RewriteRule ^/b/(.*)$ /x?v=$1 [B,L]
  RewriteRule ^/raw/(.*)$ /x?v=$1 [L]
  RewriteRule ^/lc/(.*)$ /\${lc:$1} [R,L]
  RewriteRule ^/e/(.*)$ http://other.example/\${esc:$1} [R,NE,L]
  RewriteRule ^/p/(.*)$ http://127.0.0.1:9/$1 [P]
  RewriteRule ^/n/(.*)x(.*)$ /n/$1y$2 [N]
  RewriteRule ^/(.*)\\.cgi$ /cgi/$1 [L]
`;

function raw(port: number, target: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(-1);
    }, 5000);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      data += d;
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(parseInt(data.split(' ')[1], 10) || 0);
    });
    sock.write(
      Buffer.concat([
        Buffer.from('GET '),
        target,
        Buffer.from(' HTTP/1.1\r\nHost: f.example\r\nConnection: close\r\n\r\n'),
      ]),
    );
  });
}

test('1,000 random request-targets all get an HTTP status, none hangs, the server survives', async () => {
  const app = express();
  app.use(
    rewrite(RULES, {
      proxy: (_req, res) => {
        res.statusCode = 204;
        res.end();
      },
    }),
  );
  app.use((_req, res) => {
    res.status(200).send('ok');
  });
  app.use(
    (
      err: { status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).end();
    },
  );
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const prefixes = [
    '/item?id=',
    '/b/',
    '/raw/',
    '/lc/',
    '/e/',
    '/p/',
    '/n/',
    '/',
    '/x.cgi',
    '//',
    '/..',
    '/%',
  ];
  const alphabet = 'aAxZ09/._-~%?&=#;:@!$\'()*+,[]{}|\\^` "<>\u00e9\u0001\u007f'.split('');
  let seed = 99;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const statuses = new Map<number, number>();
  try {
    for (let i = 0; i < 1000; i++) {
      let t = prefixes[rnd(prefixes.length)];
      for (let j = rnd(24); j > 0; j--) {
        const c = alphabet[rnd(alphabet.length)];
        t += c === '%' && rnd(2) ? '%' + rnd(256).toString(16).padStart(2, '0') : c;
      }
      const status = await raw(port, Buffer.from(t, 'latin1'));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect({ t, ok: status >= 200 && status < 600 }).toEqual({ t, ok: true });
    }
    // the server still answers normally afterwards
    expect(await raw(port, Buffer.from('/raw/fine'))).toBe(200);
  } finally {
    await new Promise((r) => server.close(r));
  }
  expect(statuses.size).toBeGreaterThan(3);
}, 60000);
