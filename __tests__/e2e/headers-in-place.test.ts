/**
 * mod_headers' quick paths (site/headers.ts finishedInPlace, leadWithAlways) send the same head
 * as the general one: a file answered from memory (the file cache) and the same file streamed by
 * send (fileCache: false) carry the same fields in the same order, the always table's first
 * (apr_table_overlay puts err_headers_out before headers_out), each once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { site } from '../../lib/index';

interface Case {
  readonly name: string;
  readonly htaccess: readonly string[];
  /** Fields expected first, in this order. */
  readonly first: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: "Drupal's nosniff and ExpiresDefault",
    htaccess: [
      'Header always set X-Content-Type-Options nosniff',
      'ExpiresActive On',
      'ExpiresDefault A1209600',
    ],
    first: ['X-Content-Type-Options', 'X-Powered-By'],
  },
  {
    name: 'two always fields, no expires',
    htaccess: ['Header always set X-Frame-Options DENY', 'Header always set X-A 1'],
    first: ['X-Frame-Options', 'X-A', 'X-Powered-By'],
  },
  {
    name: 'an onsuccess field (the general path)',
    htaccess: [
      'Header always set X-A 1',
      'Header set X-B 2',
      'ExpiresActive On',
      'ExpiresDefault A60',
    ],
    first: ['X-A', 'X-Powered-By'],
  },
  {
    name: 'an always field the file answer sets too (both sent)',
    htaccess: [
      'Header always set Cache-Control no-store',
      'ExpiresActive On',
      'ExpiresDefault A60',
    ],
    // the always value, then mod_expires' max-age as a field of its own (case 342)
    first: ['Cache-Control', 'Cache-Control', 'X-Powered-By'],
  },
  {
    name: 'expires only',
    htaccess: ['ExpiresActive On', 'ExpiresByType text/css "access plus 1 hour"'],
    first: ['X-Powered-By'],
  },
];

/** The raw head of GET `path` from a fresh server around `app`: [name, value] in order, no Date. */
async function head(app: express.Express, path: string): Promise<[string, string][]> {
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const raw = await new Promise<string[]>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.rawHeaders));
        })
        .on('error', reject);
    });
    const pairs: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
    // Date and Expires move with the clock: their presence and order still count
    return pairs.map(([n, v]) => [n, /^(date|expires)$/i.test(n) ? '<time>' : v]);
  } finally {
    server.close();
  }
}

describe.each(cases)('$name', ({ htaccess, first }) => {
  const root = mkdtempSync(join(tmpdir(), 'modrewrite-headers-in-place-'));
  mkdirSync(join(root, 'css'));
  writeFileSync(join(root, 'css/a.css'), 'body{}\n');
  writeFileSync(join(root, '.htaccess'), htaccess.join('\n') + '\n');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const appWith = (fileCache: boolean): express.Express => {
    const app = express();
    // site()'s own 404 page (with fallthrough, Express's carries a nosniff of its own: both go)
    app.use(site({ root, fileCache, fallthrough: false }));
    return app;
  };

  test('from memory: the same head as streamed, the always fields first', async () => {
    const streamed = await head(appWith(false), '/css/a.css');
    const memory = appWith(true);
    // the first answer reads the file into the cache, the second comes from memory
    for (let i = 0; i < 2; i++) expect(await head(memory, '/css/a.css')).toEqual(streamed);
    expect(streamed.slice(0, first.length).map(([n]) => n)).toEqual(first);
  });

  test('each always field once on a 404 page', async () => {
    const names = (await head(appWith(true), '/missing.css')).map(([n]) => n.toLowerCase());
    for (const line of htaccess.filter((l) => l.startsWith('Header always set '))) {
      const field = line.split(' ')[3]!.toLowerCase();
      expect(names.filter((n) => n === field)).toHaveLength(1);
    }
  });
});
