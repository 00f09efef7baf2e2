/**
 * The CLI through the real bin (`node bin/modrewrite.cjs`, dist/ built), as a user runs it:
 * help and version (issue 9, item 12), coded one-line failures (item 8), context inference in
 * `lint` (item 7), and a `serve` that survives clients and readers that go away (item 5).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from '../helpers/serve-child';

const repo = join(__dirname, '../..');
const bin = join(repo, 'bin/modrewrite.cjs');
const version = (
  JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }
).version;

let tmp: string;
let www: string;
beforeAll(() => {
  if (!existsSync(join(repo, 'dist/cjs/cli.js')))
    spawnSync(process.execPath, [join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: 'ignore' });
  tmp = mkdtempSync(join(tmpdir(), 'modrewrite-bin-'));
  www = join(tmp, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), 'HOME\n');
  // directory-context rules (RewriteBase is refused in server context); no RewriteEngine line
  writeFileSync(join(tmp, 'site.htaccess'), 'RewriteBase /sub/\nRewriteRule ^a$ b [L]\n');
  writeFileSync(join(tmp, 'ok.conf'), 'RewriteEngine on\nRewriteRule ^/a$ /b [L]\n');
}, 180000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    timeout: 20000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface CliCase {
  readonly name: string;
  readonly args: () => string[];
  readonly status: number;
  readonly stdout?: RegExp[];
  readonly stderr?: RegExp[];
}

const cliCases: CliCase[] = [
  {
    name: '--help',
    args: () => ['--help'],
    status: 0,
    stdout: [
      /^Usage: modrewrite <command>/,
      /^ {2}serve /m,
      /^ {2}lint /m,
      /--version/,
      /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /,
    ],
  },
  { name: '-h', args: () => ['-h'], status: 0, stdout: [/^Usage: modrewrite <command>/] },
  {
    name: 'help serve',
    args: () => ['help', 'serve'],
    status: 0,
    stdout: [/^Usage: modrewrite serve --root DIR/],
  },
  {
    name: '--version',
    args: () => ['--version'],
    status: 0,
    stdout: [new RegExp(`^modrewrite ${version.replace(/\./g, '\\.')}\\n$`)],
  },
  {
    name: 'serve --help',
    args: () => ['serve', '--help'],
    status: 0,
    stdout: [
      /^Usage: modrewrite serve --root DIR \[options\]/,
      /--port N .*\(default: 8080\)/,
      /--host ADDR .*\(default: 127\.0\.0\.1\)/,
      /--proxy-status apache\|seed .*\(default: apache\)/,
      /--index NAME .*\(default: index\.html\)/,
      /Exit codes:/,
    ],
  },
  {
    name: 'lint --help',
    args: () => ['lint', '--help'],
    status: 0,
    stdout: [
      /^Usage: modrewrite lint \[--context server\|directory\] \[--format text\|json\|sarif\] \[--max-warnings N\] FILE\.\.\./,
      /--context server\|directory .*\(default: directory for \.htaccess and \*\.htaccess, else server\)/,
    ],
  },
  { name: 'no command', args: () => [], status: 2, stderr: [/^Usage: modrewrite <command>/] },
  {
    name: 'serve --prot 80',
    args: () => ['serve', '--prot', '80', '--root', www],
    status: 2,
    stderr: [
      /^modrewrite: unknown flag '--prot' for serve; did you mean '--port'\?\nRun 'modrewrite serve --help' for usage\.\n$/,
    ],
  },
  {
    name: 'serve --conf',
    args: () => ['serve', '--root', www, '--conf', 'x'],
    status: 2,
    stderr: [/did you mean '--config'\?/],
  },
  {
    name: 'lint --contxt',
    args: () => ['lint', '--contxt', 'server', 'x'],
    status: 2,
    stderr: [/unknown flag '--contxt' for lint; did you mean '--context'\?/],
  },
  {
    name: 'serv (a command)',
    args: () => ['serv'],
    status: 2,
    stderr: [/^modrewrite: unknown command 'serv'; did you mean 'serve'\?/],
  },
  {
    name: '--verison',
    args: () => ['--verison'],
    status: 2,
    stderr: [/did you mean '--version'\?/],
  },
  {
    name: 'serve --port abc',
    args: () => ['serve', '--root', www, '--port', 'abc'],
    status: 2,
    stderr: [/^modrewrite: --port must be 0\.\.65535, got 'abc'/],
  },
  {
    name: 'serve without --root',
    args: () => ['serve', '--port', '0'],
    status: 2,
    stderr: [/serve needs --root DIR/],
  },
  {
    name: 'lint --context dir',
    args: () => ['lint', '--context', 'dir', 'ok.conf'],
    status: 2,
    stderr: [/--context must be server or directory, got 'dir'/],
  },
  {
    name: 'serve --root on a missing folder',
    args: () => ['serve', '--root', join(tmp, 'missing'), '--port', '0'],
    status: 1,
    stderr: [/^modrewrite: --root folder not found: .*missing\n$/],
  },
  {
    name: 'serve --config on a missing file',
    args: () => ['serve', '--root', www, '--config', join(tmp, 'missing.conf'), '--port', '0'],
    status: 1,
    stderr: [/^cannot read rules file .*missing\.conf/],
  },
];

test.each(cliCases)(
  'CLI conventions through the real bin: $name → exit $status',
  ({ args, status, stdout, stderr }) => {
    const r = run(args());
    expect(r.status).toBe(status);
    for (const re of stdout ?? []) expect(r.stdout).toMatch(re);
    for (const re of stderr ?? []) expect(r.stderr).toMatch(re);
    // help goes to stdout; errors to stderr and never as a stack trace
    if (status === 0) expect(r.stderr).toBe('');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  },
);

describe('lint: the context is inferred from the file name (issue 9, item 7)', () => {
  test('lint context inferred: x.htaccess is checked in directory context, with a RewriteEngine note', () => {
    const r = run(['lint', 'site.htaccess', 'ok.conf']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^site\.htaccess: ok \(1 rules, directory context\) \(inferred from the file name\)$/m,
    );
    expect(r.stdout).toMatch(/^site\.htaccess:2:1 warning MR404 no RewriteEngine On/m);
    expect(r.stdout).toMatch(/^ok\.conf: ok \(1 rules, server context\)$/m);
  });
  test('lint context inferred: --context server overrides the file name', () => {
    const r = run(['lint', '--context', 'server', 'site.htaccess']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^site\.htaccess:1:1 error MR001 .*RewriteBase/m);
  });
});

/** A busy loopback port, held for the duration of `use`. */
async function withBusyPort<T>(use: (port: number) => T): Promise<T> {
  const holder = net.createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  try {
    return use((holder.address() as AddressInfo).port);
  } finally {
    await new Promise((ok) => holder.close(ok));
  }
}

