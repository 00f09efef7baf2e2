/**
 * lib/engine/budget.ts: one request's budget for asynchronous map answers (`mapTimeout`): every
 * wait counts against the same deadline; a spent budget is ERR_MAP_TIMEOUT with status 500.
 */
import { checkMapTimeout, DEFAULT_MAP_TIMEOUT, MapBudget } from '../../../lib/engine/budget';
import { NeedAsync } from '../../../lib/engine/state';
import { RewriteError, RewriteRuntimeError } from '../../../lib/errors';

describe('checkMapTimeout', () => {
  test.each<[unknown, number]>([
    [undefined, DEFAULT_MAP_TIMEOUT],
    [1, 1],
    [2500.5, 2500.5],
    [Infinity, Infinity],
  ])('%p → %p', (value, expected) => {
    expect(checkMapTimeout(value)).toBe(expected);
  });
  test.each([[0], [-1], [NaN], ['100'], [null], [{}]])('%p is ERR_OPTIONS', (value) => {
    expect(() => checkMapTimeout(value)).toThrow(RewriteError);
    expect(() => checkMapTimeout(value)).toThrow(/mapTimeout must be a positive number/);
  });
});

const after = <T>(ms: number, value: T): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));

/** Runs `promise` to its end on jest's fake clock (setTimeout and Date.now), without real waiting. */
async function settle<T>(promise: Promise<T>, ms: number): Promise<PromiseSettledResult<T>> {
  const result = Promise.allSettled([promise]);
  await jest.advanceTimersByTimeAsync(ms);
  const [settled] = await result;
  return settled!;
}

describe('MapBudget.wait (on fake timers: the deadline is Date.now + mapTimeout)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('an answer within the budget is passed on', async () => {
    const waited = new MapBudget(1000).wait(new NeedAsync(after(5, 'v')));
    expect(await settle(waited, 5)).toEqual({ status: 'fulfilled', value: 'v' });
  });

  test('an answer that never comes fails with ERR_MAP_TIMEOUT (500), naming the map', async () => {
    const waited = new MapBudget(20).wait(new NeedAsync(new Promise(() => undefined), 'users'));
    const settled = await settle(waited, 20);
    expect(settled.status).toBe('rejected');
    const err = (settled as PromiseRejectedResult).reason as unknown;
    expect(err).toBeInstanceOf(RewriteRuntimeError);
    expect(err).toMatchObject({ code: 'ERR_MAP_TIMEOUT', status: 500 });
    expect((err as Error).message).toContain("map 'users'");
  });

  test('two waits of one request share one deadline', async () => {
    const budget = new MapBudget(60);
    const first = await settle(budget.wait(new NeedAsync(after(40, 'first'))), 40);
    expect(first).toEqual({ status: 'fulfilled', value: 'first' });
    // 40 ms of the 60 are spent: a second 40 ms answer comes too late
    const second = await settle(budget.wait(new NeedAsync(after(40, 'second'))), 40);
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'ERR_MAP_TIMEOUT' } });
  });

  test('a map that fails passes its own error on', async () => {
    const boom = new Error('boom');
    await expect(new MapBudget(1000).wait(new NeedAsync(Promise.reject(boom)))).rejects.toBe(boom);
  });

  test('a budget beyond what setTimeout can wait means no budget', async () => {
    const waited = new MapBudget(Infinity).wait(new NeedAsync(after(5, 'late')));
    expect(await settle(waited, 5)).toEqual({ status: 'fulfilled', value: 'late' });
  });
});
