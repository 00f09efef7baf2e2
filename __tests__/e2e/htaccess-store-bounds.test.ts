/**
 * Issue 9 item 19: HtaccessStore's caches grew without bound (keys are directories taken from
 * request paths: a symbolic link to `.` inside the root makes `/l1/l2/l1/…` endless distinct
 * directories; `..` fed into a filesystem substitution did the same), and "inside the root" was a
 * string comparison on paths with `..` in them. Real server on loopback, real files, bounded loops.
 */
import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import {
  HtaccessStore,
  MAX_HTACCESS_ENTRIES,
  MAX_MERGED_WEIGHT,
} from '../../lib/site/htaccess-store';
import { ModuleLoader } from '../../lib/site/modules';
import { DirCache } from '../../lib/site/paths';
import { site, siteCacheSizes } from '../../lib/site/site';

let tmp: string;
let root: string;
const write = (rel: string, text: string): void => {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-bounds-'));
  root = join(tmp, 'www');
  write('www/a.txt', 'A\n');
  write('www/sub/b.txt', 'B\n');
  write('www/.htaccess', 'RewriteEngine On\nRewriteRule ^nothing-matches-this$ - [F]\n');
  write('outside/evil.js', 'EVIL\n');
  write('outside/.htaccess', 'RewriteEngine On\nRewriteRule ^(broken$ x\n');
  write('scripts/hello.js', "module.exports = (req, res) => res.end('HELLO');\n");
  symlinkSync('.', join(tmp, 'scripts', 'again'));
  symlinkSync('.', join(tmp, 'scripts', 'more'));
  symlinkSync('.', join(root, 'l1'));
  symlinkSync('.', join(root, 'l2'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `RewriteCond %{QUERY_STRING}` captures go into a URL-path and a filesystem substitution. */
const config = (): string =>
  [
    'RewriteEngine On',
    'RewriteCond %{QUERY_STRING} ^p=(.*)$',
    'RewriteRule ^/url$ /%1 [L]',
    'RewriteCond %{QUERY_STRING} ^p=(.*)$',
    `RewriteRule ^/fs$ ${root}/%1 [L]`,
  ].join('\n');

const siteWithHandler = () =>
  site({
    root,
    config: config(),
    htaccess: { recheckMs: 60_000 },
    addHandler: { '.js': 'script' },
    handlers: { script: (req, res) => res.end(`HANDLER ${req.filename}`) },
    log: () => {},
  });

/*
 * What Apache 2.4.71 does with the same rules (rewrite:trace8, `<Directory /> Require all granted`):
 * `/url?p=../outside/secret.txt` → "go-ahead with /../outside/secret.txt", filename /outside/…;
 * `/fs?p=../outside/secret.txt` → filename <root>/../outside/secret.txt, served from outside the
 * document root; `p=pages/../pages/intro.html` → <root>/pages/intro.html. Only `<Directory />`
 * stands between such a path and the file: Debian's stock config denies it (403). site() serves
 * from the root and the allowed roots only, so it answers that 403 whatever the configuration.
 */
describe('HtaccessStore: inside the root is decided on normalised paths', () => {
  test('`..` in a filesystem substitution cannot reach a handler outside the root', async () => {
    const app = express();
    app.use(siteWithHandler());
    const res = await request(app).get('/fs?p=../outside/evil.js');
    expect(res.text).not.toContain('HANDLER');
    // the engine takes the document root off the substitution (as hook_uri2file does); what is left
    // climbs above the root: Apache's stock `<Directory />` denies it
    expect(res.status).toBe(403);
  });

  test('`..` in a URL-path substitution above the document root is 403 (the stock <Directory /> denial)', async () => {
    const app = express();
    app.use(siteWithHandler());
    const res = await request(app).get('/url?p=../outside/evil.js');
    expect(res.text).not.toContain('HANDLER');
    expect(res.status).toBe(403);
  });

  test('`..` that stays inside the root is resolved, as the directory walk does', async () => {
    const app = express();
    app.use(siteWithHandler());
    expect((await request(app).get('/url?p=sub/../a.txt')).text).toBe('A\n');
    expect((await request(app).get('/fs?p=sub/../sub/b.txt')).text).toBe('B\n');
  });
});

describe('HtaccessStore.configForPath (public): `..` does not walk the store out of the root', () => {
  test('the .htaccess of a folder next to the root is never read', () => {
    const logged: string[] = [];
    const store = new HtaccessStore(root, { recheckMs: 0, log: (m) => logged.push(m) });
    const config = store.configForPath(`${root}/../outside/evil.js`, false);
    expect(config.failure).toBeUndefined();
    expect(logged).toEqual([]);
    expect(store.cacheSizes().entries).toBe(1);
  });
});

describe('HtaccessStore: caches keyed by request data stay bounded', () => {
  const DISTINCT = 20_000;

  /** The i-th distinct path: a walk through the `.` links (l1/l2 chosen by the bits of i), or `..` in a substitution. */
  const pathFor = (i: number): string => {
    const links = Array.from({ length: 14 }, (_, bit) => ((i >> bit) & 1 ? 'l1' : 'l2')).join('/');
    switch (i % 3) {
      case 0:
        return `/${links}/missing-${i}.txt`;
      case 1:
        return `/fs?p=${links}/../sub/${links}/x-${i}`;
      default:
        return `/url?p=sub/../${links}/a.txt`;
    }
  };

  test(`${DISTINCT} distinct paths through symlink loops and \`..\` keep every cache under its bound`, async () => {
    const middleware = siteWithHandler();
    const server = http.createServer((req, res) => middleware(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Map<number, number>();
    const get = (path: string): Promise<void> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, agent }, (res) => {
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < DISTINCT) await get(pathFor(next++));
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    const sizes = siteCacheSizes(middleware)!;
    expect(sizes.htaccessEntries).toBeGreaterThan(0);
    expect(sizes.htaccessEntries).toBeLessThanOrEqual(MAX_HTACCESS_ENTRIES);
    expect(sizes.mergedWeight).toBeLessThanOrEqual(MAX_MERGED_WEIGHT);
    expect(sizes.dirs).toBeLessThanOrEqual(DirCache.MAX_ENTRIES);
    // one .htaccess reached under thousands of names (the links) is compiled once
    expect(sizes.compiled).toBe(1);
    // every request was answered, none by a server error
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(DISTINCT);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
  }, 120_000);
});

describe('ModuleLoader: the handler cache keyed by request paths stays bounded', () => {
  test('one module reached under 3,000 names (links to `.`) keeps at most MAX_ENTRIES paths, loaded once', () => {
    const loader = new ModuleLoader(join(tmp, 'scripts'));
    const first = loader.get(join(tmp, 'scripts', 'hello.js'));
    expect(typeof first).toBe('function');
    for (let i = 0; i < 3_000; i++) {
      const links = Array.from({ length: 12 }, (_, bit) => ((i >> bit) & 1 ? 'again' : 'more'));
      expect(loader.get(join(tmp, 'scripts', ...links, 'hello.js'))).toBe(first);
    }
    expect(loader.size).toBeLessThanOrEqual(ModuleLoader.MAX_ENTRIES);
  });
});
