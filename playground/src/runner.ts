/**
 * Runs cases in the engine's Web Worker (worker.ts) with a time budget: a run that takes longer
 * is stopped (the worker is terminated and replaced) and reported as such, so a catastrophic
 * pattern never freezes the page.
 */
import type { PlaygroundResult, PlaygroundState } from './model.js';

/** How long one case may run. Apache's PCRE gives up at its match limit long before this. */
export const TIME_BUDGET_MS = 2000;

interface Pending {
  readonly id: number;
  readonly done: (result: PlaygroundResult | undefined) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

function timedOut(): PlaygroundResult {
  return {
    problems: [],
    warnings: [],
    outcome: {
      kind: 'error',
      summary: `stopped after ${TIME_BUDGET_MS / 1000} s: a pattern backtracks too long on this URL`,
      details: [
        [
          'why',
          "a browser has no linear-time regexp fallback; Apache's PCRE stops at its match limit (the rule does not match), and modrewrite in Node switches to V8's linear-time engine",
        ],
      ],
    },
    steps: [],
    matchedLines: [],
    failedLines: [],
  };
}

export class Runner {
  private worker: Worker;
  private pending: Pending | undefined;
  private nextId = 0;

  constructor(private readonly url: URL) {
    this.worker = this.start();
  }

  private start(): Worker {
    const worker = new Worker(this.url);
    worker.onmessage = (event: MessageEvent<{ id: number; result: PlaygroundResult }>) => {
      const p = this.pending;
      if (!p || p.id !== event.data.id) return;
      clearTimeout(p.timer);
      this.pending = undefined;
      p.done(event.data.result);
    };
    return worker;
  }

  /** Replaces a worker that is still busy (with a case nobody waits for, or a runaway one). */
  private restart(): void {
    this.worker.terminate();
    this.worker = this.start();
  }

  /** The case's result; undefined when a newer run superseded this one. */
  run(state: PlaygroundState): Promise<PlaygroundResult | undefined> {
    if (this.pending) {
      clearTimeout(this.pending.timer);
      this.pending.done(undefined);
      this.pending = undefined;
      this.restart();
    }
    const id = ++this.nextId;
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.restart();
        done(timedOut());
      }, TIME_BUDGET_MS);
      this.pending = { id, done, timer };
      this.worker.postMessage({ id, state });
    });
  }
}
