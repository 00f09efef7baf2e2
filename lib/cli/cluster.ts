/**
 * `modrewrite serve --workers N`: a node:cluster primary that runs N copies of the single-process
 * serve, all accepting on one listening socket (the primary holds it, so a worker that stops or
 * starts never closes the port). The primary serves no request itself; it
 * - starts the workers one at a time at first, so a broken configuration is reported once (by the
 *   first worker, positioned as always) and the primary exits 1;
 * - replaces a worker that dies unexpectedly, with a growing delay when replacements keep dying
 *   (Apache's parent does the same for its children, without the back-off);
 * - on SIGHUP reloads gracefully: a NEW worker loads the configuration and everything serve loads
 *   at start; only once it listens is one old worker told to drain (stop accepting, finish its
 *   requests, close idle keep-alive connections, exit), and so on until every worker is new. A new
 *   worker that fails to load ends the reload: the old workers keep serving, never zero workers;
 * - on SIGTERM or SIGINT drains every worker (bounded by --drain-timeout) and exits 0.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError, type CommandSpec, type Parsed } from './args.js';
import type { IdlePolicy } from './serve-drain.js';

/** Marks a process as one of our workers (a serve started by pm2's cluster mode is not). */
const WORKER_ENV = 'MODREWRITE_SERVE_WORKER';
/**
 * The messages a worker drains on: a reload's (idle keep-alive connections may stay) and a stop's.
 */
const DRAIN_KEEP = 'modrewrite:drain:keep';
const DRAIN_CLOSE = 'modrewrite:drain:close';
/** A replacement that lives this long resets the back-off. */
const STABLE_MS = 10_000;
/** The back-off doubles from this … */
const BACKOFF_START_MS = 100;
/** … up to this. */
const BACKOFF_MAX_MS = 10_000;
/** Beyond --drain-timeout, how long a worker may take to exit before it is killed. */
const EXIT_GRACE_MS = 2_000;
/** A bound on --workers (more than this is a typo, not a machine). */
const MAX_WORKERS = 256;

/** `--workers N|auto` as a count: 1 means no cluster at all. */
export function workerCount(given: string | undefined): number {
  if (given === undefined || given === '1') return 1;
  if (given === 'auto') return os.availableParallelism();
  const n = Number(given);
  if (!/^\d+$/.test(given) || n < 1 || n > MAX_WORKERS)
    throw new UsageError(`--workers must be 1..${MAX_WORKERS} or auto, got '${given}'`, 'serve');
  return n;
}

/** `--drain-timeout MS`: a positive number of milliseconds. */
export function drainTimeout(given: string | undefined): number {
  const ms = Number(given);
  if (given === undefined || !/^\d+$/.test(given) || !(ms > 0))
    throw new UsageError(
      `--drain-timeout must be a positive number of milliseconds, got '${given}'`,
      'serve',
    );
  return ms;
}

/** True in a worker this module's primary started. */
export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] === '1';
}

/**
 * In a worker: drain on the primary's message, or on a SIGTERM sent to this worker alone (the
 * primary then replaces it). SIGINT and SIGHUP reach every process of a terminal's group: the
 * primary decides what they mean, so the worker ignores them.
 */
export function joinAsWorker(drain: (idle: IdlePolicy) => Promise<void>): void {
  const leave = (idle: IdlePolicy): void => {
    void drain(idle).then(() => cluster.worker?.disconnect());
  };
  process.on('message', (m: unknown) => {
    if (m === DRAIN_KEEP) leave('keep');
    if (m === DRAIN_CLOSE) leave('close');
  });
  process.on('SIGTERM', () => leave('close'));
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
}

/** In a worker whose start failed: the error is printed, leave so that the process ends. */
export function leaveAfterFailure(): void {
  // after main() returned its exit code (the bin sets process.exitCode first)
  setImmediate(() => cluster.worker?.disconnect());
}

/**
 * The command line that makes a worker run the same serve: flags rebuilt from their parsed values.
 */
export function argsOf(spec: CommandSpec, p: Parsed): string[] {
  const args = [spec.name];
  for (const f of spec.flags) {
    const value = p.values[f.name];
    if (value === undefined || value === false) continue;
    if (value === true) args.push(`--${f.name}`);
    // --name=value: a value that starts with '-' stays a value
    else for (const v of Array.isArray(value) ? value : [value]) args.push(`--${f.name}=${v}`);
  }
  return args;
}

/** bin/modrewrite.cjs of this package (dist/<format>/cli/ or lib/cli/ → the package root). */
function binPath(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let up = 0; up < 4; up++) {
    const bin = join(dir, 'bin', 'modrewrite.cjs');
    if (existsSync(bin)) return bin;
    dir = dirname(dir);
  }
  return process.argv[1];
}

export interface PrimaryOptions {
  readonly workers: number;
  readonly drainTimeoutMs: number;
  /** The worker's command line (argsOf). */
  readonly args: readonly string[];
  /** The startup line for the address the workers listen on. */
  readonly banner: (address: Address) => string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * Runs the primary until SIGTERM/SIGINT; resolves the exit code (1: the first worker could not
 * start).
 */
export function runPrimary(o: PrimaryOptions): Promise<number> {
  cluster.setupPrimary({ exec: binPath(), args: [...o.args] });
  return new Primary(o).run();
}

/** A worker that exited before it listened; `drained` when we had told it to stop. */
class StartFailure extends Error {
  constructor(readonly drained: boolean) {
    super('the worker exited before it listened');
  }
}

interface Member {
  readonly worker: Worker;
  /** Workers of an older generation are the ones a reload replaces. */
  readonly generation: number;
  readonly startedAt: number;
  listening: boolean;
  draining: boolean;
}

class Primary {
  private readonly members = new Map<Worker, Member>();
  private generation = 1;
  private stopping = false;
  /**
   * SIGHUP before the first worker listens: the configuration being loaded is already the latest.
   */
  private started = false;
  private reloading = false;
  private reloadAgain = false;
  /** Workers in a row that died young (or never listened): the back-off's exponent. */
  private failures = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private finish: (code: number) => void = () => undefined;
  private readonly onHup = (): void => void this.reload();
  private readonly onStop = (signal: NodeJS.Signals): void => this.stop(signal);

