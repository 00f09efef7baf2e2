// `npm run bench` (bench/all.mjs) builds its summary table from the JSON lines the benches append
// to BENCH_JSON. `node bench/all.mjs --from <file>` prints the table of such a file without
// running anything: the ratios per round, the targets, and the rows a missing server skips.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const all = join(__dirname, '../../bench/all.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bench-summary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The table printed for these JSON lines. */
function table(lines: object[]): string[] {
  const file = join(dir, 'summary.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return execFileSync(process.execPath, [all, '--from', file], { encoding: 'utf8' }).split('\n');
}

const row = (lines: string[], start: string) => lines.find((l) => l.startsWith(`| ${start}`));
const settings = { seconds: 1, rounds: 3, connections: 32, generator: 'wrk' };
const noApache = {
  bench: 'all',
  date: '2026-12-01T00:00:00.000Z',
  quick: false,
  bins: { apache: false, nginx: false, wrk: false, taskset: true },
  status: {
    'rules-10k': 'ok',
    'serve-static': 'ok',
    proxy: 'stopped',
    workers: 'skipped: needs wrk',
  },
  loadBefore: '1.00, 1.00, 1.00',
  loadAfter: '2.00, 2.00, 2.00',
};

test('ratios are taken per round: median, range, target met or not', () => {
  const lines = table([
    { bench: 'rules-10k', loadavg: [1, 1, 1], values: { p50us: 2.5, p99us: 4, coldP50us: 3 } },
    {
      bench: 'serve-static',
      loadavg: [1, 1, 1],
      settings,
      contenders: {
        serve: { rps: [200, 300, 100], cpu: [10, 10, 40] },
        apache: { rps: [100, 100, 100], cpu: [20, 20, 20] },
      },
    },
  ]);
  expect(row(lines, '10,000-rule')).toContain('| 2.50 µs (p99 4.00 µs, first pass p50 3.00 µs) |');
  expect(row(lines, '10,000-rule')).toContain('| not met |');
  expect(row(lines, '`serve` static file ÷ Apache, req/s')).toBe(
    '| `serve` static file ÷ Apache, req/s | 2.00x (1.00–3.00) | >= 1.00x | **met** | serve: 200 req/s · 10 µs | Apache: 100 req/s · 20 µs |',
  );
  // by CPU: Apache's µs per request ÷ serve's, per round: 2, 2, 0.5
  expect(row(lines, '`serve` static file ÷ Apache, by CPU')).toContain('| 2.00x (0.50–2.00) |');
});

test('rows without Apache, nginx or wrk, or of a stopped bench, say why they are empty', () => {
  const lines = table([
    // rounds a bench wrote before it was stopped are not shown
    {
      bench: 'proxy',
      loadavg: [1, 1, 1],
      settings,
      contenders: { rewrite: { rps: [1], cpu: [1] }, hpm: { rps: [1], cpu: [1] } },
    },
    {
      bench: 'serve-static',
      loadavg: [1, 1, 1],
      settings,
      contenders: { serve: { rps: [200], cpu: [10] } },
    },
    noApache,
  ]);
  expect(row(lines, '`serve` static file ÷ Apache, req/s')).toContain(
    '| skipped: Apache not installed | >= 1.00x |',
  );
  expect(row(lines, '`serve` static file ÷ nginx')).toContain('| skipped: nginx not installed |');
  expect(row(lines, '`serve --workers 2` ÷ 1, both')).toContain('| skipped: needs wrk |');
  expect(row(lines, 'Express `rewrite()`+`proxy()`')).toContain('| stopped |');
  expect(row(lines, '10,000-rule')).toContain('| not run |');
  expect(lines).toContain('- load average before 1.00, 1.00, 1.00, after 2.00, 2.00, 2.00');
});

test("a bench's own ratios (rewrite-cpu, both at once) are used as they are, with an even median", () => {
  const lines = table([
    {
      bench: 'rewrite-cpu:none',
      loadavg: [1, 1, 1],
      settings,
      contenders: {
        bare: { rps: [100, 100], cpu: [50, 50] },
        bare2: { rps: [90, 90], cpu: [60, 60] },
        rewrite: { rps: [99, 99], cpu: [51, 51] },
      },
      ratios: { 'rewrite/bare:cpu': [0.96, 0.99] },
      stats: { 'rewrite/bare:cpu': { trimmedMean: 0.975, interval: [0.96, 0.99] } },
    },
  ]);
  expect(row(lines, '`rewrite()`, nothing matches')).toContain(
    '| 0.975x (0.960–0.990); trimmed mean 0.975 [95% 0.960–0.990] | >= 0.97x | **met** |',
  );
  expect(row(lines, 'also measured (rewrite-cpu:none)')).toContain('bare Express (A/A): 90 req/s');
});
