/**
 * Client side of the request properties: starts http-servers.ts in a worker thread, sends each
 * generated request over a keep-alive undici Pool with a time bound, and collects what the server
 * saw of it. A request not answered within the bound (the worker's event loop blocked, or a
 * request left hanging) restarts the worker, so the next input starts clean.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
import type { Collected, Generated } from './http-servers';

export type Target = 'express' | 'site' | 'gen-express' | 'gen-site';

export interface FuzzRequest {
  readonly method: string;
  /** The request-target as sent (latin1: each char one byte). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type Answer =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Record<string, string | string[] | undefined>;
      readonly body: string;
      readonly collected: Collected;
    }
  /** `collected` is missing when the server's thread did not answer either (its event loop blocked). */
  | { readonly kind: 'timeout'; readonly ms: number; readonly collected?: Collected }
  | { readonly kind: 'closed'; readonly error: string; readonly collected: Collected }
  /** undici refused to send it (not a server question): the input is discarded. */
  | { readonly kind: 'unsendable'; readonly error: string };

type Ports = Record<Target | 'canary', number>;

const ENTRY = resolve(__dirname, 'http-worker-entry.cjs');
const CLIENT_ERRORS = new Set([
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'UND_ERR_NOT_SUPPORTED',
]);

export class HttpHarness {
  private worker!: Worker;
  private ports!: Ports;
  private pools = new Map<Target, Pool>();
  private waiting = new Map<string, (c: Collected) => void>();
  /** Crashes the worker reported on its own (it posts each as it happens). */
  private crashes: string[] = [];
  private onGenerated?: (g: Generated) => void;
  private nextId = 0;

  constructor(private readonly boundMs: number) {}

  get canaryPort(): number {
    return this.ports.canary;
  }

  async start(): Promise<void> {
    this.worker = new Worker(ENTRY);
    this.ports = await new Promise<Ports>((resolvePorts, reject) => {
      this.worker.once('error', reject);
      this.worker.on(
        'message',
        (m: { type: string; ports?: Ports; error?: string; id?: string } & Collected) => {
          if (m.type === 'ready') resolvePorts(m.ports!);
          if (m.type === 'failed') reject(new Error(m.error));
          if (m.type === 'generated') this.onGenerated?.(m as unknown as Generated);
          if (m.type === 'crash') this.crashes.push(String((m as { what?: string }).what));
          if (m.type === 'collected') {
            this.waiting.get(m.id!)?.({ record: m.record, crashes: this.crashes.splice(0) });
            this.waiting.delete(m.id!);
          }
        },
      );
    });
    for (const target of ['express', 'site', 'gen-express', 'gen-site'] as const)
      this.pools.set(target, this.newPool(target));
  }

  private newPool(target: Target): Pool {
    return new Pool(`http://127.0.0.1:${this.ports[target]}`, {
      connections: 4,
      keepAliveTimeout: 10_000,
    });
  }

  private async renewPool(target: Target): Promise<void> {
    await this.pools.get(target)?.destroy();
    this.pools.set(target, this.newPool(target));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
    await this.worker.terminate();
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** What the server saw of request `id`, and the crashes so far (ordered after the answer: one message round trip). */
  private collect(id: string): Promise<Collected> {
    return new Promise((resolveCollected) => {
      this.waiting.set(id, resolveCollected);
      this.worker.postMessage({ type: 'collect', id });
    });
  }

  /** Installs a generated rule text (see http-servers.ts setGenerated); `timedOut` when compiling it hangs (the worker is then replaced). */
  async setGenerated(text: string): Promise<Generated | { timedOut: true }> {
    let timer: NodeJS.Timeout | undefined;
    const installed = new Promise<Generated>((resolveGenerated) => {
      this.onGenerated = resolveGenerated;
      this.worker.postMessage({ type: 'generate', text });
    });
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), this.boundMs);
    });
    const result = await Promise.race([installed, late]);
    clearTimeout(timer);
    if (result !== 'late') return result;
    await this.restart();
    return { timedOut: true };
  }

  /** No answer: what the server saw (if its thread still answers), then a fresh worker. */
  private async timedOut(id: string, started: number): Promise<Answer> {
    const ms = Date.now() - started;
    const late = new Promise<undefined>((r) => setTimeout(() => r(undefined), 500));
    const collected = await Promise.race([this.collect(id), late]);
    await this.restart();
    return { kind: 'timeout', ms, collected };
  }

  async send(target: Target, request: FuzzRequest): Promise<Answer> {
    const id = String(++this.nextId);
    const pool = this.pools.get(target)!;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), this.boundMs);
    });
    const exchange = (async () => {
      const res = await pool.request({
        method: request.method,
        path: request.path,
        headers: { ...request.headers, 'x-fuzz-id': id },
        body: request.body,
        headersTimeout: this.boundMs,
        bodyTimeout: this.boundMs,
      });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers, body };
    })();
    try {
      const result = await Promise.race([exchange, bound]);
      if (result === 'timeout') {
        exchange.catch(() => undefined);
        return await this.timedOut(id, started);
      }
      // an answer below 500 needs no record: only the crashes, which the worker posts as they happen
      // (one turn of the event loop lets a message posted before the answer arrive)
      if (result.status < 500) {
        await new Promise((r) => setImmediate(r));
        if (this.crashes.length === 0)
          return { kind: 'response', ...result, collected: { crashes: [] } };
      }
      return { kind: 'response', ...result, collected: await this.collect(id) };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code && CLIENT_ERRORS.has(e.code) && !(e.message ?? '').includes('other side closed')) {
        // a refused request leaves undici's pool unreliable for later ones (seen: a hang): start a new pool
        await this.renewPool(target);
        return { kind: 'unsendable', error: `${e.code}: ${e.message}` };
      }
      if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT')
        return await this.timedOut(id, started);
      return {
        kind: 'closed',
        error: `${e.code ?? ''} ${e.message ?? String(err)}`,
        collected: await this.collect(id),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
