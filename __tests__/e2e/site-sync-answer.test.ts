/**
 * site() answers a request that waits for nothing (no asynchronous map, no DirectoryIndex
 * sub-request) within the middleware's own call (pipeline.ts resolveRequestNow): no promise and no
 * microtask per request. A request that does wait is still answered, later. Real files, real HTTP.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { site } from '../../lib/index';

const root = mkdtempSync(join(tmpdir(), 'modrewrite-sync-answer-'));
mkdirSync(join(root, 'dir'));
writeFileSync(join(root, 'a.css'), 'body{}\n');
writeFileSync(join(root, 'dir/index.html'), '<p>i</p>\n');
writeFileSync(
  join(root, '.htaccess'),
  'Header always set X-Content-Type-Options nosniff\nRewriteEngine On\nRewriteRule ^old$ a.css [R=301,L]\n',
);
const middleware = site({ root, fallthrough: false });
/** Whether each answer had ended when the middleware returned. */
const endedInCall = new Map<string, boolean>();
const server = http.createServer((req, res) => {
  middleware(req, res);
  endedInCall.set(req.url ?? '', res.writableEnded);
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });

test.each<{ path: string; status: number; inCall: boolean }>([
  { path: '/a.css', status: 200, inCall: true },
  { path: '/missing', status: 404, inCall: true },
  { path: '/old', status: 301, inCall: true },
  { path: '/dir', status: 301, inCall: true },
  // mod_dir's index sub-request waits: answered after the call
  { path: '/dir/', status: 200, inCall: false },
])('$path: $status, ended within the call: $inCall', async ({ path, status, inCall }) => {
  expect(await get(path)).toBe(status);
  expect(endedInCall.get(path)).toBe(inCall);
});
