/**
 * `prg:` maps: one long-running child per map, fed `key\n`, answering one line (`NULL` = not
 * found). Apache (lookup_map_program in mod_rewrite.c) writes the key and reads one line while it
 * holds a global mutex: nothing but the order says which key an answer belongs to. So:
 * - one lookup at a time is in flight (a queue stands in for the mutex);
 * - a child that does not answer within the timeout is killed, with everything it started, and
 *   replaced: its late answer can never reach the lookup of another key;
 * - a line nobody asked for (a child that answers twice) means the order is lost: replaced too;
 * - a child that keeps dying is restarted with exponential back-off; meanwhile lookups answer
 *   "not found" at once, as Apache's do when the program is gone (`fpin == NULL` → NULL);
 * - children end with close() and with the process (an `exit` hook): none is orphaned.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { debugLog } from '../debug-log.js';

const debug = debugLog('modrewrite:map');

/** How long a child may take to answer one key; a lookup waits at most twice this for its turn. */
export const PRG_TIMEOUT_MS = 5000;
/**
 * Back-off before the third start after consecutive failures; it doubles with every further
 * failure.
 */
export const PRG_BACKOFF_MS = 100;
/** The longest back-off between two starts of a failing program. */
export const PRG_BACKOFF_MAX_MS = 30_000;
/** After close(), a child that ignores SIGTERM gets SIGKILL this much later (Apache waits 3 s). */
const KILL_GRACE_MS = 1000;
/**
 * An answer longer than this without a newline is a broken child (Apache's buffer has no bound).
 */
const MAX_ANSWER = 1 << 20;

interface Lookup {
  readonly key: string;
  readonly resolve: (value: string | undefined) => void;
  /** While queued: the wait for a turn. In flight: the wait for the answer. */
  timer?: NodeJS.Timeout;
}

/** Every child alive in this process: killed when the process exits, whoever forgot close(). */
const living = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
/** Signals that end a process by default; Node runs no `exit` listener then. */
const ENDING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killLiving(): void {
  for (const child of living) killGroup(child, 'SIGKILL');
}

/**
 * Kills the children when the process ends: at `exit`, and on SIGINT/SIGTERM/SIGHUP (the children
 * lead their own process groups, so a terminal's Ctrl-C no longer reaches them). A signal listener
 * cancels the signal's default action, so when nobody else listens ours kills the children,
 * removes itself and raises the signal again: the process ends as it would have (what execa's
 * `cleanup` does). When the application listens too, the shutdown is its business: the children
 * then end at `exit`.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killLiving);
  for (const signal of ENDING_SIGNALS) process.on(signal, onEndingSignal);
}

function onEndingSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killLiving();
  for (const other of ENDING_SIGNALS) process.off(other, onEndingSignal);
  process.kill(process.pid, signal);
}

/** The child leads its own process group (spawned detached): helpers it started die with it. */
function killGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function unrefStreams(child: ChildProcessWithoutNullStreams): void {
  // a server keeps the loop alive anyway; a script that did one lookup may end (the exit hook kills
  // the child)
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.();
}

