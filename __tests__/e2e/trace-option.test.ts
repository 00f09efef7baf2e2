/**
 * Issue 8: `trace` meant different things in rewrite() (`false` still traced when DEBUG enabled
 * modrewrite:engine) and site()/htaccess() (`false` was off). One reading now serves all three.
 * Checked through the middlewares themselves: the lines a trace function receives, and whether
 * `modrewrite:engine` gets lines with and without DEBUG.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import debugModule from 'debug';
import { htaccess } from '../../lib/site/htaccess';
import { rewrite } from '../../lib/http/rewrite';
import { site } from '../../lib/site/site';
import { traceSink } from '../../lib/http/adapter';

const RULES = 'RewriteEngine on\nRewriteRule ^/?a$ /b [L]\n';
let root = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'modrewrite-trace-'));
  writeFileSync(join(root, '.htaccess'), RULES);
  writeFileSync(join(root, 'b'), 'B\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

const FACTORIES: [string, (trace: unknown) => Middleware][] = [
  ['rewrite()', (trace) => rewrite(RULES, { trace } as never) as Middleware],
  ['site()', (trace) => site({ root, trace } as never) as Middleware],
  ['htaccess()', (trace) => htaccess({ root, trace } as never) as Middleware],
];

async function requestThrough(mw: Middleware): Promise<void> {
  const server = http.createServer((req, res) =>
    mw(req, res, () => {
      res.statusCode = 404;
      res.end();
    }),
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await fetch(`http://127.0.0.1:${port}/a`).then((r) => r.arrayBuffer());
  await new Promise((ok) => server.close(ok));
}

/** Runs `body` with `modrewrite:engine` enabled or not, collecting what that namespace logs. */
async function withDebug(enabled: boolean, body: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const previous = debugModule.log;
  const was = debugModule.disable();
  if (enabled) debugModule.enable('modrewrite:engine');
  debugModule.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  try {
    await body();
  } finally {
    debugModule.log = previous;
    debugModule.disable();
    if (was) debugModule.enable(was);
  }
  return lines;
}

describe.each(FACTORIES)('%s', (_name, make) => {
  test('a function receives the trace lines', async () => {
    const lines: string[] = [];
    await requestThrough(make((l: string) => lines.push(l)));
    expect(lines.length).toBeGreaterThan(0);
  });

  test('the lines name the rule by file:line:col and end with what became of the request', async () => {
    const lines: string[] = [];
    await requestThrough(make((l: string) => lines.push(l)));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/:2:1: applying pattern '\^\/\?a\$' to uri '\/?a'$/),
        expect.stringMatching(/:2:1: stopped: \[L\]$/),
        expect.stringMatching(
          /^(result: rewritten to \/b|internal redirect with \/b \[INTERNAL REDIRECT\])$/,
        ),
      ]),
    );
  });

  test.each([
    ['true, DEBUG on', true, true, true],
    ['true, DEBUG off (the namespace prints nothing)', true, false, false],
    ['not given, DEBUG on', undefined, true, true],
    ['not given, DEBUG off', undefined, false, false],
    ['false, DEBUG on', false, true, false],
  ])('trace %s: modrewrite:engine logs = %#', async (_label, option, debugOn, expectLines) => {
    const lines = await withDebug(debugOn as boolean, () => requestThrough(make(option)));
    expect(lines.length > 0).toBe(expectLines);
  });
});

test('traceSink reads the option the same way for every middleware', () => {
  const fn = (): void => undefined;
  expect(traceSink(fn)).toBe(fn);
  expect(traceSink(false)).toBeUndefined();
  expect(typeof traceSink(true)).toBe('function');
});