  constructor(private readonly o: PrimaryOptions) {}

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    let first: { member: Member; address: Address };
    // a terminal hang-up while the first worker starts must not end the primary (SIGHUP's default)
    process.on('SIGHUP', this.onHup);
    try {
      first = await this.start();
    } catch {
      // the worker printed why (a positioned config error, a port in use)
      process.off('SIGHUP', this.onHup);
      return 1;
    }
    this.started = true;
    // the signals first: a reader of the startup line may signal at once
    process.on('SIGTERM', this.onStop);
    process.on('SIGINT', this.onStop);
    this.o.out(this.o.banner(first.address));
    for (let i = 1; i < this.o.workers; i++) this.startOrRetry();
    return done;
  }

  /**
   * Forks a worker of the current generation; resolves once it listens, rejects if it exits first.
   */
  private start(): Promise<{ member: Member; address: Address }> {
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    const member: Member = {
      worker,
      generation: this.generation,
      startedAt: Date.now(),
      listening: false,
      draining: false,
    };
    this.members.set(worker, member);
    // a message to a worker that just died fails with an 'error' event: that is its 'exit' to come
    worker.on('error', () => undefined);
    return new Promise((ok, fail) => {
      worker.once('listening', (address: Address) => {
        member.listening = true;
        this.o.err(`modrewrite: worker ${worker.id} (pid ${worker.process.pid}) listening`);
        ok({ member, address });
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        this.members.delete(worker);
        if (!member.listening) fail(new StartFailure(member.draining));
        else this.exited(member, signal ?? `code ${code}`);
        this.maybeFinished();
      });
    });
  }

  /** Starts a worker; one that fails to start is retried after the back-off. */
  private startOrRetry(): void {
    this.start().catch((err: StartFailure) => {
      // told to stop before it listened (a reload or a shutdown overtook it): nothing to replace
      if (err.drained) return;
      this.failures++;
      this.replaceLater('a new worker could not start');
    });
  }

  private exited(member: Member, how: string): void {
    if (member.draining || this.stopping) return;
    const young = Date.now() - member.startedAt < STABLE_MS;
    this.failures = young ? this.failures + 1 : 0;
    this.replaceLater(
      `worker ${member.worker.id} (pid ${member.worker.process.pid}) died (${how})`,
    );
  }

  private replaceLater(why: string): void {
    if (this.stopping) return;
    const delay =
      this.failures === 0
        ? 0
        : Math.min(BACKOFF_START_MS * 2 ** (this.failures - 1), BACKOFF_MAX_MS);
    this.o.err(`modrewrite: ${why}; starting a replacement in ${delay} ms`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.startOrRetry();
    }, delay);
    this.timers.add(timer);
  }

  /**
   * Tells a worker to drain ('keep': a reload, others serve on; 'close': the stop, which also
   * hurries a worker a reload left draining); one that outlives the limit (and a grace) is killed.
   */
  private drain(member: Member, idle: IdlePolicy): void {
    // a worker not listening yet has no message listener: a signal ends it either way
    if (member.listening && member.worker.isConnected())
      member.worker.send(idle === 'keep' ? DRAIN_KEEP : DRAIN_CLOSE);
    else member.worker.process.kill('SIGTERM');
    if (member.draining) return;
    member.draining = true;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      member.worker.process.kill('SIGKILL');
    }, this.o.drainTimeoutMs + EXIT_GRACE_MS);
    this.timers.add(timer);
    member.worker.once('exit', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  /** SIGHUP: replace every worker of an older generation, one at a time, new before old. */
  private async reload(): Promise<void> {
    if (this.stopping || !this.started) return;
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        await this.replaceGeneration();
      } while (this.reloadAgain && !this.stopping);
    } finally {
      this.reloading = false;
    }
  }

  private async replaceGeneration(): Promise<void> {
    this.generation++;
    this.o.err(`modrewrite: SIGHUP: reloading (generation ${this.generation})`);
    for (let i = 0; i < MAX_WORKERS * 2 && !this.stopping; i++) {
      const old = this.oldest();
      if (!old) break;
      try {
        await this.start();
      } catch {
        const left = [...this.members.values()].filter((m) => !m.draining).length;
        this.o.err(
          `modrewrite: SIGHUP: reload failed (a new worker could not start, see above); ${left} running worker(s) keep serving`,
        );
        return;
      }
      // the one found before may have died meanwhile (and been replaced by a new one)
      const still = this.oldest();
      if (still) this.drain(still, 'keep');
    }
    this.o.err(`modrewrite: SIGHUP: reload done (generation ${this.generation})`);
  }

  /** The longest-running worker of an older generation that is not draining yet. */
  private oldest(): Member | undefined {
    for (const m of this.members.values())
      if (m.generation < this.generation && !m.draining) return m;
    return undefined;
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.o.err(
      `modrewrite: ${signal}: draining ${this.members.size} worker(s) (at most ${this.o.drainTimeoutMs} ms)`,
    );
    for (const m of this.members.values()) this.drain(m, 'close');
    this.maybeFinished();
  }

  private maybeFinished(): void {
    if (!this.stopping || this.members.size > 0) return;
    process.off('SIGHUP', this.onHup);
    process.off('SIGTERM', this.onStop);
    process.off('SIGINT', this.onStop);
    this.finish(0);
  }
}
