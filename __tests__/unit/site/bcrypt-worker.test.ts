/** site/bcrypt-worker.ts: bcrypt checks on a worker thread, the event loop free meanwhile. */
import { hashSync } from 'bcryptjs';
import { checkOnWorker, stopBcryptWorker } from '../../../lib/site/bcrypt-worker';

afterEach(() => stopBcryptWorker());

test('a check answers as compareSync does, a bad hash is false', async () => {
  const hash = hashSync('dave pw', 4);
  expect(await checkOnWorker('dave pw', hash)).toBe(true);
  expect(await checkOnWorker('dave', hash)).toBe(false);
  expect(await checkOnWorker('dave pw', 'not a hash')).toBe(false);
});

test('the event loop keeps turning while a costly check runs', async () => {
  // cost 12: ~250 ms of CPU, run on the loop it would hold back every timer until it is done
  const hash = hashSync('pw', 12);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    expect(await checkOnWorker('wrong', hash)).toBe(false);
  } finally {
    clearInterval(timer);
  }
  expect(ticks).toBeGreaterThan(5);
});

test('checks waiting when the worker ends fail closed; the next check starts a new worker', async () => {
  const hash = hashSync('pw', 12);
  const waiting = [checkOnWorker('pw', hash), checkOnWorker('pw', hash)];
  await stopBcryptWorker();
  expect(await Promise.all(waiting)).toEqual([false, false]);
  expect(await checkOnWorker('pw', hashSync('pw', 4))).toBe(true);
});
