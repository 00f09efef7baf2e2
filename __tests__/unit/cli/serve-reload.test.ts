/**
 * lib/cli/serve-reload.ts: a reload retires the old handler, whose close() runs once its last
 * request ended — or at once when the handler releases nothing on close (its requests are not
 * counted then). And site()'s answer to "does close() release anything": only with a prg: map.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reloadable, type SiteHandler } from '../../../lib/cli/serve-reload';
import { site, siteReleasesOnClose } from '../../../lib/site/site';

/** A handler that answers when `release()` is called, and records its close(). */
function slowHandler(log: string[], name: string) {
  const waiting: (() => void)[] = [];
  const handler = Object.assign(
    (_req: http.IncomingMessage, res: http.ServerResponse) => {
      waiting.push(() => res.end(name));
    },
    { upgrade: () => undefined, close: () => log.push(`close ${name}`) },
  ) as SiteHandler;
  return { handler, release: () => waiting.splice(0).forEach((answer) => answer()) };
}

async function withServer(
  handle: http.RequestListener,
  run: (get: () => Promise<string>) => Promise<void>,
): Promise<void> {
  const server = http.createServer(handle);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const get = (): Promise<string> =>
    new Promise((ok, fail) => {
      http
        .get({ host: '127.0.0.1', port, agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => ok(body));
        })
        .on('error', fail);
    });
  try {
    await run(get);
  } finally {
    await new Promise((ok) => server.close(ok));
  }
}

const pause = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

test.each([
  // counted: the old handler's close() waits for its request in flight
  [true, ['reloaded']],
  // releases nothing: its requests are not counted, close() (a no-op for it) runs at the reload
  [false, ['close old', 'reloaded']],
])('releases %j: the old close() and its request in flight', async (releases, atReload) => {
  const log: string[] = [];
  const handlers = [slowHandler(log, 'old'), slowHandler(log, 'new')];
  let made = 0;
  const r = reloadable(
    () => handlers[made++]!.handler,
    {},
    () => releases,
  );
  await withServer(
    (req, res) => r.handle(req, res, () => res.end()),
    async (get) => {
      const inFlight = get();
      await pause(50);
      r.reload();
      log.push('reloaded');
      expect(log).toEqual(atReload);
      handlers[0]!.release();
      // the request in flight is answered by the old handler, then it is closed (once)
      expect(await inFlight).toBe('old');
      await pause(20);
      expect(log.filter((l) => l === 'close old')).toHaveLength(1);
      // the new handler answers the next request
      const next = get();
      await pause(50);
      handlers[1]!.release();
      expect(await next).toBe('new');
    },
  );
  expect(log).not.toContain('close new');
});

describe('siteReleasesOnClose', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modrewrite-reload-'));
    writeFileSync(join(root, 'map.sh'), '#!/bin/sh\nwhile read l; do echo "$l"; done\n', {
      mode: 0o755,
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test.each([
    ['no config: false', undefined, false],
    ['rules without maps: false', 'RewriteRule ^/a$ http://127.0.0.1:1/ [P]', false],
    ['a txt: map: false', () => `RewriteMap t txt:${join(root, 'map.txt')}`, false],
    ['a prg: map: true', () => `RewriteMap p prg:${join(root, 'map.sh')}`, true],
  ])('%s', (_name, config, expected) => {
    if (typeof config === 'function') writeFileSync(join(root, 'map.txt'), 'a b\n');
    const handler = site({ root, config: typeof config === 'function' ? config() : config });
    try {
      expect(siteReleasesOnClose(handler)).toBe(expected);
    } finally {
      handler.close();
    }
  });
});
