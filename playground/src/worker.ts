/**
 * The engine runs in a Web Worker: a pattern that backtracks exponentially on the typed URL
 * (V8 in a page cannot switch to its linear-time engine, as modrewrite does in Node) blocks only
 * this worker, which the page stops after a time budget (runner.ts) and replaces.
 */
import { runCase } from './engine.js';
import type { PlaygroundState } from './model.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ id: number; state: PlaygroundState }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { id, state } = event.data;
  scope.postMessage({ id, result: runCase(state) });
};
