#!/usr/bin/env node
// npm run bench:express-cold — what rewrite() costs inside Express when the CPU's caches are cold,
// as they are on a live server whose core is shared with other processes (the kernel, the load
// generator, the other servers of bench:rewrite-cpu). In-process, like bench/express-cost.mjs,
// but before every request it writes one word per cache line of BENCH_COLD_MB (default 4) MB,
// which evicts L1 and L2 (not this machine's large L3), and it times each request's synchronous
// dispatch alone. Per round, every contender answers BENCH_COLD_SIZE requests (order rotated).
// Printed: the extra µs per request over bare Express at the 20th percentile of the batches (the
// least disturbed ones, as bench/express-cost.mjs), and the median of the per-round differences.
// Several apps in one process share Express's code and the JIT's feedback, so a contender's
// batches have rare slow outliers of a few ms: read the 20th percentile first.
//   node bench/express-cold.mjs [BASELINE_CHECKOUT]   (a built checkout: its rewrite() too)
// BENCH_COLD_CODE=N (default 0) also runs N distinct small functions before every request, which
// evicts the instruction caches too: as on a live server, where Express, node:http and the other
// processes run between two requests of ours. With it (3000), the gaps between contenders are of
// the size bench:rewrite-cpu measures live (rewrite() rule 50: ~8 µs over the hand-written
// middleware before the generated screen); with data alone they were a third of that.
// Contenders: bare Express, an empty app.use() layer, a hand-written middleware taking the
// decisions of the 50 rules for the bench URLs (a floor for any rule engine), and rewrite().
import { buildApp, request } from './express-cost.mjs';
import { handWritten } from './hand-written.mjs';

const lib = new URL('../dist/cjs/index.js', import.meta.url).pathname;
const baseline = process.argv[2];
const MB = Number(process.env.BENCH_COLD_MB ?? 4);
const ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 600);
const SIZE = Number(process.env.BENCH_COLD_SIZE ?? 20);
const WARM = 50;

const CODE = Number(process.env.BENCH_COLD_CODE ?? 0);

const lines = new Float64Array((MB * 1024 * 1024) / 8);

/** Distinct machine code: each function's constants differ, so each is compiled on its own. */
const code = Array.from(
  { length: CODE },
  (_, i) =>
    new Function(
      'x',
      `let a = x ^ ${i}; for (let k = 0; k < 3; k++) { a = (a * ${i + 7} + ${i * 3 + 1}) | 0; if (a & ${1 << (i % 20)}) a ^= ${i * 11}; else a += ${i}; } return a;`,
    ),
);
let codeSink = 0;

/** One write per 64-byte line of `lines`: what the other processes on the core do to our caches. */
function evictCaches() {
  for (let i = 0; i < lines.length; i += 8) lines[i] += 1;
  for (let i = 0; i < code.length; i++) codeSink = code[i](codeSink);
}

function contenders() {
  const list = [
    { name: 'bare', app: buildApp('bare', lib), rewrites: false },
    { name: 'empty layer', app: buildApp('noop', lib), rewrites: false },
    { name: 'hand-written', app: buildApp('hand', lib, handWritten()), rewrites: true },
    { name: 'rewrite()', app: buildApp('rewrite', lib), rewrites: true },
  ];
  if (baseline)
    list.push({
      name: 'baseline rewrite()',
      app: buildApp('rewrite', `${baseline}/dist/cjs/index.js`),
      rewrites: true,
    });
  return list;
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

/** µs per request of `size` requests, each after evicting the caches. */
async function coldBatch(app, url, size) {
  let ns = 0;
  for (let i = 0; i < size; i++) {
    evictCaches();
    const t0 = process.hrtime.bigint();
    request(app, url);
    ns += Number(process.hrtime.bigint() - t0);
  }
  await settled();
  return ns / size / 1000;
}

async function run(list, matching) {
  const urlOf = (c) =>
    !matching ? '/nothing/matches/here' : c.rewrites ? '/rule50/77' : '/target?n=77';
  const out = list.map(() => []);
  for (let r = 0; r < WARM + ROUNDS; r++)
    for (let k = 0; k < list.length; k++) {
      const i = (k + r) % list.length;
      const us = await coldBatch(list[i].app, urlOf(list[i]), SIZE);
      if (r >= WARM) out[i].push(us);
    }
  return out;
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))];
}

const list = contenders();
for (const [label, matching] of [
  ['nothing matches', false],
  ['rule 50 rewrites', true],
]) {
  const out = await run(list, matching);
  const low = out.map((values) => quantile(values, 0.2));
  console.log(`${label}: extra µs per request over bare Express, caches cold`);
  console.log(`  bare Express itself: ${low[0].toFixed(1)} µs (20th percentile of batches)`);
  for (let i = 1; i < list.length; i++) {
    const paired = out[i].map((v, round) => v - out[0][round]);
    const median = quantile(paired, 0.5).toFixed(2);
    console.log(
      `  ${list[i].name.padEnd(20)} +${(low[i] - low[0]).toFixed(2)} µs at the 20th percentile; paired median +${median} µs`,
    );
  }
}
