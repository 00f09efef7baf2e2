/**
 * `modrewrite serve` as a child process (bin/modrewrite.cjs, so dist/ must be built) on a loopback
 * port, for the CVE-class tests that must hold in the CLI as well as in the middlewares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const bin = join(__dirname, '../../bin/modrewrite.cjs');

export interface ServeChild {
  readonly base: string;
  stop(): Promise<void>;
}

/** Starts `modrewrite serve <args> --port 0` and resolves once it says where it listens. */
export async function startServe(args: readonly string[]): Promise<ServeChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'serve', ...args, '--port', '0', '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`modrewrite serve did not start: ${output}`)),
      10_000,
    );
    const onData = (d: Buffer): void => {
      output += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      output += d;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`modrewrite serve exited with ${code}: ${output}`));
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
