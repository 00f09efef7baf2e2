/**
 * `modrewrite serve` as a child process (bin/modrewrite.cjs, so dist/ must be built) on a free
 * loopback port: the tests that must hold in the CLI as well as in the middlewares start it here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const bin = join(__dirname, '../../bin/modrewrite.cjs');

/** How long the CLI may take to say where it listens (a loaded CI machine is slow to start node). */
const START_TIMEOUT_MS = 15_000;

export interface ServeChild {
  readonly child: ChildProcess;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Everything the child wrote on stderr so far (its error log). */
  stderr(): string;
  /** SIGTERM, then wait for the exit (no-op once it has exited). */
  stop(): Promise<void>;
}

/** Starts `modrewrite serve --port 0 <args>` and resolves once it printed its address. */
export async function startServe(
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<ServeChild> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`modrewrite serve did not start: ${err}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`modrewrite serve exited with ${code}: ${err}`));
    });
  });
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    stderr: () => err,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  await exited;
}