describe('a busy port is one line and exit 1 (issue 9, item 8)', () => {
  test('busy port: modrewrite serve', async () => {
    const r = await withBusyPort((port) => run(['serve', '--root', www, '--port', String(port)]));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^modrewrite: cannot listen on 127\.0\.0\.1:\d+: the port is already in use \(try another --port\)\n$/,
    );
  });
  test.each([
    ['PORT', 'front'],
    ['BACKEND_PORT', 'backend'],
  ])('busy port: npm start (example-app/server.js) with %s taken', async (envName, what) => {
    const r = await withBusyPort((port) => {
      const env = { PORT: '0', BACKEND_PORT: '0', [envName]: String(port) };
      const child = spawnSync(process.execPath, [join(repo, 'example-app/server.js')], {
        encoding: 'utf8',
        timeout: 20000,
        env: { ...process.env, ...env },
      });
      return { status: child.status, stderr: child.stderr };
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^modrewrite examples: cannot listen on 127\\.0\\.0\\.1:\\d+ for the ${what}: the port is already in use \\(set ${envName} to another port\\)\\n$`,
      ),
    );
  });
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      })
      .on('error', fail);
  });
}

const pause = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

describe('serve survives clients and log readers that go away (issue 9, item 5)', () => {
  test('access log: a client that disconnects during a [P] to a slow backend; the next request succeeds', async () => {
    const backend = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': '8' });
      res.write('slow');
      setTimeout(() => res.end('done'), 300);
    });
    await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
    const conf = join(tmp, 'proxy.conf');
    writeFileSync(
      conf,
      `RewriteEngine on\nRewriteRule ^/slow$ http://127.0.0.1:${(backend.address() as AddressInfo).port}/ [P]\n`,
    );
    const serve = await startServe(['--root', www, '--config', conf], { cwd: tmp });
    const { child, port, stderr } = serve;
    try {
      for (let i = 0; i < 5; i++) {
        const client = net.connect(port, '127.0.0.1');
        client.on('error', () => undefined);
        client.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\n');
        // gone once the first bytes of the proxied answer arrive, before the backend finishes
        await new Promise<void>((ok) =>
          client.once('data', () => {
            client.destroy();
            ok();
          }),
        );
      }
      await pause(500);
      expect(await get(port, '/')).toEqual({ status: 200, body: 'HOME\n' });
      expect(child.exitCode).toBeNull();
      expect(stderr()).not.toMatch(/TypeError|^\s+at /m);
    } finally {
      await serve.stop();
      await new Promise((ok) => backend.close(ok));
    }
  }, 30000);

  test('access log: a reader that closes stdout (serve | head) does not take the server down', async () => {
    const serve = await startServe(['--root', www], { cwd: tmp });
    const { child, port } = serve;
    try {
      child.stdout?.destroy();
      for (let i = 0; i < 3; i++) {
        expect(await get(port, '/')).toEqual({ status: 200, body: 'HOME\n' });
        await pause(100);
      }
      expect(child.exitCode).toBeNull();
    } finally {
      await serve.stop();
    }
  }, 30000);
});
