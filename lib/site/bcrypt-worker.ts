/**
 * bcrypt checks on a worker thread. A check at cost 10 is ~90 ms of CPU, at 12 ~250 ms; bcryptjs's
 * asynchronous form only cuts that into slices of up to 100 ms on the event loop, and a request
 * that needs several turns of the loop (a `.htaccess` read, a stat, the write) waited for a slice
 * at each turn: under a flood of wrong passwords a public page came back after a dozen checks
 * (1.3 s). Apache runs each check on the thread of its own connection; here one worker thread
 * runs them one after the other, beside the loop, which never waits for one.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker: compareSync for each message, false for anything that throws (fail closed). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { compareSync } = require(workerData.bcryptjs);
parentPort.on('message', ({ id, text, hash }) => {
  let ok = false;
  try {
    ok = compareSync(text, hash) === true;
  } catch {}
  parentPort.postMessage({ id, ok });
});
`;

interface Pending {
  readonly resolve: (ok: boolean) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

/**
 * This module's own file (a path under CommonJS, a file: URL as an ES module), from V8's call
 * sites: the one way both builds of the same source can name it.
 */
function ownFile(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[] | undefined;
    return frames?.[0]?.getFileName() ?? undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/** Every check still waiting fails closed (the worker died or could not start). */
function failPending(): void {
  for (const p of pending.values()) p.resolve(false);
  pending.clear();
}

function startWorker(): Worker {
  const from = ownFile();
  if (from === undefined) throw new Error('modrewrite: cannot locate bcryptjs for the worker');
  const bcryptjs = createRequire(from).resolve('bcryptjs');
  const started = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs } });
  // an idle worker keeps no process alive; one with checks waiting is ref'd (checkOnWorker)
  started.unref();
  started.on('message', (m: { id: number; ok: boolean }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) started.unref();
    p?.resolve(m.ok);
  });
  const gone = (): void => {
    if (worker === started) worker = undefined;
    failPending();
  };
  started.on('error', gone);
  started.on('exit', gone);
  return started;
}

/**
 * `compareSync(text, hash)` on the worker thread; false when the worker fails. Throws when no
 * worker can be started (the caller then checks on the loop).
 */
export function checkOnWorker(text: string, hash: string): Promise<boolean> {
  worker ??= startWorker();
  const id = nextId++;
  const answer = new Promise<boolean>((resolve) => pending.set(id, { resolve }));
  worker.ref();
  worker.postMessage({ id, text, hash });
  return answer;
}

/** Ends the worker (tests; the next check starts a new one). Waiting checks fail closed. */
export async function stopBcryptWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  failPending();
  if (w) await w.terminate();
}