export class ProgramMap {
  private child?: ChildProcessWithoutNullStreams;
  private buffer = '';
  private current?: Lookup;
  private readonly queue: Lookup[] = [];
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    readonly command: string,
    readonly args: readonly string[] = [],
    readonly timeoutMs = PRG_TIMEOUT_MS,
  ) {}

  lookup(key: string): Promise<string | undefined> {
    // A key with a newline would desynchronise the protocol: Apache answers "not found" without
    // I/O.
    if (key.includes('\n') || this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const lookup: Lookup = { key, resolve };
      // Behind a child that hangs on one key, the others are answered by its replacement; behind a
      // program that hangs on every key, all waiters are done within two timeouts, not N.
      lookup.timer = setTimeout(() => this.expire(lookup), 2 * this.timeoutMs);
      this.queue.push(lookup);
      this.next();
    });
  }

  /** Ends the child (SIGTERM, then SIGKILL) and answers every waiting lookup "not found". */
  close(): void {
    this.closed = true;
    for (const lookup of this.queue.splice(0)) {
      clearTimeout(lookup.timer);
      lookup.resolve(undefined);
    }
    this.answer(undefined);
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.stdin.end();
    killGroup(child, 'SIGTERM');
    const force = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
    }, KILL_GRACE_MS);
    force.unref();
  }

  /** Starts queued lookups while none is in flight. */
  private next(): void {
    while (!this.current && this.queue.length && !this.closed) {
      const lookup = this.queue.shift() as Lookup;
      clearTimeout(lookup.timer);
      const child = this.running();
      if (!child) {
        lookup.resolve(undefined);
        continue;
      }
      this.current = lookup;
      lookup.timer = setTimeout(() => this.timedOut(child), this.timeoutMs);
      child.stdin.write(Buffer.from(lookup.key + '\n', 'latin1'));
    }
  }

  /** A lookup that waited two timeouts for its turn (behind hung keys) leaves with "not found". */
  private expire(lookup: Lookup): void {
    const i = this.queue.indexOf(lookup);
    if (i < 0) return;
    this.queue.splice(i, 1);
    debug('prg %s: key waited %d ms for its turn: not found', this.command, 2 * this.timeoutMs);
    lookup.resolve(undefined);
  }

  /** Settles the lookup in flight (Apache: an answer of `NULL`, any case, is "not found"). */
  private answer(line: string | undefined): void {
    const lookup = this.current;
    if (!lookup) return;
    this.current = undefined;
    clearTimeout(lookup.timer);
    lookup.resolve(line === undefined || line.toUpperCase() === 'NULL' ? undefined : line);
  }

  /** The live child, a new one, or none while backing off after failures. */
  private running(): ChildProcessWithoutNullStreams | undefined {
    if (this.child) return this.child;
    if (Date.now() < this.retryAt) return undefined;
    return this.start();
  }

  private start(): ChildProcessWithoutNullStreams | undefined {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(this.command, [...this.args], { stdio: 'pipe', detached: true });
    } catch (err) {
      debug('prg %s: cannot start: %s', this.command, (err as Error).message);
      this.failed();
      return undefined;
    }
    installExitHook();
    living.add(child);
    this.child = child;
    this.buffer = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => this.received(child, chunk));
    // the leader is gone: helpers left in its group go too; the answer waits for stdout to close
    child.on('exit', () => killGroup(child, 'SIGKILL'));
    child.on('close', (code, signal) => this.gone(child, `exited (${signal ?? code})`));
    child.on('error', (err) => this.gone(child, err.message));
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    unrefStreams(child);
    return child;
  }

  private received(child: ChildProcessWithoutNullStreams, chunk: string): void {
    // a replaced child's late output reaches nobody
    if (child !== this.child) return;
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      // Lines of one chunk arrived before the next key was written: at most one is an answer.
      if (!this.current) {
        this.replace(child, 'answered a key nobody asked for');
        return;
      }
      this.failures = 0;
      this.answer(line);
    }
    if (this.buffer.length > MAX_ANSWER) {
      this.replace(child, `answer longer than ${MAX_ANSWER} bytes`);
      return;
    }
    this.next();
  }

  private timedOut(child: ChildProcessWithoutNullStreams): void {
    if (child !== this.child) return;
    this.replace(child, `no answer within ${this.timeoutMs} ms`);
  }

  /** Kills a child that broke the protocol; the next lookup starts a new one. */
  private replace(child: ChildProcessWithoutNullStreams, why: string): void {
    debug('prg %s: %s: killed and replaced', this.command, why);
    this.child = undefined;
    killGroup(child, 'SIGKILL');
    this.failed();
    this.answer(undefined);
    this.next();
  }

  /** The child ended (or never started). */
  private gone(child: ChildProcessWithoutNullStreams, why: string): void {
    living.delete(child);
    if (child !== this.child) return;
    debug('prg %s: %s', this.command, why);
    this.child = undefined;
    this.failed();
    this.answer(undefined);
    this.next();
  }

  private failed(): void {
    this.failures++;
    // one failure restarts at once (a program that died once); then 100 ms, 200 ms, ... up to 30 s
    const delay =
      this.failures < 2
        ? 0
        : Math.min(PRG_BACKOFF_MS * 2 ** (this.failures - 2), PRG_BACKOFF_MAX_MS);
    this.retryAt = Date.now() + delay;
    if (delay)
      debug(
        'prg %s: %d failures in a row: next start in %d ms',
        this.command,
        this.failures,
        delay,
      );
  }
}
