/**
 * A synchronous call into a worker thread with a deadline. The fuzz properties send each input to
 * a worker and block on `Atomics.wait` for the verdict: a synchronous endless loop in the code
 * under test (issue 9 item 14) cannot stop the test itself, it only makes the wait time out; the
 * worker is then terminated and a fresh one started, and the property fails with that input (so
 * fast-check can shrink a hang like any other failure).
 *
 * Shared memory layout: control words (Int32) and two UTF-16 buffers, input and verdict.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Control word indexes. */
export const CTRL = { state: 0, inputLength: 1, outputLength: 2, ready: 3 } as const;
/** `state` values: idle, an input is waiting for the worker, the verdict is written. */
export const STATE = { idle: 0, job: 1, done: 2 } as const;
export const MAX_CHARS = 1 << 20;

export type CallResult = { readonly verdict: string } | { readonly timedOut: true };

const ENTRY = resolve(__dirname, 'worker-entry.cjs');

export class SyncWorker {
  private worker!: Worker;
  private control!: Int32Array;
  private input!: Uint16Array;
  private output!: Uint16Array;
  private bootError: unknown;

  /** `modulePath` exports `exportName(input: string): string` (empty string = the input passed). */
  constructor(
    private readonly modulePath: string,
    private readonly exportName: string,
    private readonly bootMs = 60_000,
  ) {
    this.start();
  }

  private start(): void {
    const shared = new SharedArrayBuffer(16 + 4 * MAX_CHARS);
    this.control = new Int32Array(shared, 0, 4);
    this.input = new Uint16Array(shared, 16, MAX_CHARS);
    this.output = new Uint16Array(shared, 16 + 2 * MAX_CHARS, MAX_CHARS);
    this.bootError = undefined;
    this.worker = new Worker(ENTRY, {
      workerData: { shared, modulePath: this.modulePath, exportName: this.exportName },
    });
    this.worker.on('error', (err) => {
      this.bootError = err;
    });
    this.worker.unref();
    // the worker sets `ready` once the module is loaded; Atomics.wait does not need our event loop
    const waited = Atomics.wait(this.control, CTRL.ready, 0, this.bootMs);
    if (waited === 'timed-out')
      throw new Error(`fuzz worker did not start within ${this.bootMs} ms`);
    if (Atomics.load(this.control, CTRL.ready) !== 1)
      throw new Error(`fuzz worker failed to start: ${this.readOutput()}`);
  }

  /** Runs the check on `text` in the worker; a verdict, or `timedOut` after `timeoutMs` (the worker is then replaced). */
  call(text: string, timeoutMs: number): CallResult {
    if (text.length > MAX_CHARS) throw new Error(`fuzz input longer than ${MAX_CHARS} characters`);
    for (let i = 0; i < text.length; i++) this.input[i] = text.charCodeAt(i);
    Atomics.store(this.control, CTRL.inputLength, text.length);
    Atomics.store(this.control, CTRL.state, STATE.job);
    Atomics.notify(this.control, CTRL.state);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.control, CTRL.state) === STATE.job) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.restart();
        return { timedOut: true };
      }
      Atomics.wait(this.control, CTRL.state, STATE.job, left);
    }
    const verdict = this.readOutput();
    Atomics.store(this.control, CTRL.state, STATE.idle);
    return { verdict };
  }

  private readOutput(): string {
    const length = Atomics.load(this.control, CTRL.outputLength);
    let text = '';
    for (let i = 0; i < length; i += 4096)
      text += String.fromCharCode(...this.output.subarray(i, Math.min(length, i + 4096)));
    return text;
  }

  private restart(): void {
    void this.worker.terminate();
    this.start();
  }

  async close(): Promise<void> {
    await this.worker.terminate();
    if (this.bootError) throw this.bootError;
  }
}
