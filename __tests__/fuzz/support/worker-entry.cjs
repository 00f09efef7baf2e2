/**
 * Worker side of sync-worker.ts: loads the check module (TypeScript, through register-ts.cjs),
 * then answers one input at a time through shared memory. A check that throws is reported as a
 * verdict too (the check itself decides what an acceptable exception is).
 */
'use strict';
const { workerData } = require('node:worker_threads');
const CTRL = { state: 0, inputLength: 1, outputLength: 2, ready: 3 };
const STATE = { idle: 0, job: 1, done: 2 };
const MAX_CHARS = 1 << 20;

const control = new Int32Array(workerData.shared, 0, 4);
const input = new Uint16Array(workerData.shared, 16, MAX_CHARS);
const output = new Uint16Array(workerData.shared, 16 + 2 * MAX_CHARS, MAX_CHARS);

function writeOutput(text) {
  const length = Math.min(text.length, MAX_CHARS);
  for (let i = 0; i < length; i++) output[i] = text.charCodeAt(i);
  Atomics.store(control, CTRL.outputLength, length);
}

function readInput() {
  const length = Atomics.load(control, CTRL.inputLength);
  let text = '';
  for (let i = 0; i < length; i += 4096)
    text += String.fromCharCode(...input.subarray(i, Math.min(length, i + 4096)));
  return text;
}

let check;
try {
  require('./register-ts.cjs');
  check = require(workerData.modulePath)[workerData.exportName];
  if (typeof check !== 'function')
    throw new Error(`${workerData.exportName} is not exported by ${workerData.modulePath}`);
} catch (err) {
  writeOutput(String((err && err.stack) || err));
  Atomics.store(control, CTRL.ready, 2);
  Atomics.notify(control, CTRL.ready);
  throw err;
}
Atomics.store(control, CTRL.ready, 1);
Atomics.notify(control, CTRL.ready);

for (;;) {
  Atomics.wait(control, CTRL.state, STATE.idle);
  if (Atomics.load(control, CTRL.state) !== STATE.job) {
    // a finished verdict not yet read by the caller
    Atomics.wait(control, CTRL.state, STATE.done);
    continue;
  }
  let verdict;
  try {
    verdict = String(check(readInput()));
  } catch (err) {
    verdict = `the check threw: ${(err && err.stack) || err}`;
  }
  writeOutput(verdict);
  Atomics.store(control, CTRL.state, STATE.done);
  Atomics.notify(control, CTRL.state);
}
